/*
 * Login failure throttling per source address (DESIGN.md "Admin surface":
 * wrong password → 18456, throttled).
 *
 * Each failed login from an address makes the next failure's answer wait
 * longer: the first failure is answered at once, then 1 s, 2 s, 4 s, ...
 * up to a cap (8 s by default). A successful login from the address forgets
 * its failures, and so does a quiet period (the forget window) since the
 * last failure. The table has a fixed number of entries: when it is full,
 * the entry with the oldest failure is reused, so a flood of addresses costs
 * bounded memory. Time is passed in by the caller (milliseconds, monotonic)
 * so that tests need no clock. Thread-safe.
 */
#ifndef SRV_THROTTLE_H
#define SRV_THROTTLE_H

#include <stddef.h>
#include <stdint.h>

#include "mk/result.h"

/* Longest address text kept (an IPv6 address without brackets or port). */
#define SRV_THROTTLE_ADDR_MAX 63

typedef struct srv_throttle_policy {
    unsigned first_delay_ms; /* delay after the second failure (then doubled) */
    unsigned max_delay_ms;   /* cap on any delay */
    unsigned forget_ms;      /* failures older than this (since the last one) are forgotten */
    size_t max_entries;      /* addresses tracked at once, >= 1 */
} srv_throttle_policy;

typedef struct srv_throttle srv_throttle;

/* 1 s first delay, 8 s cap, 10 min forget window, 4096 addresses. */
srv_throttle_policy srv_throttle_policy_default(void);

/* MK_E_INVALID for a zero max_entries or max_delay_ms below first_delay_ms. */
MK_RESULT srv_throttle_new(const srv_throttle_policy *policy, srv_throttle **out);
/* Accepts NULL. */
void srv_throttle_free(srv_throttle *t);

/*
 * Record a failed login from addr (text; longer ones are cut to
 * SRV_THROTTLE_ADDR_MAX bytes) at now_ms and return how long the server
 * should wait before answering it, in milliseconds.
 */
unsigned srv_throttle_fail(srv_throttle *t, const char *addr, int64_t now_ms);

/* The delay a failure from addr would get at now_ms, without recording one. */
unsigned srv_throttle_peek(srv_throttle *t, const char *addr, int64_t now_ms);

/* A successful login from addr: its failures are forgotten. */
void srv_throttle_success(srv_throttle *t, const char *addr);

/* Number of addresses currently tracked (for tests). */
size_t srv_throttle_count(srv_throttle *t);

/*
 * The address part of a peer text as net_accept formats it ("1.2.3.4:5678",
 * "::1:5678" → "1.2.3.4", "::1"): everything before the last ':'. Cut to
 * out_len - 1 bytes; out_len must be >= 1.
 */
void srv_peer_address(const char *peer, char *out, size_t out_len);

#endif
