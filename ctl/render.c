/*  render.c - zlb-ctl output: JSON for scripts, aligned tables for people.

    The replies are msgpack maps (docs/protocol.md, "Introspection"). We
    never trust their shape: a missing or mistyped field prints as "-".
    Nor their text: strings go through lib/escape.c, so a worker id full
    of ESC/OSC bytes prints as \x1b... and JSON stays valid.              */

#include "render.h"
#include "escape.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define S_RATE_SLOTS 256          //  services whose request rate we follow
#define S_RATE_NAME  64           //  bytes of a service name kept for that

const msgpack_object *
ctl_get (const msgpack_object *obj, const char *key)
{
    if (!obj || obj->type != MSGPACK_OBJECT_MAP)
        return NULL;
    size_t size = strlen (key);
    for (uint32_t index = 0; index < obj->via.map.size; index++) {
        const msgpack_object_kv *kv = &obj->via.map.ptr [index];
        if (kv->key.type == MSGPACK_OBJECT_STR && kv->key.via.str.size == size
        &&  memcmp (kv->key.via.str.ptr, key, size) == 0)
            return &kv->val;
    }
    return NULL;
}

void
ctl_json (FILE *out, const msgpack_object *obj)
{
    switch (obj->type) {
        case MSGPACK_OBJECT_NIL: fputs ("null", out); break;
        case MSGPACK_OBJECT_BOOLEAN: fputs (obj->via.boolean ? "true" : "false", out); break;
        case MSGPACK_OBJECT_POSITIVE_INTEGER: fprintf (out, "%" PRIu64, obj->via.u64); break;
        case MSGPACK_OBJECT_NEGATIVE_INTEGER: fprintf (out, "%" PRId64, obj->via.i64); break;
        case MSGPACK_OBJECT_FLOAT32:
        case MSGPACK_OBJECT_FLOAT64: fprintf (out, "%.6f", obj->via.f64); break;
        case MSGPACK_OBJECT_STR: zlb_json_string_print (out, obj->via.str.ptr, obj->via.str.size); break;
        case MSGPACK_OBJECT_ARRAY:
            fputc ('[', out);
            for (uint32_t index = 0; index < obj->via.array.size; index++) {
                if (index)
                    fputc (',', out);
                ctl_json (out, &obj->via.array.ptr [index]);
            }
            fputc (']', out);
            break;
        case MSGPACK_OBJECT_MAP:
            fputc ('{', out);
            for (uint32_t index = 0; index < obj->via.map.size; index++) {
                if (index)
                    fputc (',', out);
                const msgpack_object_kv *kv = &obj->via.map.ptr [index];
                if (kv->key.type == MSGPACK_OBJECT_STR)
                    ctl_json (out, &kv->key);
                else
                    zlb_json_string_print (out, "?", 1);
                fputc (':', out);
                ctl_json (out, &kv->val);
            }
            fputc ('}', out);
            break;
        default: fputs ("null", out); break;   //  bin/ext: not in our schemas
    }
}

//  --------------------------------------------------------------------------
//  Cells

static void
s_text (FILE *out, const msgpack_object *obj, const char *key, int width)
{
    const msgpack_object *value = ctl_get (obj, key);
    char cell [256];
    if (value && value->type == MSGPACK_OBJECT_STR)
        fprintf (out, "%-*s ", width, zlb_printable (value->via.str.ptr, value->via.str.size,
                                                     cell, sizeof cell));
    else
        fprintf (out, "%-*s ", width, "-");
}

bool
ctl_uint_of (const msgpack_object *obj, const char *key, uint64_t *number)
{
    const msgpack_object *value = ctl_get (obj, key);
    if (!value || value->type != MSGPACK_OBJECT_POSITIVE_INTEGER)
        return false;
    *number = value->via.u64;
    return true;
}

static void
s_uint (FILE *out, const msgpack_object *obj, const char *key, int width)
{
    uint64_t number;
    if (ctl_uint_of (obj, key, &number))
        fprintf (out, "%*" PRIu64 " ", width, number);
    else
        fprintf (out, "%*s ", width, "-");
}

//  Seconds, shown in the unit that reads best: 850us, 12.3ms, 4.2s, 3m20s.
static void
s_seconds (FILE *out, const msgpack_object *obj, const char *key, int width)
{
    const msgpack_object *value = ctl_get (obj, key);
    char cell [32] = "-";
    if (value && (value->type == MSGPACK_OBJECT_FLOAT64 || value->type == MSGPACK_OBJECT_FLOAT32)) {
        double s = value->via.f64;
        if (s < 0.001)
            snprintf (cell, sizeof cell, "%.0fus", s * 1e6);
        else
        if (s < 1)
            snprintf (cell, sizeof cell, "%.1fms", s * 1e3);
        else
        if (s < 120)
            snprintf (cell, sizeof cell, "%.1fs", s);
        else
        if (s < 7200)
            snprintf (cell, sizeof cell, "%dm%02ds", (int) s / 60, (int) s % 60);
        else
            snprintf (cell, sizeof cell, "%dh%02dm", (int) s / 3600, ((int) s / 60) % 60);
    }
    fprintf (out, "%*s ", width, cell);
}

