/*
 * `mirrorkeyd run`: load the instance, listen, and wait for signals in the
 * main thread (DESIGN.md "Process model"). SIGTERM and SIGINT stop the server
 * (stop accepting, close connections, join threads, free everything, exit 0);
 * SIGHUP reopens logs, which for stderr means only saying so. The signals are
 * blocked before any thread starts, so every thread inherits the mask and only
 * sigwaitinfo() here ever sees them. SIGPIPE is ignored: TLS writes to a
 * vanished client must fail, not kill the process.
 */
#include "internal.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "mk/log.h"

static void block_signals(sigset_t *set)
{
    sigemptyset(set);
    sigaddset(set, SIGTERM);
    sigaddset(set, SIGINT);
    sigaddset(set, SIGHUP);
    pthread_sigmask(SIG_BLOCK, set, NULL);
    signal(SIGPIPE, SIG_IGN);
}

/* Wait for SIGTERM or SIGINT; answer SIGHUP. */
static void wait_for_stop(const sigset_t *set)
{
    for (;;) {
        siginfo_t info;
        int sig = sigwaitinfo(set, &info);
        if (sig == SIGHUP) {
            MK_LOG_INFO("SIGHUP: logging to stderr, nothing to reopen");
            continue;
        }
        if (sig == SIGTERM || sig == SIGINT) {
            MK_LOG_INFO("%s received, stopping", sig == SIGTERM ? "SIGTERM" : "SIGINT");
            return;
        }
        /* sig < 0: EINTR from a signal we do not wait for; keep waiting. */
    }
}

int srv_cmd_run(const srv_run_args *a)
{
    sigset_t set;
    block_signals(&set);
    if (a->has_log_level) {
        mk_log_set_level(a->log_level);
    }
    srv_instance *inst = NULL;
    if (mk_failed(srv_instance_open(a->data_dir, &inst))) {
        MK_LOG_ERR("cannot start: %s", mk_error_message());
        return 1;
    }
    MK_LOG_INFO("instance %s loaded from %s (TLS key %s)", inst->config.instance_name,
                inst->data_dir, inst->config.tls_key_label);
    srv_server srv;
    if (mk_failed(srv_server_start(&srv, inst, a))) {
        MK_LOG_ERR("cannot start: %s", mk_error_message());
        srv_server_stop(&srv);
        srv_instance_free(inst);
        return 1;
    }
    wait_for_stop(&set);
    srv_server_stop(&srv);
    srv_instance_free(inst);
    MK_LOG_INFO("stopped");
    return 0;
}
