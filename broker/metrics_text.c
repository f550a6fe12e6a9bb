/*  metrics_text.c - a snapshot as the Prometheus text exposition format
    (version 0.0.4). A pure function of the snapshot: it runs in the HTTP
    thread, never in the broker's loop, and the unit tests call it directly.

    Counters are reset when the broker restarts, and a service's series
    disappear when the service is reaped (no workers, nothing queued);
    Prometheus handles both as counter resets.

    The text is appended to a growing buffer with memcpy and a hand-made
    integer formatter, not stdio: 1 000 services make ~2 MB and ~32 000
    lines, which fprintf took ~50 ms to write and this takes a few.        */

#include "metrics.h"
#include "zlb/zlb.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

//  The text being written: a malloc'd buffer that grows; failed when
//  memory ran out (everything after is dropped, the caller gets NULL).
typedef struct {
    char *data;                   //  the text, not NUL-terminated
    size_t size;                  //  bytes written
    size_t capacity;              //  bytes allocated
    bool failed;                  //  out of memory
} s_out_t;

static void
s_put (s_out_t *out, const char *text, size_t size)
{
    if (out->failed)
        return;
    if (out->size + size > out->capacity) {
        size_t capacity = out->capacity ? out->capacity : 65536;
        while (capacity < out->size + size)
            capacity *= 2;
        char *data = (char *) realloc (out->data, capacity);
        if (!data) {
            out->failed = true;
            return;
        }
        out->data = data;
        out->capacity = capacity;
    }
    memcpy (out->data + out->size, text, size);
    out->size += size;
}

static void
s_str (s_out_t *out, const char *text)
{
    s_put (out, text, strlen (text));
}

static void
s_u64 (s_out_t *out, uint64_t value)
{
    char digits [20];
    size_t at = sizeof (digits);
    do {
        digits [--at] = (char) ('0' + value % 10);
        value /= 10;
    } while (value);
    s_put (out, digits + at, sizeof (digits) - at);
}

//  printf-style, for the few values that are not integers.
static void
s_fmt (s_out_t *out, const char *format, ...) __attribute__ ((format (printf, 2, 3)));
static void
s_fmt (s_out_t *out, const char *format, ...)
{
    char text [128];
    va_list args;
    va_start (args, format);
    int size = vsnprintf (text, sizeof (text), format, args);
    va_end (args);
    if (size > 0)
        s_put (out, text, (size_t) size < sizeof (text) ? (size_t) size : sizeof (text) - 1);
}

//  family{service="NAME": the start of a per-service sample, the name with
//  \ and " escaped (service names are printable ASCII).
static void
s_sample (s_out_t *out, const char *family, const broker_metrics_service_t *service)
{
    s_str (out, family);
    s_put (out, "{service=\"", 10);
    const char *name = service->name;
    for (const char *special; (special = strpbrk (name, "\\\"")); name = special + 1) {
        s_put (out, name, (size_t) (special - name));
        s_put (out, "\\", 1);
        s_put (out, special, 1);
    }
    s_str (out, name);
    s_put (out, "\"", 1);
}

//  ...} VALUE\n: the end of a sample (after labels), an integer value.
static void
s_value (s_out_t *out, const char *labels, uint64_t value)
{
    s_str (out, labels);
    s_u64 (out, value);
    s_put (out, "\n", 1);
}

static void
s_family (s_out_t *out, const char *name, const char *type, const char *help)
{
    s_fmt (out, "# HELP %s ", name);
    s_str (out, help);
    s_fmt (out, "\n# TYPE %s %s\n", name, type);
}

//  One unlabelled counter: its name, help text, and value.
typedef struct {
    const char *name;
    const char *help;
    uint64_t value;
} s_counter_t;

