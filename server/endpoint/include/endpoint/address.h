/*
 * Partner and witness addresses as ALTER DATABASE ... SET PARTNER / SET
 * WITNESS give them: 'TCP://<system-address>:<port>', where the system
 * address is a host name, an IPv4 address or a bracketed IPv6 address
 * (SQL Server's "Specify a Server Network Address"). The scheme is
 * case-insensitive. Pure: no name resolution here.
 */
#ifndef EP_ADDRESS_H
#define EP_ADDRESS_H

#include <stddef.h>
#include <stdint.h>

#include "mk/result.h"

/* Longest host part accepted (a DNS name is at most 253 characters). */
#define EP_HOST_MAX 253

/*
 * Parse text[0..len). host gets the host (brackets removed for IPv6),
 * NUL-terminated; *port 1..65535. Host characters: letters, digits, '-',
 * '.', '_' (and ':' inside brackets). Errors: MK_E_INVALID (no TCP://
 * scheme, empty or bad host, missing, zero, non-numeric or too large port,
 * trailing bytes), MK_E_TOOBIG (host over EP_HOST_MAX).
 */
MK_RESULT ep_address_parse(const char *text, size_t len, char host[EP_HOST_MAX + 1],
                           uint16_t *port);

#endif
