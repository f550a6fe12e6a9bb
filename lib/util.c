/*  util.c - clocks, status names, and command-line value parsers.          */

#include "zlb/zlb.h"
#include "util.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

int64_t
zlb_time_ns (void)
{
    struct timespec now;
    clock_gettime (CLOCK_REALTIME, &now);
    return (int64_t) now.tv_sec * 1000000000 + now.tv_nsec;
}

int64_t
zlb_mono_ns (void)
{
    struct timespec now;
    clock_gettime (CLOCK_MONOTONIC, &now);
    return (int64_t) now.tv_sec * 1000000000 + now.tv_nsec;
}

const char *
zlb_status_text (int status)
{
    switch (status) {
        case ZLB_STATUS_OK:           return "ok";
        case ZLB_STATUS_BAD_REQUEST:  return "bad request";
        case ZLB_STATUS_TIMEOUT:      return "timeout";
        case ZLB_STATUS_TOO_LARGE:    return "too large";
        case ZLB_STATUS_NOT_ZLB:      return "reply not in zlb format";
        case ZLB_STATUS_WORKER_ERROR: return "worker error";
        case ZLB_STATUS_FAILED:       return "failed";
        case ZLB_STATUS_BUSY:         return "busy";
        case ZLB_STATUS_NO_WORKER:    return "no worker";
        default:                      return "unknown";
    }
}

int
zlb_parse_int64 (const char *text, int64_t min, int64_t max, int64_t *value)
{
    if (!text || !*text || isspace ((unsigned char) *text))
        return -1;
    char *end;
    errno = 0;
    long long parsed = strtoll (text, &end, 10);
    if (errno || *end || parsed < min || parsed > max)
        return -1;
    *value = parsed;
    return 0;
}

//  Split "250ms" into 250 and "ms"; the number must be whole and >= 0.
static int
s_number_and_unit (const char *text, int64_t *number, const char **unit)
{
    if (!text || !isdigit ((unsigned char) *text))
        return -1;
    char *end;
    errno = 0;
    long long parsed = strtoll (text, &end, 10);
    if (errno || parsed < 0)
        return -1;
    *number = parsed;
    *unit = end;
    return 0;
}

static int
s_scale (int64_t number, int64_t factor, int64_t *result)
{
    if (number > INT64_MAX / factor)
        return -1;
    *result = number * factor;
    return 0;
}

int
zlb_parse_duration_ms (const char *text, int64_t unit_ms, int64_t *ms)
{
    int64_t number;
    const char *unit;
    if (s_number_and_unit (text, &number, &unit))
        return -1;
    if (!*unit)            return s_scale (number, unit_ms, ms);
    if (streq (unit, "ms")) return s_scale (number, 1, ms);
    if (streq (unit, "s"))  return s_scale (number, 1000, ms);
    if (streq (unit, "m"))  return s_scale (number, 60000, ms);
    if (streq (unit, "h"))  return s_scale (number, 3600000, ms);
    return -1;
}

int
zlb_parse_size (const char *text, int64_t *bytes)
{
    int64_t number;
    const char *unit;
    if (s_number_and_unit (text, &number, &unit))
        return -1;
    if (!*unit || !strcasecmp (unit, "b"))
        return s_scale (number, 1, bytes);
    if (!strcasecmp (unit, "k") || !strcasecmp (unit, "kib") || !strcasecmp (unit, "kb"))
        return s_scale (number, 1024, bytes);
    if (!strcasecmp (unit, "m") || !strcasecmp (unit, "mib") || !strcasecmp (unit, "mb"))
        return s_scale (number, 1024 * 1024, bytes);
    if (!strcasecmp (unit, "g") || !strcasecmp (unit, "gib") || !strcasecmp (unit, "gb"))
        return s_scale (number, 1024 * 1024 * 1024, bytes);
    return -1;
}

char *
zlb_default_id (char *buf, size_t bufsize)
{
    char host [64] = "localhost";
    if (gethostname (host, sizeof host - 1) != 0)
        strcpy (host, "localhost");
    host [sizeof host - 1] = 0;
    char *dot = strchr (host, '.');
    if (dot)
        *dot = 0;                  //  short name keeps logs readable
    snprintf (buf, bufsize, "%s-%d", host, (int) getpid ());
    return buf;
}

int
zlb_frame_limit (size_t max_body)
{
    size_t limit = max_body + 64 * 1024;
    return limit > INT32_MAX || limit < max_body ? INT32_MAX : (int) limit;
}

size_t
zlb_utc_timestamp (char *buf, size_t size, bool micros)
{
    struct timespec now;
    clock_gettime (CLOCK_REALTIME, &now);
    struct tm tm;
    gmtime_r (&now.tv_sec, &tm);
    size_t len = strftime (buf, size, "%Y-%m-%dT%H:%M:%S", &tm);
    if (micros)
        len += snprintf (buf + len, size - len, ".%06ldZ", now.tv_nsec / 1000);
    else
        len += snprintf (buf + len, size - len, "Z");
    return len < size ? len : size - 1;
}