static void
s_broker_counters (s_out_t *out, const zlb_broker_stats_t *s)
{
    const s_counter_t counters [] = {
        {"zlb_requests_total", "Client requests accepted.", s->requests},
        {"zlb_routed_total", "Requests sent to workers, redeliveries included.", s->routed},
        {"zlb_replies_total", "Worker replies forwarded to clients.", s->replies},
        {"zlb_redeliveries_total", "Requests requeued after their worker died.", s->redeliveries},
        {"zlb_handed_back_total", "Requests a worker full with other brokers' work gave back.",
         s->handed_back},
        {"zlb_workers_joined_total", "READY commands accepted.", s->workers_seen},
        {"zlb_workers_expired_total", "Workers declared dead: idle and silent, connection lost, or busy past --busy-timeout-ms.", s->expired},
        {"zlb_malformed_total", "Messages dropped as malformed.", s->malformed},
        {"zlb_disconnects_total", "DISCONNECTs sent for protocol errors.", s->disconnects},
        {"zlb_send_failures_total", "Sends that failed (peer gone or pipe full).", s->send_failures},
        {"zlb_refused_total",
         "Messages refused by the security checks (endpoint, key, role, service).", s->refused},
    };
    for (size_t index = 0; index < sizeof (counters) / sizeof (counters [0]); index++) {
        s_family (out, counters [index].name, "counter", counters [index].help);
        s_str (out, counters [index].name);
        s_value (out, " ", counters [index].value);
    }
    s_family (out, "zlb_errors_total", "counter", "Error answers the broker made, by status.");
    s_value (out, "zlb_errors_total{status=\"400\"} ", s->bad_request);
    s_value (out, "zlb_errors_total{status=\"413\"} ", s->too_large);
    s_value (out, "zlb_errors_total{status=\"502\"} ", s->failed);
    s_value (out, "zlb_errors_total{status=\"503\"} ", s->busy);
    s_value (out, "zlb_errors_total{status=\"504\"} ", s->deadline);
}

static void
s_broker_gauges (s_out_t *out, const broker_metrics_snapshot_t *snapshot)
{
    s_family (out, "zlb_workers", "gauge", "Workers registered now.");
    s_value (out, "zlb_workers ", snapshot->broker.workers);
    s_family (out, "zlb_services", "gauge", "Services in the table now.");
    s_value (out, "zlb_services ", snapshot->broker.services);
    s_family (out, "zlb_queued", "gauge", "Requests waiting for a worker, all services.");
    s_value (out, "zlb_queued ", snapshot->broker.queued);
    s_family (out, "zlb_uptime_seconds", "gauge", "Seconds since the broker started.");
    s_fmt (out, "zlb_uptime_seconds %.3f\n", snapshot->uptime_s);
    s_family (out, "zlb_start_time_seconds", "gauge", "Unix time the broker started.");
    s_fmt (out, "zlb_start_time_seconds %.3f\n", snapshot->start_time_s);
    s_family (out, "zlb_build_info", "gauge", "Always 1; the version is a label.");
    s_str (out, "zlb_build_info{version=\"" ZLB_VERSION_STRING "\"} 1\n");
}

//  The per-service families with one sample per service.
typedef enum {
    S_REQUESTS, S_REPLIES, S_REDELIVERIES, S_QUEUED, S_OLDEST, S_FAMILIES
} s_service_family_t;

static void
s_service_value (s_out_t *out, const broker_metrics_service_t *service,
                 s_service_family_t family)
{
    switch (family) {
        case S_REQUESTS:     s_value (out, "} ", service->stats.requests); break;
        case S_REPLIES:      s_value (out, "} ", service->stats.replies); break;
        case S_REDELIVERIES: s_value (out, "} ", service->stats.redeliveries); break;
        case S_QUEUED:       s_value (out, "} ", service->queued); break;
        default:             s_fmt (out, "} %.3f\n", service->oldest_s);
    }
}

