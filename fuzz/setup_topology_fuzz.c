/*
 * Fuzz the topology file parser (setup/src/topology.c) on arbitrary text.
 * Whatever parses must hold together: 1..64 instances with a host and an
 * endpoint address, sessions whose instances exist and differ, witnesses
 * that are not partners, and roles that fit every use.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "topology.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_session(const topology *t, const topo_session *s)
{
    if (s->principal >= t->n_instances || s->mirror >= t->n_instances ||
        s->principal == s->mirror ||
        (s->has_witness &&
         (s->witness >= t->n_instances || s->witness == s->principal || s->witness == s->mirror)) ||
        !topo_are_peers(t, s->principal, s->mirror) ||
        t->instances[s->principal].role == TOPO_ROLE_WITNESS ||
        t->instances[s->mirror].role == TOPO_ROLE_WITNESS ||
        (s->has_witness && t->instances[s->witness].role == TOPO_ROLE_PARTNER)) {
        abort();
    }
}

static void check(const topology *t)
{
    if (t->n_instances == 0 || t->n_instances > 64 || t->n_sessions > 64) {
        abort();
    }
    for (size_t i = 0; i < t->n_instances; i++) {
        const topo_instance *in = &t->instances[i];
        if (in->host == NULL || in->host[0] == '\0' || in->endpoint_address == NULL ||
            in->endpoint_port == 0 || in->endpoint_port > 65535 || in->port > 65535 ||
            topo_find(t, in->name) != (long)i || strlen(in->name) > TOPO_NAME_MAX ||
            (in->ca_file == NULL && !in->trust_server_certificate)) {
            abort();
        }
    }
    for (size_t s = 0; s < t->n_sessions; s++) {
        check_session(t, &t->sessions[s]);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    topology *t = NULL;
    char *text = malloc(size + 1);
    if (text == NULL) {
        return 0;
    }
    if (size > 0) {
        memcpy(text, data, size);
    }
    text[size] = '\0';
    if (mk_ok(topo_parse_string(text, "fuzz", &t))) {
        check(t);
    } else if (t != NULL) {
        abort();
    }
    topo_free(t);
    free(text);
    return 0;
}
