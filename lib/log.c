/*  log.c - line-oriented logs: one write(2) per line on an O_APPEND file.  */

#include "zlb/zlb.h"
#include "escape.h"
#include "util.h"

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

void
zlb_log_set_format (zlb_log_t *self, zlb_log_format_t format)
{
    if (self)
        self->format = format;
}

int
zlb_log_format_parse (const char *text, zlb_log_format_t *format)
{
    if (text && format && strcasecmp (text, "text") == 0)
        *format = ZLB_LOG_TEXT;
    else
    if (text && format && strcasecmp (text, "json") == 0)
        *format = ZLB_LOG_JSON;
    else {
        errno = EINVAL;
        return -1;
    }
    return 0;
}

//  --------------------------------------------------------------------------
//  Building a line. Each piece goes in whole or not at all (zlb_buf_t);
//  a field that does not fit is taken out again, so a long line is cut
//  between fields, never inside one, and says so with cut=true.

#define S_TAIL_ROOM 16            //  kept for the cut marker and the line end

typedef struct {
    char data [LINE_MAX_BYTES * 2];   //  JSON escapes take more room
    zlb_buf_t buf;
    bool json;                    //  a JSON object, else a text line
    bool cut;                     //  a field was left out
} s_line_t;

//  A JSON string member value or key: quoted, escaped.
static void
s_json_string (zlb_buf_t *buf, const char *text, size_t size)
{
    zlb_buf_put (buf, "\"", 1);
    zlb_escape_json (buf, text, size);
    zlb_buf_put (buf, "\"", 1);
}

//  Begin a field: ` key=` or `,"key":`.
static void
s_key (s_line_t *line, const char *key)
{
    if (line->json) {
        zlb_buf_put (&line->buf, ",", 1);
        s_json_string (&line->buf, key, strlen (key));
        zlb_buf_put (&line->buf, ":", 1);
    }
    else {
        zlb_buf_put (&line->buf, " ", 1);
        zlb_buf_puts (&line->buf, key);
        zlb_buf_put (&line->buf, "=", 1);
    }
}

//  A text value: bare when plain, else quoted and escaped.
static void
s_text_value (zlb_buf_t *buf, const char *text, size_t size)
{
    if (zlb_text_bare (text, size)) {
        zlb_buf_put (buf, text, size);
        return;
    }
    zlb_buf_put (buf, "\"", 1);
    zlb_escape_text (buf, text, size, true);
    zlb_buf_put (buf, "\"", 1);
}

static void
s_string_value (s_line_t *line, const char *text, size_t size)
{
    if (line->json)
        s_json_string (&line->buf, text, size);
    else
        s_text_value (&line->buf, text, size);
}

//  Close a field: keep it if it fit, else take it out and remember the cut.
static void
s_field_end (s_line_t *line, size_t start)
{
    if (line->buf.full) {
        line->buf.size = start;
        line->buf.full = false;
        line->cut = true;
    }
}

static void
s_field (s_line_t *line, const zlb_log_field_t *field)
{
    if (line->cut)
        return;                   //  the fields after a cut one are cut too
    size_t start = line->buf.size;
    char number [24];
    s_key (line, field->key ? field->key : "?");
    switch (field->type) {
        case ZLB_FIELD_INT:
            snprintf (number, sizeof number, "%" PRId64, field->value.number);
            zlb_buf_puts (&line->buf, number);
            break;
        case ZLB_FIELD_UINT:
            snprintf (number, sizeof number, "%" PRIu64, field->value.unsigned_number);
            zlb_buf_puts (&line->buf, number);
            break;
        case ZLB_FIELD_BYTES:
            s_string_value (line, field->value.text ? field->value.text : "",
                            field->value.text ? field->size : 0);
            break;
        default: {
            const char *text = field->value.text ? field->value.text : "-";
            s_string_value (line, text, strlen (text));
        }
    }
    s_field_end (line, start);
}

//  Timestamp, level, who, event: the start of every line.
static void
s_head (zlb_log_t *self, s_line_t *line, zlb_log_level_t level, const char *event)
{
    if (!event)
        event = "-";
    line->json = self->format == ZLB_LOG_JSON;
    size_t room = line->json ? sizeof line->data : LINE_MAX_BYTES;
    line->buf = (zlb_buf_t) {line->data, 0, room - S_TAIL_ROOM, false};
    line->cut = false;
    char stamp [40];
    size_t stamp_size = zlb_utc_timestamp (stamp, sizeof stamp, true);
    if (!line->json) {
        char head [LINE_MAX_BYTES / 2];
        int size = snprintf (head, sizeof head, " %-7s %s ", s_level_names [level],
                             self->prefix);
        zlb_buf_put (&line->buf, stamp, stamp_size);
        zlb_buf_put (&line->buf, head, size > 0 ? (size_t) size : 0);
        zlb_escape_text (&line->buf, event, strlen (event), true);
        return;
    }
    zlb_buf_put (&line->buf, "{\"ts\":", 6);
    s_json_string (&line->buf, stamp, stamp_size);
    const zlb_log_field_t head [] = {
        ZLB_STR ("level", s_level_words [level]),
        ZLB_STR ("component", self->component),
        //  "instance", not "id": many events have an id field of their own.
        ZLB_STR ("instance", self->id),
        ZLB_STR ("event", event)
    };
    for (size_t index = 0; index < sizeof head / sizeof head [0]; index++)
        s_field (line, &head [index]);
}