static void
s_service_simple (s_out_t *out, const broker_metrics_snapshot_t *snapshot)
{
    static const struct {
        const char *name, *type, *help;
    } families [S_FAMILIES] = {
        {"zlb_service_requests_total", "counter", "Client requests accepted, per service."},
        {"zlb_service_replies_total", "counter", "Worker replies forwarded, per service."},
        {"zlb_service_redeliveries_total", "counter", "Requests requeued after a worker died."},
        {"zlb_service_queue_depth", "gauge", "Requests waiting for a worker."},
        {"zlb_service_oldest_request_seconds", "gauge", "Age of the oldest waiting request."}
    };
    for (int family = 0; family < S_FAMILIES; family++) {
        s_family (out, families [family].name, families [family].type, families [family].help);
        for (size_t index = 0; index < snapshot->count; index++) {
            s_sample (out, families [family].name, &snapshot->services [index]);
            s_service_value (out, &snapshot->services [index], (s_service_family_t) family);
        }
    }
}

static void
s_service_workers (s_out_t *out, const broker_metrics_snapshot_t *snapshot)
{
    s_family (out, "zlb_service_workers", "gauge", "Workers registered, by state.");
    for (size_t index = 0; index < snapshot->count; index++) {
        const broker_metrics_service_t *service = &snapshot->services [index];
        s_sample (out, "zlb_service_workers", service);
        s_value (out, ",state=\"ready\"} ", service->ready);
        s_sample (out, "zlb_service_workers", service);
        s_value (out, ",state=\"busy\"} ", service->workers - service->ready);
    }
}

static void
s_service_errors (s_out_t *out, const broker_metrics_snapshot_t *snapshot)
{
    s_family (out, "zlb_service_errors_total", "counter",
              "Error answers the broker made, per service and status.");
    char labels [BROKER_ERR_KINDS][32];
    for (int kind = 0; kind < BROKER_ERR_KINDS; kind++)
        snprintf (labels [kind], sizeof (labels [kind]), ",status=\"%d\"} ",
                  broker_err_status [kind]);
    for (size_t index = 0; index < snapshot->count; index++)
        for (int kind = 0; kind < BROKER_ERR_KINDS; kind++) {
            s_sample (out, "zlb_service_errors_total", &snapshot->services [index]);
            s_value (out, labels [kind], snapshot->services [index].stats.errors [kind]);
        }
}

//  The le="..." labels of the histogram buckets, made once per text.
typedef char s_bounds_t [BROKER_TIME_BUCKETS + 1][32];

static void
s_service_histogram (s_out_t *out, const broker_metrics_service_t *service,
                     s_bounds_t bounds)
{
    const broker_timing_t *timing = &service->stats.timing;
    uint64_t cumulative = 0;
    for (int index = 0; index <= BROKER_TIME_BUCKETS; index++) {
        cumulative += timing->counts [index];
        s_sample (out, "zlb_service_time_seconds_bucket", service);
        s_value (out, bounds [index], cumulative);
    }
    s_sample (out, "zlb_service_time_seconds_sum", service);
    s_fmt (out, "} %.6f\n", (double) timing->sum_us / 1e6);
    s_sample (out, "zlb_service_time_seconds_count", service);
    s_value (out, "} ", timing->total);
}

static void
s_histograms (s_out_t *out, const broker_metrics_snapshot_t *snapshot)
{
    s_family (out, "zlb_service_time_seconds", "histogram",
              "Time from handing a request to a worker to its reply.");
    s_bounds_t bounds;
    for (int index = 0; index < BROKER_TIME_BUCKETS; index++)
        snprintf (bounds [index], sizeof (bounds [index]), ",le=\"%g\"} ",
                  (double) broker_time_bounds_us [index] / 1e6);
    snprintf (bounds [BROKER_TIME_BUCKETS], sizeof (bounds [0]), ",le=\"+Inf\"} ");
    for (size_t index = 0; index < snapshot->count; index++)
        s_service_histogram (out, &snapshot->services [index], bounds);
}

char *
broker_metrics_text (const broker_metrics_snapshot_t *snapshot, size_t *size_p)
{
    s_out_t out = {0};
    s_broker_counters (&out, &snapshot->broker);
    s_broker_gauges (&out, snapshot);
    s_service_simple (&out, snapshot);
    s_service_workers (&out, snapshot);
    s_service_errors (&out, snapshot);
    s_histograms (&out, snapshot);
    if (out.failed) {
        free (out.data);
        return NULL;
    }
    *size_p = out.size;
    return out.data;
}
