/*
 * Leveled, single-line, injection-safe logging (see mk/log.h).
 */
#include "mk/log.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <syslog.h>
#include <time.h>

#define MK_LOG_LINE_MAX 1024

static atomic_int log_level = -1;
static atomic_bool log_syslog = false;
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;

static const char *const level_names[] = {"error", "warn", "info", "debug"};

MK_RESULT mk_log_parse_level(const char *name, mk_log_level *out)
{
    for (int i = 0; i <= MK_LOG_DEBUG; i++) {
        if (name != NULL && strcasecmp(name, level_names[i]) == 0) {
            *out = (mk_log_level)i;
            return MK_OK;
        }
    }
    BAIL_MSG(MK_E_INVALID, "unknown log level (use error, warn, info or debug)");
}

void mk_log_set_level(mk_log_level level) { atomic_store(&log_level, (int)level); }

mk_log_level mk_log_get_level(void)
{
    int lvl = atomic_load(&log_level);
    if (lvl < 0) {
        mk_log_level parsed = MK_LOG_INFO;
        const char *env = getenv("MIRRORKEY_LOG_LEVEL");
        if (env != NULL && mk_failed(mk_log_parse_level(env, &parsed))) {
            parsed = MK_LOG_INFO;
        }
        lvl = (int)parsed;
        atomic_store(&log_level, lvl);
    }
    return (mk_log_level)lvl;
}

bool mk_log_enabled(mk_log_level level) { return (int)level <= (int)mk_log_get_level(); }

void mk_log_use_syslog(const char *ident)
{
    if (ident != NULL) {
        openlog(ident, LOG_PID | LOG_NDELAY, LOG_DAEMON);
        atomic_store(&log_syslog, true);
    } else {
        atomic_store(&log_syslog, false);
        closelog();
    }
}

/* Copy src into dst escaping control bytes as \xNN; always NUL-terminates. */
static void escape_line(char *dst, size_t dst_len, const char *src)
{
    static const char hex[] = "0123456789abcdef";
    size_t o = 0;
    for (size_t i = 0; src[i] != '\0' && o + 5 < dst_len; i++) {
        unsigned char ch = (unsigned char)src[i];
        if (ch < 0x20 || ch == 0x7f) {
            dst[o++] = '\\';
            dst[o++] = 'x';
            dst[o++] = hex[ch >> 4];
            dst[o++] = hex[ch & 0xf];
        } else {
            dst[o++] = (char)ch;
        }
    }
    dst[o] = '\0';
}

void mk_log(mk_log_level level, const char *fmt, ...)
{
    if (!mk_log_enabled(level)) {
        return;
    }
    char raw[MK_LOG_LINE_MAX];
    char line[MK_LOG_LINE_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(raw, sizeof(raw), fmt, ap);
    va_end(ap);
    escape_line(line, sizeof(line), raw);

    if (atomic_load(&log_syslog)) {
        static const int prio[] = {LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG};
        syslog(prio[level], "%s", line);
        return;
    }
    struct timespec ts;
    struct tm tm;
    char stamp[32];
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm);
    pthread_mutex_lock(&log_lock);
    fprintf(stderr, "%s.%03ldZ %s: %s\n", stamp, ts.tv_nsec / 1000000L, level_names[level], line);
    fflush(stderr);
    pthread_mutex_unlock(&log_lock);
}

void mk_log_error_result(mk_log_level level, const char *what)
{
    if (mk_log_enabled(MK_LOG_DEBUG)) {
        mk_log(level, "%s: %s (%s:%d)", what, mk_error_message(), mk_error_file(), mk_error_line());
    } else {
        mk_log(level, "%s: %s", what, mk_error_message());
    }
}
