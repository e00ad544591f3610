/*
 * A small FreeTDS db-lib client for the mirrorkeyd integration tests: logs in
 * with TDS 7.4, runs one query (optionally many times) and prints what
 * db-lib saw, so the test can check column types as a C client gets them.
 *
 *   dblib_client -S SERVER -U LOGIN -P PASSWORD_FILE [-n REPEAT] QUERY
 *
 * SERVER is a freetds.conf entry (FREETDSCONF). The password is read from a
 * file, never taken from argv. Output, per result set:
 *   columns: name:TYPE name:TYPE ...        (TYPE from dbprtype)
 *   row: value<TAB>value...                 (dbconvert to text; NULL; 0x.. for binary)
 *   count: N                                (DBCOUNT)
 * Server messages print as "msg NUMBER class CLASS: TEXT"; db-lib errors as
 * "dberr NUMBER: TEXT". Exit 0 on success, 3 when the login fails, 4 when
 * a query fails, 2 on usage errors.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sybfront.h>
#include <sybdb.h>

static int msg_handler(DBPROCESS *dbproc, DBINT msgno, int msgstate, int severity, char *msgtext,
                       char *srvname, char *procname, int line)
{
    (void)dbproc;
    (void)msgstate;
    (void)srvname;
    (void)procname;
    (void)line;
    /* 5701/5703 (database/language changed) arrive at every login. */
    if (msgno != 5701 && msgno != 5703) {
        printf("msg %d class %d: %s\n", (int)msgno, severity, msgtext);
    }
    return 0;
}

static int err_handler(DBPROCESS *dbproc, int severity, int dberr, int oserr, char *dberrstr,
                       char *oserrstr)
{
    (void)dbproc;
    (void)severity;
    (void)oserr;
    (void)oserrstr;
    printf("dberr %d: %s\n", dberr, dberrstr != NULL ? dberrstr : "");
    return INT_CANCEL;
}

static int read_password(const char *file, char *out, size_t cap)
{
    FILE *f = fopen(file, "r");
    if (f == NULL || fgets(out, (int)cap, f) == NULL) {
        if (f != NULL) {
            fclose(f);
        }
        return -1;
    }
    fclose(f);
    out[strcspn(out, "\r\n")] = '\0';
    return 0;
}

static void print_value(DBPROCESS *db, int col)
{
    BYTE *data = dbdata(db, col);
    DBINT len = dbdatlen(db, col);
    int type = dbcoltype(db, col);
    if (data == NULL && len == 0 && type != SYBVARCHAR && type != SYBCHAR) {
        fputs("NULL", stdout);
        return;
    }
    if (type == SYBBINARY || type == SYBVARBINARY || type == SYBIMAGE) {
        fputs("0x", stdout);
        for (DBINT i = 0; i < len; i++) {
            printf("%02X", data[i]);
        }
        return;
    }
    char text[8192];
    DBINT n = dbconvert(db, type, data, len, SYBCHAR, (BYTE *)text, (DBINT)sizeof(text) - 1);
    if (n < 0) {
        fputs("?", stdout);
        return;
    }
    text[n] = '\0';
    fputs(text, stdout);
}

static int print_results(DBPROCESS *db, int quiet)
{
    RETCODE rc;
    while ((rc = dbresults(db)) != NO_MORE_RESULTS) {
        if (rc == FAIL) {
            return -1;
        }
        int ncols = dbnumcols(db);
        if (ncols > 0 && !quiet) {
            fputs("columns:", stdout);
            for (int c = 1; c <= ncols; c++) {
                printf(" %s:%s", dbcolname(db, c), dbprtype(dbcoltype(db, c)));
            }
            putchar('\n');
        }
        while ((rc = dbnextrow(db)) != NO_MORE_ROWS) {
            if (rc == FAIL) {
                return -1;
            }
            if (quiet) {
                continue;
            }
            fputs("row:", stdout);
            for (int c = 1; c <= ncols; c++) {
                putchar(c == 1 ? ' ' : '\t');
                print_value(db, c);
            }
            putchar('\n');
        }
        if (!quiet && DBCOUNT(db) >= 0) {
            printf("count: %d\n", (int)DBCOUNT(db));
        }
    }
    return 0;
}

int main(int argc, char **argv)
{
    const char *server = NULL, *user = NULL, *pwfile = NULL;
    long repeat = 1;
    int opt;
    while ((opt = getopt(argc, argv, "S:U:P:n:")) != -1) {
        switch (opt) {
        case 'S': server = optarg; break;
        case 'U': user = optarg; break;
        case 'P': pwfile = optarg; break;
        case 'n': repeat = strtol(optarg, NULL, 10); break;
        default: return 2;
        }
    }
    if (server == NULL || user == NULL || pwfile == NULL || optind != argc - 1 || repeat < 1) {
        fprintf(stderr, "usage: dblib_client -S SERVER -U LOGIN -P PASSWORD_FILE [-n N] QUERY\n");
        return 2;
    }
    char password[256];
    if (read_password(pwfile, password, sizeof(password)) != 0) {
        fprintf(stderr, "dblib_client: cannot read the password file\n");
        return 2;
    }
    if (dbinit() == FAIL) {
        return 2;
    }
    dberrhandle(err_handler);
    dbmsghandle(msg_handler);
    LOGINREC *login = dblogin();
    DBSETLUSER(login, user);
    DBSETLPWD(login, password);
    DBSETLAPP(login, "dblib_client");
    DBSETLVERSION(login, DBVERSION_74);
    memset(password, 0, sizeof(password));
    DBPROCESS *db = dbopen(login, server);
    dbloginfree(login);
    if (db == NULL) {
        printf("login failed\n");
        dbexit();
        return 3;
    }
    int rc = 0;
    for (long i = 0; i < repeat && rc == 0; i++) {
        if (dbcmd(db, argv[optind]) == FAIL || dbsqlexec(db) == FAIL ||
            print_results(db, i + 1 < repeat) != 0) {
            rc = 4;
        }
    }
    dbclose(db);
    dbexit();
    return rc;
}
