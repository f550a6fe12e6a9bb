/*  log.c - line-oriented logs: one write(2) per line on an O_APPEND file.  */

#include "zlb/zlb.h"

#include <errno.h>
#include <inttypes.h>
#include <strings.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#define LINE_MAX_BYTES 2048       //  longer lines are cut, never split

struct _zlb_log_t {
    char *path;                   //  file path, NULL for stderr
    int fd;                       //  where lines go
    zlb_log_level_t level;        //  lines above this level are skipped
    zlb_log_format_t format;      //  text or JSON lines
    char prefix[96];              //  "component[id]"
    char component[32];           //  for JSON lines
    char id[72];                  //  for JSON lines
};

static const char *s_level_names[] = {"ERROR", "WARNING", "NOTICE", "INFO", "DEBUG"};
static const char *s_level_words[] = {"error", "warning", "notice", "info", "debug"};

static int
s_open (const char *path)
{
    if (!path)
        return STDERR_FILENO;
    return open (path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
}

zlb_log_t *
zlb_log_new (const char *path, const char *component, const char *id, zlb_log_level_t level)
{
    if (path && streq (path, "-"))
        path = NULL;
    zlb_log_t *self = (zlb_log_t *) calloc (1, sizeof (zlb_log_t));
    if (!self)
        return NULL;
    self->path = path ? strdup (path) : NULL;
    self->fd = s_open (path);
    if (self->fd < 0 || (path && !self->path)) {
        int saved = errno;
        zlb_log_destroy (&self);
        errno = saved;
        return NULL;
    }
    self->level = level;
    snprintf (self->prefix, sizeof self->prefix, "%s[%s]",
              component ? component : "zlb", id ? id : "-");
    snprintf (self->component, sizeof self->component, "%s", component ? component : "zlb");
    snprintf (self->id, sizeof self->id, "%s", id ? id : "-");
    return self;
}

void
zlb_log_destroy (zlb_log_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    zlb_log_t *self = *self_p;
    if (self->path && self->fd >= 0)
        close (self->fd);
    free (self->path);
    free (self);
    *self_p = NULL;
}

bool
zlb_log_enabled (const zlb_log_t *self, zlb_log_level_t level)
{
    return self && level <= self->level;
}

void
zlb_log_set_level (zlb_log_t *self, zlb_log_level_t level)
{
    if (self)
        self->level = level;
}

int
zlb_log_reopen (zlb_log_t *self)
{
    if (!self || !self->path)
        return 0;
    int fd = s_open (self->path);
    if (fd < 0)
        return -1;
    //  Swap in place so a concurrent writer never sees a closed descriptor.
    dup2 (fd, self->fd);
    close (fd);
    return 0;
}

//  "2026-11-27T08:22:51.123456Z" into buf (at least 28 bytes).
static size_t
s_timestamp (char *buf, size_t size)
{
    struct timespec now;
    clock_gettime (CLOCK_REALTIME, &now);
    struct tm tm;
    gmtime_r (&now.tv_sec, &tm);
    size_t len = strftime (buf, size, "%Y-%m-%dT%H:%M:%S", &tm);
    len += snprintf (buf + len, size - len, ".%06ldZ", now.tv_nsec / 1000);
    return len;
}

void
zlb_log_set_format (zlb_log_t *self, zlb_log_format_t format)
{
    if (self)
        self->format = format;
}

int
zlb_log_format_parse (const char *text, zlb_log_format_t *format)
{
    if (text && strcasecmp (text, "text") == 0)
        *format = ZLB_LOG_TEXT;
    else
    if (text && strcasecmp (text, "json") == 0)
        *format = ZLB_LOG_JSON;
    else
        return -1;
    return 0;
}

//  A bounded JSON line under construction; full stays set once a piece
//  did not fit, so the line is cut between members, never inside one.
typedef struct {
    char *data;
    size_t size;                  //  bytes used
    size_t limit;                 //  bytes usable (room for the tail kept aside)
    bool full;
} s_json_t;

static void
s_json_raw (s_json_t *json, const char *text, size_t size)
{
    if (json->full || size > json->limit - json->size) {
        json->full = true;
        return;
    }
    memcpy (json->data + json->size, text, size);
    json->size += size;
}

//  A JSON string from size bytes of text, escaped.
static void
s_json_string (s_json_t *json, const char *text, size_t size)
{
    s_json_raw (json, "\"", 1);
    for (size_t index = 0; index < size && !json->full; index++) {
        unsigned char c = (unsigned char) text [index];
        char escaped [8];
        if (c == '"' || c == '\\') {
            escaped [0] = '\\';
            escaped [1] = (char) c;
            s_json_raw (json, escaped, 2);
        }
        else
        if (c < 0x20) {
            snprintf (escaped, sizeof escaped, "\\u%04x", c);
            s_json_raw (json, escaped, 6);
        }
        else
            s_json_raw (json, (const char *) &c, 1);
    }
    s_json_raw (json, "\"", 1);
}

//  True when text is a JSON number (no leading zeros, optional fraction).
static bool
s_json_number (const char *text, size_t size)
{
    size_t index = 0;
    if (index < size && text [index] == '-')
        index++;
    size_t digits = index;
    while (index < size && text [index] >= '0' && text [index] <= '9')
        index++;
    if (index == digits || (text [digits] == '0' && index - digits > 1))
        return false;
    if (index < size && text [index] == '.') {
        size_t fraction = ++index;
        while (index < size && text [index] >= '0' && text [index] <= '9')
            index++;
        if (index == fraction)
            return false;
    }
    return index == size;
}

static void
s_json_member (s_json_t *json, const char *key, size_t key_size,
               const char *value, size_t value_size, bool quoted)
{
    size_t start = json->size;
    s_json_raw (json, ",", 1);
    s_json_string (json, key, key_size);
    s_json_raw (json, ":", 1);
    if (!quoted && s_json_number (value, value_size))
        s_json_raw (json, value, value_size);
    else
        s_json_string (json, value, value_size);
    if (json->full)
        json->size = start;       //  all of a member or none of it
}

//  key=value fields (values may be "quoted text") to JSON members. Text
//  that is not key=value goes into a "text" member.
static void
s_json_fields (s_json_t *json, const char *fields)
{
    const char *cursor = fields;
    while (*cursor) {
        while (*cursor == ' ')
            cursor++;
        const char *key = cursor;
        while (*cursor && *cursor != '=' && *cursor != ' ')
            cursor++;
        if (*cursor != '=' || cursor == key) {
            s_json_member (json, "text", 4, key, strlen (key), true);
            return;
        }
        size_t key_size = (size_t) (cursor - key);
        const char *value = ++cursor;
        bool quoted = *value == '"';
        if (quoted) {
            //  The closing quote is the one followed by a space or the end.
            value++;
            cursor = value;
            while (*cursor && !(cursor [0] == '"' && (cursor [1] == ' ' || !cursor [1])))
                cursor++;
        }
        else
            while (*cursor && *cursor != ' ')
                cursor++;
        s_json_member (json, key, key_size, value, (size_t) (cursor - value), quoted);
        if (quoted && *cursor == '"')
            cursor++;
    }
}

static void
s_json_write (zlb_log_t *self, zlb_log_level_t level, const char *event,
              const char *fmt, va_list args)
{
    char fields [LINE_MAX_BYTES] = "";
    if (fmt && *fmt)
        vsnprintf (fields, sizeof fields, fmt, args);
    char line [LINE_MAX_BYTES * 2];
    //  Keep room for ',"cut":true}' and the newline.
    s_json_t json = {line, 0, sizeof line - 16, false};
    char stamp [40];
    size_t stamp_size = s_timestamp (stamp, sizeof stamp);
    s_json_raw (&json, "{\"ts\":", 6);
    s_json_string (&json, stamp, stamp_size);
    s_json_member (&json, "level", 5, s_level_words [level], strlen (s_level_words [level]), true);
    s_json_member (&json, "component", 9, self->component, strlen (self->component), true);
    //  "instance", not "id": many events have an id field of their own.
    s_json_member (&json, "instance", 8, self->id, strlen (self->id), true);
    s_json_member (&json, "event", 5, event, strlen (event), true);
    s_json_fields (&json, fields);
    //  A cut line stays valid JSON: drop the partial member, say so.
    if (json.full) {
        json.full = false;
        json.limit = sizeof line;
        s_json_raw (&json, ",\"cut\":true", 11);
    }
    json.limit = sizeof line;
    s_json_raw (&json, "}\n", 2);
    ssize_t rc = write (self->fd, line, json.size);
    (void) rc;
}

static void
s_vwrite (zlb_log_t *self, zlb_log_level_t level, const char *event,
          const char *fmt, va_list args)
{
    if (self->format == ZLB_LOG_JSON) {
        s_json_write (self, level, event, fmt, args);
        return;
    }
    char line [LINE_MAX_BYTES];
    size_t len = s_timestamp (line, sizeof line);
    len += snprintf (line + len, sizeof line - len, " %-7s %s %s",
                     s_level_names [level], self->prefix, event);
    if (fmt && *fmt && len < sizeof line - 2) {
        line [len++] = ' ';
        int added = vsnprintf (line + len, sizeof line - len, fmt, args);
        if (added > 0)
            len += (size_t) added;
    }
    if (len > sizeof line - 1)
        len = sizeof line - 1;     //  cut: keep the newline and one write
    line [len++] = '\n';
    ssize_t rc = write (self->fd, line, len);
    (void) rc;                     //  a log that cannot be written is not worth dying for
}

void
zlb_log_write (zlb_log_t *self, zlb_log_level_t level, const char *event,
               const char *fmt, ...)
{
    if (!zlb_log_enabled (self, level))
        return;
    va_list args;
    va_start (args, fmt);
    s_vwrite (self, level, event, fmt, args);
    va_end (args);
}

int
zlb_log_level_parse (const char *text, zlb_log_level_t *level)
{
    for (int index = 0; text && index <= ZLB_LOG_DEBUG; index++)
        if (strcasecmp (text, s_level_words [index]) == 0
        ||  strcasecmp (text, s_level_names [index]) == 0) {
            *level = (zlb_log_level_t) index;
            return 0;
        }
    return -1;
}

//  Returns true when a line may be written now; reports suppression on the
//  first line of a new window.
static bool
s_limit_allows (zlb_log_t *self, zlb_ratelimit_t *limit, zlb_log_level_t level)
{
    int64_t now = zlb_mono_ns () / 1000000;
    int burst = limit->burst > 0 ? limit->burst : 10;
    if (now - limit->window_start >= 1000) {
        if (limit->suppressed)
            zlb_log_write (self, level, "log_suppressed", "lines=%" PRIu64,
                           limit->suppressed);
        limit->window_start = now;
        limit->used = 0;
        limit->suppressed = 0;
    }
    if (limit->used >= burst) {
        limit->suppressed++;
        return false;
    }
    limit->used++;
    return true;
}

void
zlb_log_limited (zlb_log_t *self, zlb_ratelimit_t *limit, zlb_log_level_t level,
                 const char *event, const char *fmt, ...)
{
    if (!zlb_log_enabled (self, level) || !s_limit_allows (self, limit, level))
        return;
    va_list args;
    va_start (args, fmt);
    s_vwrite (self, level, event, fmt, args);
    va_end (args);
}
