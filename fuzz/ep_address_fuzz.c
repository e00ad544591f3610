/*
 * Fuzz 'TCP://host:port' parsing: whatever parses has a non-empty host of
 * allowed characters within the cap and a port in 1..65535.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "endpoint/address.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char host[EP_HOST_MAX + 1];
    uint16_t port = 0;
    if (mk_failed(ep_address_parse((const char *)data, size, host, &port))) {
        return 0;
    }
    size_t n = strlen(host);
    if (n == 0 || n > EP_HOST_MAX || port == 0 ||
        strspn(host, "abcdefghijklmnopqrstuvwxyz"
                     "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
                     "0123456789-._:") != n) {
        abort();
    }
    return 0;
}
