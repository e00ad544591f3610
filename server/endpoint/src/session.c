/*
 * Mirroring sessions over the endpoint (docs/endpoint.md "Sessions").
 *
 * The requester side: ALTER DATABASE ... SET PARTNER / WITNESS on one
 * instance becomes one request to the partner (ep_session_request): a
 * fresh connection, the usual login, one CONTROL frame (endpoint/control.h)
 * and its RESULT, then hang up.
 *
 * The acceptor side: ep_session_handle answers a request that arrived on an
 * inbound PARTNER connection by reading and updating its own catalog. A
 * session is pinned to the certificate that answered at its partner address
 * when SET PARTNER ran here (cat_mirroring.partner_cert_id); "the partner"
 * below is a requester presenting that certificate:
 *   JOIN         we are a mirror waiting for the partner: record its
 *                instance name (0); no session for the database here (1416);
 *                a principal, or a session pinned to someone else (1410)
 *   LEAVE        from the partner: end the session (0); else 1416
 *   SET_WITNESS  from the partner of a joined session: record the witness (0)
 *
 * ep_sessions_sync keeps the endpoint's kept links equal to what the
 * joined sessions in the catalog need.
 */
#include "internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "catalog/databases.h"
#include "mk/log.h"
#include "text.h"

/* SQL Server's numbers in RESULT answers. */
#define SESSION_NOT_CONFIGURED 1416 /* no session for the database here */
#define SESSION_ALREADY 1410        /* the database here is in another session */
#define SESSION_BUSY 1404           /* the mirror could not act now (catalog busy) */
#define SESSION_MAX_FRAMES 16       /* frames read while waiting for a RESULT */

