/*
 * Arena for token values and AST nodes of one batch (see internal.h).
 *
 * A parse makes many small allocations that all die together, and some of
 * them are passwords: one arena makes freeing trivially correct and lets the
 * wipe cover every byte the batch ever held.
 */
#include "internal.h"

#include <stdalign.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#define SQL_CHUNK_MIN ((size_t)16 * 1024)

struct sql_chunk {
    sql_chunk *next;
    size_t size; /* bytes in data */
    size_t used;
    max_align_t data[];
};

void (*sql_arena_free_hook)(const void *mem, size_t len) = NULL;

void sql_arena_init(sql_arena *a)
{
    a->head = NULL;
    a->total = 0;
}

void sql_arena_cleanup(sql_arena *a)
{
    sql_chunk *c = a->head;
    while (c != NULL) {
        sql_chunk *next = c->next;
        OPENSSL_cleanse(c->data, c->size);
        if (sql_arena_free_hook != NULL) {
            sql_arena_free_hook(c->data, c->size);
        }
        free(c);
        c = next;
    }
    a->head = NULL;
    a->total = 0;
}

static MK_RESULT arena_grow(sql_arena *a, size_t n)
{
    size_t size = n > SQL_CHUNK_MIN ? n : SQL_CHUNK_MIN;
    ENSURE_MSG(size <= SQL_ARENA_MAX && a->total <= SQL_ARENA_MAX - size, MK_E_TOOBIG,
               "batch needs more than %zu bytes of parse memory", SQL_ARENA_MAX);
    sql_chunk *c = calloc(1, sizeof(*c) + size);
    ENSURE(c != NULL, MK_E_NOMEM);
    c->size = size;
    c->next = a->head;
    a->head = c;
    a->total += size;
    return MK_OK;
}

MK_RESULT sql_arena_alloc(sql_arena *a, size_t n, void **out)
{
    const size_t align = alignof(max_align_t);
    *out = NULL;
    ENSURE_MSG(n <= SQL_ARENA_MAX, MK_E_TOOBIG, "allocation of %zu bytes over the arena cap", n);
    size_t need = n == 0 ? align : (n + align - 1) / align * align;
    if (a->head == NULL || a->head->size - a->head->used < need) {
        GUARD(arena_grow(a, need));
    }
    sql_chunk *c = a->head;
    *out = (unsigned char *)c->data + c->used;
    c->used += need;
    return MK_OK;
}

MK_RESULT sql_arena_strndup(sql_arena *a, const char *s, size_t n, char **out)
{
    void *p = NULL;
    *out = NULL;
    ENSURE(n < SQL_ARENA_MAX, MK_E_TOOBIG);
    GUARD(sql_arena_alloc(a, n + 1, &p));
    if (n > 0) {
        memcpy(p, s, n);
    }
    *out = p; /* the arena zeroes memory, so the NUL is already there */
    return MK_OK;
}

MK_RESULT sql_vec_push(sql_arena *a, sql_vec *vec, const void *item)
{
    if (vec->n == vec->cap) {
        ENSURE_MSG(vec->cap < SQL_MAX_LIST, MK_E_TOOBIG, "list longer than %zu items",
                   SQL_MAX_LIST);
        size_t cap = vec->cap != 0 ? vec->cap * 2 : 8;
        if (cap > SQL_MAX_LIST) {
            cap = SQL_MAX_LIST;
        }
        void *p = NULL;
        GUARD(sql_arena_alloc(a, cap * sizeof(const void *), &p));
        if (vec->n > 0) {
            memcpy(p, vec->v, vec->n * sizeof(const void *));
        }
        vec->v = p;
        vec->cap = cap;
    }
    vec->v[vec->n++] = item;
    return MK_OK;
}
