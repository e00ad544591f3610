/*
 * The executor's hooks into the mirroring endpoint: ALTER DATABASE ... SET
 * PARTNER / WITNESS requests become endpoint session requests
 * (ep_session_request), and CREATE / ALTER ENDPOINT asks whether its port is
 * free (ep_manager_port_check). Both read inst->endpoint at call time: the
 * executor is created before the endpoint, but runs no statement before the
 * instance is fully open.
 */
#include "internal.h"

#include <stdio.h>
#include <string.h>

mk_result srv_mirror_request(void *arg, const exec_mirror_request *req, exec_mirror_reply *reply)
{
    srv_instance *inst = arg;
    ep_control c;
    ep_control answer;
    const ep_control *send = &c;
    ep_hello_role role = EP_HELLO_PARTNER;
    memset(&c, 0, sizeof(c));
    memset(reply, 0, sizeof(*reply));
    ENSURE_MSG(inst->endpoint != NULL, MK_E_STATE, "the mirroring endpoint is not running");
    ENSURE_MSG(strlen(req->database) <= EP_DB_NAME_MAX, MK_E_INVALID, "database name too long");
    snprintf(c.database, sizeof(c.database), "%s", req->database);
    switch (req->op) {
    case EXEC_MIRROR_JOIN: c.op = EP_CTL_JOIN; break;
    case EXEC_MIRROR_LEAVE: c.op = EP_CTL_LEAVE; break;
    case EXEC_MIRROR_SET_WITNESS:
        c.op = EP_CTL_SET_WITNESS;
        ENSURE_MSG(req->witness != NULL && strlen(req->witness) <= EP_CTL_ADDRESS_MAX, MK_E_INVALID,
                   "witness address too long");
        snprintf(c.witness, sizeof(c.witness), "%s", req->witness);
        break;
    case EXEC_MIRROR_PROBE_WITNESS:
        role = EP_HELLO_WITNESS;
        send = NULL;
        break;
    default: BAIL_MSG(MK_E_INVALID, "unknown mirroring request %d", (int)req->op);
    }
    char peer[EP_NAME_MAX + 1] = "";
    int32_t cert_id = 0;
    GUARD(ep_session_request(inst->endpoint, req->address, role, send, &answer, peer, &cert_id));
    reply->peer_certificate_id = cert_id;
    /* Only the answers the protocol defines reach a client; anything else is "busy". */
    switch (answer.number) {
    case 0:
    case 1404:
    case 1410:
    case 1416: reply->number = (int)answer.number; break;
    default: reply->number = 1404; break;
    }
    snprintf(reply->peer_instance, sizeof(reply->peer_instance), "%s", peer);
    return MK_OK;
}

mk_result srv_port_check(void *arg, const char *ip, int port)
{
    srv_instance *inst = arg;
    if (inst->endpoint == NULL) {
        return MK_OK;
    }
    return ep_manager_port_check(inst->endpoint, ip, port);
}