//  A duration cell, or "-" when there is nothing to measure (an empty
//  queue has no oldest wait; no replies yet, no service time).
static void
s_seconds_if (FILE *out, const msgpack_object *obj, const char *key, int width, bool data)
{
    if (data)
        s_seconds (out, obj, key, width);
    else
        fprintf (out, "%*s ", width, "-");
}

//  --------------------------------------------------------------------------
//  Request rates: requests per second between two snapshots of the same
//  service (watch). The previous counts live here, one slot per service.

typedef struct {
    char name [S_RATE_NAME + 1];  //  service name (truncated)
    int scope;                    //  which broker's table (ctl_rate_scope)
    uint64_t requests;            //  its request counter at `at`
    double at;                    //  monotonic seconds of that snapshot
} s_rate_t;

static s_rate_t s_rates [S_RATE_SLOTS];
static size_t s_rate_count;
static int s_scope;

void
ctl_rate_scope (int scope)
{
    s_scope = scope;
}

static double
s_now_s (void)
{
    struct timespec now;
    clock_gettime (CLOCK_MONOTONIC, &now);
    return (double) now.tv_sec + (double) now.tv_nsec / 1e9;
}

//  The slot of a service, a new one if there is room; NULL otherwise.
static s_rate_t *
s_rate_slot (const msgpack_object *row, bool *fresh)
{
    const msgpack_object *name = ctl_get (row, "service");
    if (!name || name->type != MSGPACK_OBJECT_STR)
        return NULL;
    char key [S_RATE_NAME + 1];
    snprintf (key, sizeof key, "%.*s", (int) name->via.str.size, name->via.str.ptr);
    *fresh = false;
    for (size_t index = 0; index < s_rate_count; index++)
        if (s_rates [index].scope == s_scope && strcmp (s_rates [index].name, key) == 0)
            return &s_rates [index];
    if (s_rate_count == S_RATE_SLOTS)
        return NULL;
    *fresh = true;
    s_rate_t *slot = &s_rates [s_rate_count++];
    snprintf (slot->name, sizeof slot->name, "%s", key);
    slot->scope = s_scope;
    return slot;
}

//  REQ/S since the last snapshot of this service; "-" the first time.
static void
s_rate (FILE *out, const msgpack_object *row, int width)
{
    uint64_t requests;
    bool fresh = true;
    s_rate_t *slot = ctl_uint_of (row, "requests", &requests) ? s_rate_slot (row, &fresh) : NULL;
    double now = s_now_s ();
    if (slot && !fresh && now > slot->at && requests >= slot->requests)
        fprintf (out, "%*.0f ", width, (double) (requests - slot->requests) / (now - slot->at));
    else
        fprintf (out, "%*s ", width, "-");
    if (slot) {
        slot->requests = requests;
        slot->at = now;
    }
}

//  --------------------------------------------------------------------------
//  Sorting array entries by a string field (then a second one)

static const char *s_sort_keys [2];

static int
s_field_cmp (const msgpack_object *a, const msgpack_object *b, const char *key)
{
    const msgpack_object *x = ctl_get (a, key), *y = ctl_get (b, key);
    if (!x || !y || x->type != MSGPACK_OBJECT_STR || y->type != MSGPACK_OBJECT_STR)
        return (x != NULL) - (y != NULL);
    size_t size = x->via.str.size < y->via.str.size ? x->via.str.size : y->via.str.size;
    int rc = memcmp (x->via.str.ptr, y->via.str.ptr, size);
    if (rc)
        return rc;
    return (x->via.str.size > y->via.str.size) - (x->via.str.size < y->via.str.size);
}

static int
s_compare (const void *a, const void *b)
{
    const msgpack_object *x = *(const msgpack_object **) a, *y = *(const msgpack_object **) b;
    int rc = s_field_cmp (x, y, s_sort_keys [0]);
    return rc || !s_sort_keys [1] ? rc : s_field_cmp (x, y, s_sort_keys [1]);
}

//  The entries of reply[list] sorted; caller frees. NULL with *count 0 if none.
static const msgpack_object **
s_sorted (const msgpack_object *reply, const char *list, const char *key1,
          const char *key2, uint32_t *count)
{
    const msgpack_object *array = ctl_get (reply, list);
    *count = 0;
    if (!array || array->type != MSGPACK_OBJECT_ARRAY || array->via.array.size == 0)
        return NULL;
    const msgpack_object **sorted = calloc (array->via.array.size, sizeof (*sorted));
    if (!sorted)
        return NULL;
    for (uint32_t index = 0; index < array->via.array.size; index++)
        sorted [index] = &array->via.array.ptr [index];
    s_sort_keys [0] = key1;
    s_sort_keys [1] = key2;
    qsort (sorted, array->via.array.size, sizeof (*sorted), s_compare);
    *count = array->via.array.size;
    return sorted;
}

//  --------------------------------------------------------------------------
//  Tables

