/*
 * Secret buffers (see mk/secret.h): a private mapping per secret so that it
 * can be locked and excluded from core dumps without affecting other memory.
 */
#include "mk/secret.h"

#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <openssl/crypto.h>

#define MK_SECRET_MAX ((size_t)1024 * 1024)

struct mk_secret {
    size_t map_len; /* whole mapping, header included */
    size_t cap;
    size_t len;
    uint8_t data[];
};

MK_RESULT mk_secret_new(size_t cap, mk_secret **out)
{
    ENSURE_MSG(cap > 0 && cap <= MK_SECRET_MAX, MK_E_INVALID, "secret size %zu out of range", cap);
    long page = sysconf(_SC_PAGESIZE);
    size_t psz = page > 0 ? (size_t)page : 4096;
    size_t map_len = ((sizeof(mk_secret) + cap + psz - 1) / psz) * psz;
    void *p = mmap(NULL, map_len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    ENSURE(p != MAP_FAILED, MK_E_NOMEM);
#ifdef MADV_DONTDUMP
    (void)madvise(p, map_len, MADV_DONTDUMP);
#endif
    /* Best effort: RLIMIT_MEMLOCK may be small; an unlocked secret is still wiped. */
    (void)mlock(p, map_len);
    mk_secret *s = p;
    s->map_len = map_len;
    s->cap = cap;
    s->len = 0;
    *out = s;
    return MK_OK;
}

MK_RESULT mk_secret_from(const void *data, size_t len, mk_secret **out)
{
    mk_secret *s = NULL;
    GUARD(mk_secret_new(len > 0 ? len : 1, &s));
    if (len > 0) {
        memcpy(s->data, data, len);
    }
    s->len = len;
    *out = s;
    return MK_OK;
}

void mk_secret_free(mk_secret *s)
{
    if (s == NULL) {
        return;
    }
    size_t map_len = s->map_len;
    OPENSSL_cleanse(s, map_len);
    (void)munlock(s, map_len);
    (void)munmap(s, map_len);
}

uint8_t *mk_secret_data(mk_secret *s) { return s->data; }
const uint8_t *mk_secret_cdata(const mk_secret *s) { return s->data; }
size_t mk_secret_len(const mk_secret *s) { return s->len; }
size_t mk_secret_cap(const mk_secret *s) { return s->cap; }

MK_RESULT mk_secret_set_len(mk_secret *s, size_t len)
{
    ENSURE_MSG(len <= s->cap, MK_E_BOUNDS, "secret length %zu over capacity", len);
    if (len < s->cap) {
        OPENSSL_cleanse(s->data + len, s->cap - len);
    }
    s->len = len;
    return MK_OK;
}

bool mk_secret_equal(const mk_secret *a, const mk_secret *b)
{
    if (a->len != b->len) {
        return false;
    }
    return CRYPTO_memcmp(a->data, b->data, a->len) == 0;
}

void mk_harden_process(void)
{
    struct rlimit none = {0, 0};
    (void)setrlimit(RLIMIT_CORE, &none);
    (void)prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
}
