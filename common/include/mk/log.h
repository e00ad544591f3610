/*
 * Leveled logging to stderr or syslog.
 *
 * Messages are single lines: control characters in the formatted text are
 * escaped so that hostile input cannot forge log lines. Callers never pass
 * secrets (there is no formatter for mk_secret). The level comes from
 * mk_log_set_level or the MIRRORKEY_LOG_LEVEL environment variable
 * (error, warn, info, debug).
 */
#ifndef MK_LOG_H
#define MK_LOG_H

#include <stdbool.h>

#include "mk/result.h"

typedef enum mk_log_level {
    MK_LOG_ERROR = 0,
    MK_LOG_WARN = 1,
    MK_LOG_INFO = 2,
    MK_LOG_DEBUG = 3,
} mk_log_level;

void mk_log_set_level(mk_log_level level);
mk_log_level mk_log_get_level(void);
bool mk_log_enabled(mk_log_level level);
/* Parse "error|warn|info|debug"; MK_E_INVALID otherwise. */
MK_RESULT mk_log_parse_level(const char *name, mk_log_level *out);
/* Send to syslog (ident) instead of stderr; NULL returns to stderr. */
void mk_log_use_syslog(const char *ident);

void mk_log(mk_log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Log the current thread's mk_result error at the given level with a prefix. */
void mk_log_error_result(mk_log_level level, const char *what);

#define MK_LOG_ERR(...) mk_log(MK_LOG_ERROR, __VA_ARGS__)
#define MK_LOG_WARN(...) mk_log(MK_LOG_WARN, __VA_ARGS__)
#define MK_LOG_INFO(...) mk_log(MK_LOG_INFO, __VA_ARGS__)
#define MK_LOG_DEBUG(...)                                                                          \
    do {                                                                                           \
        if (mk_log_enabled(MK_LOG_DEBUG)) {                                                        \
            mk_log(MK_LOG_DEBUG, __VA_ARGS__);                                                     \
        }                                                                                          \
    } while (0)

#endif
