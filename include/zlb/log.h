/*  zlb/log.h - line-oriented, human-readable logs.

    One line per event:
        2026-11-27T08:22:51.123456Z INFO    broker[main] worker_ready worker=w1 service=echo
    time (UTC, microseconds), level, component[id], event name, key=value fields.
    Fields are typed (zlb_log_kv): a string value is written bare when it is
    plain printable ASCII, else quoted with every quote, backslash, control
    byte and invalid UTF-8 byte escaped, so text from peers (worker ids,
    services, error texts) can never end its field early or start a line.
    Each line is written with one write(2) on an O_APPEND descriptor, so several
    processes (or threads) may share one file without tearing lines.
    The zlb_log macro checks the level before formatting anything, so a
    disabled level costs one comparison.                                     */

#ifndef ZLB_LOG_H_INCLUDED
#define ZLB_LOG_H_INCLUDED

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>

typedef enum {
    ZLB_LOG_ERROR = 0,
    ZLB_LOG_WARNING,
    ZLB_LOG_NOTICE,
    ZLB_LOG_INFO,
    ZLB_LOG_DEBUG
} zlb_log_level_t;

typedef struct _zlb_log_t zlb_log_t;

//  Open a log. path NULL or "-" writes to stderr. component and id name the
//  writer on every line ("broker", "main"; NULL: "zlb", "-"). Returns NULL
//  and sets errno if the file cannot be opened. A NULL log is a silent one:
//  every function below accepts it and does nothing.
zlb_log_t *zlb_log_new (const char *path, const char *component, const char *id,
                        zlb_log_level_t level);

//  Close the log; safe on NULL, on a pointer to NULL, and twice.
void zlb_log_destroy (zlb_log_t **self_p);

//  True when lines of this level are written.
bool zlb_log_enabled (const zlb_log_t *self, zlb_log_level_t level);

//  Change the threshold at run time.
void zlb_log_set_level (zlb_log_t *self, zlb_log_level_t level);

//  Reopen the file by path (after logrotate moved it). 0 on success (also
//  for stderr and a NULL log: nothing to reopen), -1 with errno.
int zlb_log_reopen (zlb_log_t *self);

//  Line formats. JSON writes one object per line for log shippers:
//    {"ts":"2026-11-27T08:22:51.123456Z","level":"info","component":"broker",
//     "instance":"main","event":"worker_join","worker":"w1#1","service":"echo"}
//  Typed fields become members of their type: strings are always strings
//  (valid JSON for any bytes: controls escaped, invalid UTF-8 replaced by
//  U+FFFD), numbers numbers. The printf form's key=value text is split
//  into members; values that look like numbers become numbers.
typedef enum {
    ZLB_LOG_TEXT = 0,
    ZLB_LOG_JSON
} zlb_log_format_t;

void zlb_log_set_format (zlb_log_t *self, zlb_log_format_t format);

//  Parse "text" or "json". 0 on success, -1 with errno EINVAL if unknown
//  or either argument is NULL.
int zlb_log_format_parse (const char *text, zlb_log_format_t *format);

//  --------------------------------------------------------------------------
//  Typed fields: the way to log anything a peer or a user supplied.
//
//      zlb_log_kv (log, ZLB_LOG_INFO, "worker_join",
//                  ZLB_STR ("worker", name), ZLB_UINT ("workers", count));
//
//  The macro checks the level before it evaluates any field.

typedef enum {
    ZLB_FIELD_STR,                //  NUL-terminated text (NULL prints as "-")
    ZLB_FIELD_BYTES,              //  size bytes of text, not terminated
    ZLB_FIELD_INT,                //  signed integer
    ZLB_FIELD_UINT                //  unsigned integer
} zlb_log_field_type_t;

typedef struct {
    const char *key;              //  a constant snake_case name from our code
    zlb_log_field_type_t type;
    union {
        const char *text;         //  STR, BYTES
        int64_t number;           //  INT
        uint64_t unsigned_number; //  UINT
    } value;
    size_t size;                  //  BYTES: length of text
} zlb_log_field_t;