/* Fill a refusal: SQL Server's number and a short text (truncated to fit). */
static void say(ep_control *ans, uint32_t number, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void say(ep_control *ans, uint32_t number, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    ans->number = number;
    int n = vsnprintf(ans->text, sizeof(ans->text), fmt, ap);
    va_end(ap);
    if (n >= (int)sizeof(ans->text)) {
        /* Truncated: drop a partial UTF-8 sequence at the end (at most 3 bytes). */
        size_t len = strlen(ans->text);
        while (len > 0 && !ep_text_ok((const uint8_t *)ans->text, len)) {
            ans->text[--len] = '\0';
        }
    }
}

/* Write the new mirroring settings; a failure answers SESSION_BUSY. */
static bool store(ep_manager *m, const cat_database *d, const cat_mirroring *mir, ep_control *ans)
{
    mk_result r = mir != NULL ? cat_database_set_mirroring(m->db, d->name, mir)
                              : cat_database_clear_mirroring(m->db, d->name);
    if (mk_failed(r)) {
        mk_log_error_result(MK_LOG_ERROR, "endpoint: updating a mirroring session");
        say(ans, SESSION_BUSY, "database '%s' on %s could not be updated", d->name, m->instance);
        return false;
    }
    return true;
}

/* Decide and apply one request with db_lock held; *changed when the catalog changed. */
static void answer(ep_manager *m, const ep_conn *c, const ep_control *req, ep_control *ans,
                   bool *changed)
{
    cat_database d;
    if (mk_failed(cat_database_get(m->db, req->database, &d))) {
        if (mk_error_code() != MK_E_NOT_FOUND) {
            /* Not "no session": the requester would take that as leave to wait as a mirror. */
            mk_log_error_result(MK_LOG_ERROR, "endpoint: reading a mirroring session");
            say(ans, SESSION_BUSY, "database '%s' on %s could not be read", req->database,
                m->instance);
            return;
        }
        d.is_mirrored = false;
    }
    if (!d.is_mirrored) {
        say(ans, SESSION_NOT_CONFIGURED, "database '%s' is not configured for mirroring on %s",
            req->database, m->instance);
        return;
    }
    cat_mirroring mir = d.mirroring;
    bool joined = mir.partner_instance[0] != '\0';
    /* The session is pinned to the certificate that answered at the partner address. */
    bool ours = mir.partner_cert_id > 0 && mir.partner_cert_id == c->peer.cert_id;
    switch (req->op) {
    case EP_CTL_JOIN:
        if (mir.role != CAT_MIR_MIRROR || !ours) {
            say(ans, SESSION_ALREADY,
                "database '%s' on %s is in a mirroring session or waits for another partner",
                d.name, m->instance);
            return;
        }
        snprintf(mir.partner_instance, sizeof(mir.partner_instance), "%s", c->peer_instance);
        *changed = !joined && store(m, &d, &mir, ans);
        return;
    case EP_CTL_LEAVE:
        if (!ours) {
            say(ans, SESSION_NOT_CONFIGURED, "database '%s' on %s is mirrored with another partner",
                d.name, m->instance);
            return;
        }
        *changed = store(m, &d, NULL, ans);
        return;
    case EP_CTL_SET_WITNESS:
        if (!joined || !ours) {
            say(ans, SESSION_NOT_CONFIGURED, "database '%s' on %s is not mirrored with you", d.name,
                m->instance);
            return;
        }
        snprintf(mir.witness_name, sizeof(mir.witness_name), "%s", req->witness);
        *changed = store(m, &d, &mir, ans);
        return;
    default: say(ans, SESSION_NOT_CONFIGURED, "not a request"); return;
    }
}

MK_RESULT ep_session_handle(ep_conn *c, const uint8_t *body, size_t len)
{
    ep_manager *m = c->m;
    ep_control req;
    ep_control ans;
    bool changed = false;
    memset(&ans, 0, sizeof(ans));
    ans.op = EP_CTL_RESULT;
    if (mk_failed(ep_control_parse(body, len, &req)) || req.op == EP_CTL_RESULT) {
        MK_LOG_WARN("endpoint %s: connection %s (%s): bad session request: %s", m->instance, c->id,
                    c->addr, mk_error_message());
        BAIL_MSG(MK_E_INVALID, "bad session request");
    }
    if (c->role != EP_HELLO_PARTNER) {
        say(&ans, SESSION_NOT_CONFIGURED, "session requests come from partners only");
    } else {
        pthread_mutex_lock(&m->db_lock);
        answer(m, c, &req, &ans, &changed);
        pthread_mutex_unlock(&m->db_lock);
    }
    MK_LOG_INFO("endpoint %s: session request %s for database '%s' from '%s' (%s): %s%s%s",
                m->instance, ep_control_op_name(req.op), req.database, c->peer_instance, c->addr,
                ans.number == 0 ? "done" : "refused: ", ans.number == 0 ? "" : ans.text,
                changed ? " (catalog updated)" : "");
    mk_buf b;
    mk_buf_init(&b, EP_FRAME_CONTROL_MAX);
    mk_result r = ep_control_encode(&ans, &b);
    if (mk_ok(r)) {
        r = ep_send_frame(c, EP_FRAME_CONTROL, b.data, b.len);
    }
    mk_buf_cleanup(&b);
    if (changed && mk_failed(ep_sessions_sync(m))) {
        mk_log_error_result(MK_LOG_ERROR, "endpoint: keeping the session's links");
    }
    return r;
}

/* Send req on a logged-in connection and read frames until its RESULT. */
static MK_RESULT exchange(ep_conn *c, const ep_control *req, ep_control *answer)
{
    mk_result res = MK_ERR;
    ep_frame_header h;
    mk_buf b;
    mk_buf_init(&b, EP_FRAME_CONTROL_MAX);
    GUARD_OUT(ep_control_encode(req, &b));
    GUARD_OUT(ep_send_frame(c, EP_FRAME_CONTROL, b.data, b.len));
    for (int i = 0; i < SESSION_MAX_FRAMES; i++) {
        GUARD_OUT(ep_recv_frame(c, &h, &b));
        if (h.type == EP_FRAME_HEARTBEAT) {
            continue;
        }
        ENSURE_OUT(h.type == EP_FRAME_CONTROL, MK_E_INVALID, "%s frame instead of a RESULT",
                   ep_frame_type_name(h.type));
        GUARD_OUT(ep_control_parse(b.data, b.len, answer));
        ENSURE_OUT(answer->op == EP_CTL_RESULT, MK_E_INVALID, "%s instead of a RESULT",
                   ep_control_op_name(answer->op));
        res = MK_OK;
        goto out;
    }
    BAIL_OUT(MK_E_INVALID, "no RESULT after %d frames", SESSION_MAX_FRAMES);
out:
    mk_buf_cleanup(&b);
    return res;
}

MK_RESULT ep_session_request(ep_manager *m, const char *address, ep_hello_role role,
                             const ep_control *req, ep_control *answer, char *peer_instance,
                             int32_t *peer_cert_id)
{
    char host[EP_HOST_MAX + 1];
    uint16_t port = 0;
    ep_conn *c = NULL;
    memset(answer, 0, sizeof(*answer));
    answer->op = EP_CTL_RESULT;
    if (peer_cert_id != NULL) {
        *peer_cert_id = 0;
    }
    GUARD(ep_address_parse(address, strlen(address), host, &port));
    if (mk_failed(ep_dial(m, host, port, role, &c))) {
        if (mk_error_code() != MK_E_EXISTS) {
            return MK_ERR;
        }
        /* The address is our own endpoint: say who answered; the caller refuses it. */
        if (peer_instance != NULL) {
            snprintf(peer_instance, EP_NAME_MAX + 1, "%s", m->instance);
        }
        return MK_OK;
    }
    if (peer_instance != NULL) {
        snprintf(peer_instance, EP_NAME_MAX + 1, "%s", c->peer_instance);
    }
    if (peer_cert_id != NULL) {
        *peer_cert_id = c->peer.cert_id;
    }
    mk_result r = MK_OK;
    if (req != NULL && strcasecmp(c->peer_instance, m->instance) != 0) {
        r = exchange(c, req, answer);
    }
    if (mk_ok(r)) {
        MK_LOG_INFO("endpoint %s: session request %s for database '%s' to %s (%s): %u%s%s",
                    m->instance, req != NULL ? ep_control_op_name(req->op) : "PROBE",
                    req != NULL ? req->database : "-", address, c->peer_instance,
                    (unsigned)answer->number, answer->number != 0 ? " " : "", answer->text);
    } else {
        MK_LOG_WARN("endpoint %s: session request to %s failed: %s", m->instance, address,
                    mk_error_message());
    }
    ep_conn_free(c);
    return r;
}

/* The links the joined sessions need (deduplicated by address). */
typedef struct link_want {
    ep_link_info items[EP_MAX_LINKS];
    size_t n;
} link_want;

static void want_add(ep_manager *m, link_want *w, const char *address, ep_hello_role role)
{
    for (size_t i = 0; i < w->n; i++) {
        if (strcasecmp(w->items[i].address, address) == 0) {
            if (w->items[i].role != role) {
                MK_LOG_WARN("endpoint %s: %s is both a partner and a witness; kept as %s",
                            m->instance, address, ep_hello_role_name((uint8_t)w->items[i].role));
            }
            return;
        }
    }
    if (w->n == EP_MAX_LINKS) {
        MK_LOG_WARN("endpoint %s: more than %d links wanted; %s not kept", m->instance,
                    EP_MAX_LINKS, address);
        return;
    }
    snprintf(w->items[w->n].address, sizeof(w->items[w->n].address), "%s", address);
    w->items[w->n].role = role;
    w->n++;
}

typedef struct collect_arg {
    ep_manager *m;
    link_want *w;
} collect_arg;

static mk_result collect(void *arg, const cat_database *d)
{
    collect_arg *a = arg;
    /* A mirror still waiting for its principal keeps no link. */
    if (d->mirroring.partner_instance[0] == '\0') {
        return MK_OK;
    }
    want_add(a->m, a->w, d->mirroring.partner_name, EP_HELLO_PARTNER);
    if (d->mirroring.witness_name[0] != '\0') {
        want_add(a->m, a->w, d->mirroring.witness_name, EP_HELLO_WITNESS);
    }
    return MK_OK;
}

static bool listed(const ep_link_info *list, size_t n, const ep_link_info *x)
{
    for (size_t i = 0; i < n; i++) {
        if (strcasecmp(list[i].address, x->address) == 0 && list[i].role == x->role) {
            return true;
        }
    }
    return false;
}

static void reconcile(ep_manager *m, const link_want *w)
{
    ep_link_info have[EP_MAX_LINKS];
    size_t nhave = ep_links_list(m, have, EP_MAX_LINKS);
    nhave = nhave < EP_MAX_LINKS ? nhave : EP_MAX_LINKS;
    for (size_t i = 0; i < nhave; i++) {
        if (!listed(w->items, w->n, &have[i]) && mk_ok(ep_link_remove(m, have[i].address))) {
            MK_LOG_INFO("endpoint %s: no longer keeping the %s link to %s", m->instance,
                        ep_hello_role_name((uint8_t)have[i].role), have[i].address);
        }
    }
    for (size_t i = 0; i < w->n; i++) {
        const ep_link_info *x = &w->items[i];
        if (listed(have, nhave, x)) {
            continue;
        }
        if (mk_failed(ep_link_add(m, x->address, x->role))) {
            mk_log_error_result(MK_LOG_WARN, "endpoint: keeping a session link");
            continue;
        }
        MK_LOG_INFO("endpoint %s: keeping a %s link to %s", m->instance,
                    ep_hello_role_name((uint8_t)x->role), x->address);
    }
}

MK_RESULT ep_sessions_sync(ep_manager *m)
{
    link_want w = {.n = 0};
    collect_arg a = {m, &w};
    pthread_mutex_lock(&m->sync_lock);
    if (atomic_load(&m->closing)) {
        pthread_mutex_unlock(&m->sync_lock);
        return MK_OK;
    }
    pthread_mutex_lock(&m->db_lock);
    mk_result r = cat_database_foreach_mirrored(m->db, collect, &a);
    pthread_mutex_unlock(&m->db_lock);
    if (mk_ok(r)) {
        reconcile(m, &w);
    }
    pthread_mutex_unlock(&m->sync_lock);
    return r;
}