//  Cut marker, line end, one write(2).
static void
s_finish (zlb_log_t *self, s_line_t *line)
{
    line->buf.limit = sizeof line->data;
    if (line->cut)
        zlb_buf_puts (&line->buf, line->json ? ",\"cut\":true" : " cut=true");
    zlb_buf_puts (&line->buf, line->json ? "}\n" : "\n");
    ssize_t rc = write (self->fd, line->data, line->buf.size);
    (void) rc;                     //  a log that cannot be written is not worth dying for
}

static void
s_write_fields (zlb_log_t *self, zlb_log_level_t level, const char *event,
                const zlb_log_field_t *fields, size_t count)
{
    s_line_t line;
    s_head (self, &line, level, event);
    for (size_t index = 0; fields && index < count; index++)
        s_field (&line, &fields [index]);
    s_finish (self, &line);
}

void
zlb_log_fields (zlb_log_t *self, zlb_log_level_t level, const char *event,
                const zlb_log_field_t *fields, size_t count)
{
    if (zlb_log_enabled (self, level))
        s_write_fields (self, level, event, fields, count);
}

//  --------------------------------------------------------------------------
//  The printf form. Its text is ours, but its values may still hold a
//  control byte (strerror never does; a bug might): text lines escape those,
//  JSON lines split the key=value text into members.

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

//  One key=value pair of printf text as a JSON member.
static void
s_json_pair (s_line_t *line, const char *key, size_t key_size,
             const char *value, size_t value_size, bool quoted)
{
    if (line->cut)
        return;
    size_t start = line->buf.size;
    zlb_buf_put (&line->buf, ",", 1);
    s_json_string (&line->buf, key, key_size);
    zlb_buf_put (&line->buf, ":", 1);
    if (!quoted && s_json_number (value, value_size))
        zlb_buf_put (&line->buf, value, value_size);
    else
        s_json_string (&line->buf, value, value_size);
    s_field_end (line, start);
}

//  key=value fields (values may be "quoted text") to JSON members. Text
//  that is not key=value goes into a "text" member.
static void
s_json_printf_fields (s_line_t *line, const char *fields)
{
    const char *cursor = fields;
    while (*cursor) {
        while (*cursor == ' ')
            cursor++;
        const char *key = cursor;
        while (*cursor && *cursor != '=' && *cursor != ' ')
            cursor++;
        if (*cursor != '=' || cursor == key) {
            s_json_pair (line, "text", 4, key, strlen (key), true);
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
        s_json_pair (line, key, key_size, value, (size_t) (cursor - value), quoted);
        if (quoted && *cursor == '"')
            cursor++;
    }
}

static void
s_vwrite (zlb_log_t *self, zlb_log_level_t level, const char *event,
          const char *fmt, va_list args)
{
    char fields [LINE_MAX_BYTES] = "";
    if (fmt && *fmt)
        vsnprintf (fields, sizeof fields, fmt, args);
    s_line_t line;
    s_head (self, &line, level, event);
    if (line.json)
        s_json_printf_fields (&line, fields);
    else
    if (*fields) {
        zlb_buf_put (&line.buf, " ", 1);
        zlb_escape_text (&line.buf, fields, strlen (fields), false);
        if (line.buf.full) {       //  cut: keep what fitted
            line.buf.full = false;
            line.cut = true;
        }
    }
    s_finish (self, &line);
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
    for (int index = 0; text && level && index <= ZLB_LOG_DEBUG; index++)
        if (strcasecmp (text, s_level_words [index]) == 0
        ||  strcasecmp (text, s_level_names [index]) == 0) {
            *level = (zlb_log_level_t) index;
            return 0;
        }
    errno = EINVAL;
    return -1;
}

//  Ends the limiter's one-second window: reports the lines it dropped
//  (named by the limiter's source, if any) and opens a fresh window.
static void
s_limit_roll (zlb_log_t *self, zlb_ratelimit_t *limit, zlb_log_level_t level, int64_t now)
{
    if (limit->suppressed)
        zlb_log_kv (self, level, "log_suppressed", ZLB_UINT ("lines", limit->suppressed),
                    ZLB_STR ("source", limit->source ? limit->source : "-"));
    limit->window_start = now;
    limit->used = 0;
    limit->suppressed = 0;
}

//  Returns true when a line may be written now; reports suppression on the
//  first line of a new window.
static bool
s_limit_allows (zlb_log_t *self, zlb_ratelimit_t *limit, zlb_log_level_t level)
{
    if (!limit)
        return true;              //  no limiter: no limit
    int64_t now = zlb_mono_ns () / 1000000;
    int burst = limit->burst > 0 ? limit->burst : 10;
    if (now - limit->window_start >= 1000)
        s_limit_roll (self, limit, level, now);
    if (limit->used >= burst) {
        limit->suppressed++;
        return false;
    }
    limit->used++;
    return true;
}

void
zlb_log_limit_flush (zlb_log_t *self, zlb_ratelimit_t *limit, bool force)
{
    if (!limit)
        return;
    int64_t now = zlb_mono_ns () / 1000000;
    if (limit->suppressed && (force || now - limit->window_start >= 1000))
        s_limit_roll (self, limit, ZLB_LOG_WARNING, now);
}

void
zlb_log_fields_limited (zlb_log_t *self, zlb_ratelimit_t *limit, zlb_log_level_t level,
                        const char *event, const zlb_log_field_t *fields, size_t count)
{
    if (zlb_log_enabled (self, level) && s_limit_allows (self, limit, level))
        s_write_fields (self, level, event, fields, count);
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
