/*
 * Shared state of one `mirrorkey outbound | inbound | apply | status` run:
 * the options, the per-instance context, the action log (prose, JSON and
 * transcript all come from it) and the step helpers every procedure uses.
 *
 * A step is check-warn-skip: query what the instance has, then either skip
 * (it is already so), run one T-SQL statement (done), or stop the instance
 * with a message naming both values (a conflict). In a dry run the
 * statements are printed instead of run, and secrets are always shown as
 * $(NAME) placeholders, never their values.
 */
#ifndef MK_SETUP_PLAN_H
#define MK_SETUP_PLAN_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mk/result.h"
#include "mk/secret.h"
#include "tdsclient.h"
#include "topology.h"
#include "transcript.h"

typedef enum act_status { ACT_DONE, ACT_SKIPPED, ACT_WARNING, ACT_ERROR, ACT_PLANNED } act_status;

typedef struct setup_opts {
    const char *command; /* "apply", "outbound", ... */
    bool dry_run;
    bool json;
    bool allow_changes;     /* alter a differing endpoint, replace a differing peer certificate */
    const char *transcript; /* --transcript FILE */
    const char *sign_with;  /* --sign-with pkcs11:URI */
    const char *sign_cert;  /* --sign-cert FILE */
    const char *cer_out;    /* --cer-out DIR or NULL */
    int wait_seconds;       /* apply: how long to wait for SYNCHRONIZED */
    int warn_days;          /* status: certificate expiry warning */
} setup_opts;

typedef struct setup_run {
    const setup_opts *opts;
    const topology *topo;
    mk_transcript *transcript;
    pthread_mutex_t lock; /* actions and stdout */
    struct action *actions;
    size_t n_actions, cap_actions;
    int worst; /* 0 ok, 1 warning, 2 error */
} setup_run;

typedef struct action {
    char *instance;
    char *step;
    act_status status;
    char *detail;
    char *sql; /* redacted; NULL when none */
} action;

/* The public certificate of an instance, as its peers import it. */
typedef struct peer_cert {
    bool known;   /* fetched (or, in a dry run, planned) */
    bool planned; /* dry run: it will exist after outbound */
    uint8_t *der;
    size_t der_len;
} peer_cert;

typedef struct inst_ctx {
    setup_run *run;
    size_t index;
    const topo_instance *ti;
    mkc_conn *conn;
    bool failed;             /* a step failed: no more steps on this instance */
    char endpoint_name[130]; /* its DATABASE_MIRRORING endpoint ("" none yet) */
    long endpoint_id;
    peer_cert cert; /* its own certificate */
} inst_ctx;

/* ---- the action log (report.c) ---- */
void run_init(setup_run *run, const setup_opts *opts, const topology *topo);
void run_cleanup(setup_run *run);
/* Record (and print, unless --json) one action; also a transcript line. */
void run_action(setup_run *run, const char *instance, const char *step, act_status st,
                const char *sql, const char *fmt, ...) __attribute__((format(printf, 6, 7)));
/* A transcript record (borrowed) when --transcript is on; no-op otherwise. */
void run_record(setup_run *run, struct json_t *record);
/* The transcript's "start" / "end" record (tool, version, operator, host, time, source). */
void run_bounds(setup_run *run, const char *type, const char *source);
/* Print the JSON document (with --json); returns the worst outcome, 0 ok / 1 warning / 2 error. */
int run_finish(setup_run *run);

/* ---- steps (steps.c) ---- */
/* Connect (once); on failure the instance is marked failed with the reason. */
MK_RESULT step_connect(inst_ctx *ic);
/* A read-only query; a failure marks the instance failed. */
MK_RESULT step_query(inst_ctx *ic, const char *step, const char *sql, mkc_rows *rows);
/*
 * One change: run `sql` (or print it in a dry run). When `placeholder` is
 * given, `sql` contains '$(PLACEHOLDER)' and the statement sent has
 * `secret` there instead (quotes doubled, built in a wiped buffer).
 */
MK_RESULT step_change(inst_ctx *ic, const char *step, const char *sql, const char *placeholder,
                      const mk_secret *secret, const char *detail);
/* Stop the instance: a conflict or failure naming what was found and wanted. */
void step_fail(inst_ctx *ic, const char *step, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void step_skip(inst_ctx *ic, const char *step, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void step_warn(inst_ctx *ic, const char *step, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Read a password file named by the topology (errors name the file). */
MK_RESULT step_read_secret(inst_ctx *ic, const char *what, const char *path, mk_secret **out);
void inst_cleanup(inst_ctx *ic);
/* Start a phase ("outbound", "inbound", ...): in a dry run, a block header. */
void phase_begin(inst_ctx *ic, const char *phase);

/* ---- procedures ---- */
/* outbound.c: master key, certificate, endpoint, fetch the public certificate. */
void proc_outbound(inst_ctx *ic);
/* Read the instance's DATABASE_MIRRORING endpoint into ic (name "" when none); rows kept. */
MK_RESULT find_endpoint(inst_ctx *ic, mkc_rows *r);
/* inbound.c: login, user, certificate FROM BINARY, GRANT CONNECT for one peer. */
void proc_inbound(inst_ctx *ic, const char *peer, const peer_cert *cert);
/* sessions.c: one [session], in SQL Server's order; `wait` for SYNCHRONIZED. */
void proc_session(setup_run *run, inst_ctx *insts, const topo_session *s);
MK_RESULT proc_wait_synchronized(setup_run *run, inst_ctx *insts, int seconds);

/* certinfo.c: facts about a DER certificate. */
typedef struct cert_facts {
    char sha256[65];      /* of the DER */
    char spki_sha256[65]; /* of the SubjectPublicKeyInfo */
    char thumbprint[41];  /* SHA-1, SQL Server's thumbprint */
    char key[16];         /* "rsa:3072", "ec:p256", ... */
    long long not_after;  /* Unix seconds */
    char subject[256];
} cert_facts;
MK_RESULT cert_facts_get(const uint8_t *der, size_t len, cert_facts *out);
/* Lowercase hex of bytes into out (2*len+1). */
void hex_encode(const uint8_t *b, size_t len, char *out);

#endif