#define ZLB_STR(k_, v_)       { (k_), ZLB_FIELD_STR, { .text = (v_) }, 0 }
#define ZLB_BYTES(k_, v_, n_) { (k_), ZLB_FIELD_BYTES, { .text = (const char *) (v_) }, (n_) }
#define ZLB_INT(k_, v_)       { (k_), ZLB_FIELD_INT, { .number = (int64_t) (v_) }, 0 }
#define ZLB_UINT(k_, v_)      { (k_), ZLB_FIELD_UINT, { .unsigned_number = (uint64_t) (v_) }, 0 }

//  Write one line of count typed fields (event NULL: "-"; fields NULL: none).
//  Prefer the zlb_log_kv macro.
void zlb_log_fields (zlb_log_t *self, zlb_log_level_t level, const char *event,
                     const zlb_log_field_t *fields, size_t count);

#define zlb_log_kv(log, level, event, ...)                                   \
    do {                                                                     \
        if (zlb_log_enabled ((log), (level))) {                              \
            const zlb_log_field_t zlb_fields_ [] = { __VA_ARGS__ };          \
            zlb_log_fields ((log), (level), (event), zlb_fields_,            \
                            sizeof zlb_fields_ / sizeof zlb_fields_ [0]);    \
        }                                                                    \
    } while (0)

//  --------------------------------------------------------------------------
//  printf form, for text that is all ours (numbers, constants, our own
//  configuration). Never pass it a peer's text: use zlb_log_kv. In text
//  lines, control bytes and invalid UTF-8 are escaped all the same.
//
//  Write one line. event is a short snake_case name; fmt/... give the
//  key=value fields (may be NULL for none). Prefer the zlb_log macro.
void zlb_log_write (zlb_log_t *self, zlb_log_level_t level, const char *event,
                    const char *fmt, ...) __attribute__ ((format (printf, 4, 5)));

#define zlb_log(log, level, event, ...)                                  \
    do {                                                                 \
        if (zlb_log_enabled ((log), (level)))                            \
            zlb_log_write ((log), (level), (event), __VA_ARGS__);        \
    } while (0)

//  Parse "error", "warning", "notice", "info", "debug". 0 on success, -1
//  with errno EINVAL if unknown or either argument is NULL.
int zlb_log_level_parse (const char *text, zlb_log_level_t *level);

//  Rate limiter for warnings about bad input, so a flood of garbage cannot
//  fill the disk: at most `burst` lines per second; the first line after a
//  quiet second reports how many were suppressed. Zero-initialise, then set burst.
typedef struct {
    int burst;             //  lines allowed per second (0 means 10)
    int64_t window_start;  //  start of the current one-second window, ms
    int used;              //  lines written in this window
    uint64_t suppressed;   //  lines dropped since the last one written
    const char *source;    //  names the limiter in log_suppressed lines (may be NULL)
} zlb_ratelimit_t;

//  Report the lines a limiter dropped once its second is over (or now, when
//  force), instead of at its next line, which may never come. For a timer.
//  limit NULL: nothing. In the two below, a NULL limit means no limit.
void zlb_log_limit_flush (zlb_log_t *self, zlb_ratelimit_t *limit, bool force);

//  Like zlb_log_write, but subject to the limiter. Checks the level first.
void zlb_log_limited (zlb_log_t *self, zlb_ratelimit_t *limit, zlb_log_level_t level,
                      const char *event, const char *fmt, ...)
    __attribute__ ((format (printf, 5, 6)));

//  Like zlb_log_fields, but subject to the limiter.
void zlb_log_fields_limited (zlb_log_t *self, zlb_ratelimit_t *limit, zlb_log_level_t level,
                             const char *event, const zlb_log_field_t *fields, size_t count);

#define zlb_log_kv_limited(log, limit, level, event, ...)                    \
    do {                                                                     \
        if (zlb_log_enabled ((log), (level))) {                              \
            const zlb_log_field_t zlb_fields_ [] = { __VA_ARGS__ };          \
            zlb_log_fields_limited ((log), (limit), (level), (event),        \
                                    zlb_fields_,                             \
                                    sizeof zlb_fields_ / sizeof zlb_fields_ [0]); \
        }                                                                    \
    } while (0)

#endif