//  "label value  " for a table-less line.
static void
s_pair (FILE *out, const char *label, const msgpack_object *obj, const char *key,
        bool seconds)
{
    fprintf (out, "%s ", label);
    if (seconds)
        s_seconds (out, obj, key, 0);
    else
        s_uint (out, obj, key, 0);
}

void
ctl_stats_table (FILE *out, const msgpack_object *stats)
{
    fputs ("broker ", out);
    s_text (out, stats, "version", 0);
    s_pair (out, " up", stats, "uptime_s", true);
    s_pair (out, " heartbeat_ms", stats, "heartbeat_ms", false);
    s_pair (out, " liveness", stats, "liveness", false);
    fputc ('\n', out);
    ctl_stats_counters (out, stats);
}

void
ctl_stats_counters (FILE *out, const msgpack_object *stats)
{
    uint64_t errors = 0, number;
    const char *kinds [] = {"busy", "deadline", "failed", "too_large", "bad_request"};
    for (size_t index = 0; index < sizeof (kinds) / sizeof (kinds [0]); index++)
        if (ctl_uint_of (stats, kinds [index], &number))
            errors += number;
    s_pair (out, "workers", stats, "workers", false);
    s_pair (out, " services", stats, "services", false);
    s_pair (out, " queued", stats, "queued", false);
    s_pair (out, " joined", stats, "workers_seen", false);
    s_pair (out, " expired", stats, "expired", false);
    fputc ('\n', out);
    s_pair (out, "requests", stats, "requests", false);
    s_pair (out, " replies", stats, "replies", false);
    s_pair (out, " redeliveries", stats, "redeliveries", false);
    fprintf (out, "  errors %" PRIu64 "  ", errors);
    s_pair (out, "malformed", stats, "malformed", false);
    fputc ('\n', out);
}

void
ctl_services_table (FILE *out, const msgpack_object *reply)
{
    uint32_t count;
    const msgpack_object **rows = s_sorted (reply, "services", "service", NULL, &count);
    fprintf (out, "%-20s %7s %5s %5s %6s %8s %9s %7s %9s %6s %7s %8s %8s\n", "SERVICE",
             "WORKERS", "READY", "BUSY", "QUEUED", "OLDEST", "REQUESTS", "REQ/S", "REPLIES",
             "ERRORS", "REDELIV", "SVC_P50", "SVC_P99");
    for (uint32_t index = 0; index < count; index++) {
        const msgpack_object *row = rows [index];
        uint64_t queued = 0, timed = 0;
        ctl_uint_of (row, "queued", &queued);
        ctl_uint_of (row, "service_time_count", &timed);
        s_text (out, row, "service", 20);
        s_uint (out, row, "workers", 7);
        s_uint (out, row, "ready", 5);
        s_uint (out, row, "busy", 5);
        s_uint (out, row, "queued", 6);
        s_seconds_if (out, row, "oldest_s", 8, queued > 0);
        s_uint (out, row, "requests", 9);
        s_rate (out, row, 7);
        s_uint (out, row, "replies", 9);
        s_uint (out, row, "errors", 6);
        s_uint (out, row, "redeliveries", 7);
        s_seconds_if (out, row, "p50_s", 8, timed > 0);
        s_seconds_if (out, row, "p99_s", 8, timed > 0);
        fputc ('\n', out);
    }
    if (count == 0)
        fputs ("(no services)\n", out);
    else
        fputs ("(REQ/S: since the last refresh; SVC_P50/P99: service time, from handing"
               " a request to a worker to its reply)\n", out);
    free (rows);
}

//  The workers table; with a BROKER column last (the cluster's total).
static void
s_workers_table (FILE *out, const msgpack_object *reply, bool broker)
{
    uint32_t count;
    const msgpack_object **rows = s_sorted (reply, "workers", "service", "id", &count);
    fprintf (out, "%-24s %-16s %-5s %8s %9s %9s %9s %9s%s\n", "WORKER", "SERVICE", "STATE",
             "INFLIGHT", "LAST_SEEN", "SERVED", "REQ_AGE", "UPTIME", broker ? " BROKER" : "");
    for (uint32_t index = 0; index < count; index++) {
        const msgpack_object *row = rows [index];
        s_text (out, row, "id", 24);
        s_text (out, row, "service", 16);
        s_text (out, row, "state", 5);
        s_uint (out, row, "inflight", 8);
        s_seconds (out, row, "last_seen_s", 9);
        s_uint (out, row, "served", 9);
        s_seconds (out, row, "inflight_s", 9);
        s_seconds (out, row, "uptime_s", 9);
        if (broker)
            s_text (out, row, "broker", 0);
        fputc ('\n', out);
    }
    if (count == 0)
        fputs ("(no workers)\n", out);
    free (rows);
}

void
ctl_workers_table (FILE *out, const msgpack_object *reply)
{
    s_workers_table (out, reply, false);
}

void
ctl_cluster_workers_table (FILE *out, const msgpack_object *reply)
{
    s_workers_table (out, reply, true);
}
