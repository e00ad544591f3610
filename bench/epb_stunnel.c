/*
 * stunnel4 as the acceptor, the way a site would front a service with it
 * today: Debian's stunnel4 (built with TLS:ENGINE) loads the libp11 engine
 * (libengine-pkcs11-openssl, `engine = pkcs11`) and takes the acceptor's
 * key on the token by pkcs11: URI; TLS 1.3 only, AES-GCM suites, peer
 * certificate required and verified, no tickets, TCP_NODELAY like our
 * sockets. The PIN never enters the configuration: libp11 reads the PIN
 * file named by the URI's pin-source.
 *
 * stunnel finishes the handshake and then connects to our plain backends,
 * which send the HEARTBEAT frame the connector waits for; so a counted
 * handshake has been completed and checked by stunnel.
 */
#include "epb.h"

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "net/socket.h"
#include "runner.h"
#include "token.h"

#define READY_TIMEOUT_S 15.0

typedef struct stunnel_run {
    const epb_opts *o;
    const epb_identity *acc;
    const epb_identity *con;
    const char *bin;
    char conf[1200];
    char log[1200];
    pid_t pid;
} stunnel_run;

const char *epb_stunnel_path(void)
{
    static char found[1024];
    static const char *const names[] = {"stunnel4", "stunnel"};
    const char *env = getenv("PATH");
    const char *path = env != NULL ? env : "/usr/bin:/bin";
    for (size_t n = 0; n < 2; n++) {
        for (const char *p = path; *p != '\0';) {
            size_t len = strcspn(p, ":");
            snprintf(found, sizeof(found), "%.*s/%s", (int)len, p, names[n]);
            if (len > 0 && access(found, X_OK) == 0) {
                return found;
            }
            p += len + (p[len] == ':' ? 1 : 0);
        }
    }
    return NULL;
}

static MK_RESULT write_conf(stunnel_run *s, uint16_t accept_port, uint16_t backend_port)
{
    char text[16384];
    snprintf(s->conf, sizeof(s->conf), "%s/stunnel-%d.conf", s->o->work_dir, (int)getpid());
    snprintf(s->log, sizeof(s->log), "%s/stunnel-%d.log", s->o->work_dir, (int)getpid());
    int n = snprintf(text, sizeof(text),
                     "foreground = yes\npid =\ndebug = 3\n"
                     "engine = pkcs11\nengineCtrl = MODULE_PATH:%s\n"
                     "[endpoint]\naccept = 127.0.0.1:%u\nconnect = 127.0.0.1:%u\n"
                     "cert = %s\nengineId = pkcs11\nkey = %s\n"
                     "verifyPeer = yes\nCAfile = %s\n"
                     "sslVersionMin = TLSv1.3\nsslVersionMax = TLSv1.3\n"
                     "ciphersuites = TLS_AES_256_GCM_SHA384:TLS_AES_128_GCM_SHA256\n"
                     "options = NO_TICKET\nlibwrap = no\n"
                     "socket = l:TCP_NODELAY=1\nsocket = r:TCP_NODELAY=1\n",
                     s->o->b.module, accept_port, backend_port, s->acc->cert_pem,
                     s->acc->engine_key, s->con->cert_pem);
    ENSURE_MSG(n > 0 && (size_t)n < sizeof(text), MK_E_TOOBIG, "stunnel configuration too long");
    return bench_write_file(s->conf, text);
}

/* A loopback port that is free now (stunnel binds it a moment later). */
static MK_RESULT free_port(uint16_t *port)
{
    int fd = -1;
    GUARD(net_listen("127.0.0.1", 0, &fd, port));
    close(fd);
    return MK_OK;
}

static void print_log(const stunnel_run *s)
{
    char buf[4096];
    FILE *f = fopen(s->log, "r");
    if (f == NULL) {
        return;
    }
    fprintf(stderr, "--- %s ---\n", s->log);
    while (fgets(buf, sizeof(buf), f) != NULL) {
        fputs(buf, stderr);
    }
    fclose(f);
}

static MK_RESULT spawn(stunnel_run *s)
{
    fflush(NULL);
    s->pid = fork();
    ENSURE_MSG(s->pid >= 0, MK_E_IO, "fork failed");
    if (s->pid == 0) {
        int fd = open(s->log, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        dup2(fd, STDOUT_FILENO);
        dup2(fd, STDERR_FILENO);
        execl(s->bin, s->bin, s->conf, (char *)NULL);
        _exit(127);
    }
    return MK_OK;
}

/* Until stunnel accepts TCP connections on port (the probe is one failed handshake in its log). */
static MK_RESULT wait_ready(stunnel_run *s, uint16_t port)
{
    double deadline = bench_now() + READY_TIMEOUT_S;
    while (bench_now() < deadline) {
        int status = 0;
        int fd = -1;
        if (waitpid(s->pid, &status, WNOHANG) == s->pid) {
            s->pid = -1;
            BAIL_MSG(MK_E_IO, "stunnel exited before it listened (status %d)", status);
        }
        if (mk_ok(net_connect("127.0.0.1", port, 200, &fd))) {
            close(fd);
            return MK_OK;
        }
        bench_sleep(0.05);
    }
    BAIL_MSG(MK_E_IO, "stunnel did not listen within %.0f s", READY_TIMEOUT_S);
}

static mk_result front(void *arg, uint16_t backend_port, uint16_t *tls_port)
{
    stunnel_run *s = arg;
    GUARD(free_port(tls_port));
    GUARD(write_conf(s, *tls_port, backend_port));
    GUARD(spawn(s));
    return wait_ready(s, *tls_port);
}

static void stop(stunnel_run *s)
{
    if (s->pid > 0) {
        kill(s->pid, SIGTERM);
        waitpid(s->pid, NULL, 0);
        s->pid = -1;
    }
}

MK_RESULT epb_stunnel_handshakes(const epb_opts *o, const epb_identity *acc,
                                 const epb_identity *con, int pairs, double *rate)
{
    stunnel_run s = {.o = o, .acc = acc, .con = con, .bin = epb_stunnel_path(), .pid = -1};
    ENSURE_MSG(s.bin != NULL, MK_E_NOT_FOUND, "stunnel4 is not installed");
    ENSURE_MSG(acc->engine_key[0] != '\0', MK_E_INVALID, "stunnel needs a token key");
    epb_hs_case c = {NULL, con, pairs, o->b.seconds, front, &s};
    mk_result r = epb_handshakes(&c, rate);
    if (mk_failed(r)) {
        print_log(&s);
    }
    stop(&s);
    return r;
}
