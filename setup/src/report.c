/*
 * The action log of a run (plan.h): every step's outcome, printed as prose
 * as it happens (or gathered into one JSON document with --json), and
 * mirrored into the transcript when one is being written. Texts reaching
 * here are already redacted: SQL carries $(NAME) placeholders, never a
 * secret.
 */
#include <jansson.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "plan.h"

static const char *const status_names[] = {"done", "skipped", "warning", "error", "planned"};

void run_init(setup_run *run, const setup_opts *opts, const topology *topo)
{
    memset(run, 0, sizeof(*run));
    run->opts = opts;
    run->topo = topo;
    pthread_mutex_init(&run->lock, NULL);
}

void run_cleanup(setup_run *run)
{
    for (size_t i = 0; i < run->n_actions; i++) {
        action *a = &run->actions[i];
        free(a->instance);
        free(a->step);
        free(a->detail);
        free(a->sql);
    }
    free(run->actions);
    pthread_mutex_destroy(&run->lock);
}

void run_record(setup_run *run, json_t *record)
{
    if (run->transcript == NULL || record == NULL) {
        return;
    }
    if (mk_failed(mkt_append(run->transcript, record))) {
        pthread_mutex_lock(&run->lock);
        fprintf(stderr, "mirrorkey: transcript: %s\n", mk_error_message());
        run->worst = 2;
        pthread_mutex_unlock(&run->lock);
    }
}

static void print_prose(const setup_run *run, const action *a)
{
    if (run->opts->dry_run) {
        /* Dry run: the T-SQL is the output; everything else is a comment. */
        if (a->status == ACT_ERROR) {
            fprintf(stderr, "[%s] %s: error: %s\n", a->instance, a->step, a->detail);
        }
        if (a->sql != NULL) {
            printf("%s\nGO\n", a->sql);
        } else {
            printf("-- %s: %s: %s%s%s\n", a->instance, a->step, status_names[a->status],
                   a->detail[0] ? ": " : "", a->detail);
        }
        return;
    }
    FILE *f = a->status == ACT_ERROR ? stderr : stdout;
    fprintf(f, "[%s] %-22s %-7s %s\n", a->instance, a->step, status_names[a->status], a->detail);
}

void run_action(setup_run *run, const char *instance, const char *step, act_status st,
                const char *sql, const char *fmt, ...)
{
    char detail[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(detail, sizeof(detail), fmt, ap);
    va_end(ap);

    pthread_mutex_lock(&run->lock);
    if (run->n_actions == run->cap_actions) {
        size_t cap = run->cap_actions == 0 ? 32 : run->cap_actions * 2;
        action *grown = realloc(run->actions, cap * sizeof(*grown));
        if (grown == NULL) {
            pthread_mutex_unlock(&run->lock);
            fprintf(stderr, "mirrorkey: out of memory\n");
            exit(1);
        }
        run->actions = grown;
        run->cap_actions = cap;
    }
    action *a = &run->actions[run->n_actions++];
    a->instance = strdup(instance);
    a->step = strdup(step);
    a->status = st;
    a->detail = strdup(detail);
    a->sql = sql != NULL ? strdup(sql) : NULL;
    if (a->instance == NULL || a->step == NULL || a->detail == NULL) {
        fprintf(stderr, "mirrorkey: out of memory\n");
        exit(1);
    }
    int level = st == ACT_ERROR ? 2 : st == ACT_WARNING ? 1 : 0;
    if (level > run->worst) {
        run->worst = level;
    }
    if (!run->opts->json) {
        print_prose(run, a);
        fflush(stdout);
    }
    pthread_mutex_unlock(&run->lock);

    json_t *rec = json_pack("{s:s, s:s, s:s, s:s, s:s}", "type", "action", "instance", instance,
                            "step", step, "status", status_names[st], "detail", detail);
    if (rec != NULL && sql != NULL) {
        json_object_set_new(rec, "sql", json_string(sql));
    }
    run_record(run, rec);
    json_decref(rec);
}

void run_bounds(setup_run *run, const char *type, const char *source)
{
    char host[256] = "", when[32];
    time_t now = time(NULL);
    struct tm tm;
    gethostname(host, sizeof(host) - 1);
    strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&now, &tm));
    const char *user = getenv("USER");
    const struct passwd *pw = user == NULL ? getpwuid(geteuid()) : NULL;
    user = user != NULL ? user : pw != NULL ? pw->pw_name : "";
    json_t *rec = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:b}", "type", type, "tool",
                            "mirrorkey", "command", run->opts->command, "version", MK_VERSION,
                            "operator", user, "host", host, "time", when, "topology",
                            source != NULL ? source : "", "dry_run", run->opts->dry_run);
    if (strcmp(type, "end") == 0) {
        json_object_set_new(rec, "result", json_string(run->worst == 2 ? "error" : "ok"));
    }
    run_record(run, rec);
    json_decref(rec);
}

int run_finish(setup_run *run)
{
    if (run->opts->json) {
        json_t *doc = json_object();
        json_t *list = json_array();
        for (size_t i = 0; i < run->n_actions; i++) {
            const action *a = &run->actions[i];
            json_t *o = json_pack("{s:s, s:s, s:s, s:s}", "instance", a->instance, "step", a->step,
                                  "status", status_names[a->status], "detail", a->detail);
            json_object_set_new(o, "sql", a->sql != NULL ? json_string(a->sql) : json_null());
            json_array_append_new(list, o);
        }
        json_object_set_new(doc, "command", json_string(run->opts->command));
        json_object_set_new(doc, "dry_run", json_boolean(run->opts->dry_run));
        json_object_set_new(doc, "actions", list);
        json_object_set_new(doc, "result",
                            json_string(run->worst == 0   ? "ok"
                                        : run->worst == 1 ? "warning"
                                                          : "error"));
        char *text = json_dumps(doc, JSON_INDENT(2));
        if (text != NULL) {
            puts(text);
            free(text);
        }
        json_decref(doc);
    }
    fflush(stdout);
    return run->worst;
}
