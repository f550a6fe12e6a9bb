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
    char prefix[96];              //  "component[id]"
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

static void
s_vwrite (zlb_log_t *self, zlb_log_level_t level, const char *event,
          const char *fmt, va_list args)
{
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
