/*  metrics.c - Prometheus metrics over plain HTTP, from the broker's loop.

    A ZMQ_STREAM socket speaks raw TCP: every message is [peer id][bytes],
    and an empty data frame means "connected" or "disconnected". We gather
    a request's bytes per peer up to the blank line, answer GET /metrics
    with the text exposition format (version 0.0.4), then close. All of it
    runs between two polls of the broker's loop: no thread, and only when a
    scraper connects. Limits: a few dozen connections, 8 KiB per request,
    10 s per connection; beyond them the connection is closed.

    Counters are reset when the broker restarts, and a service's series
    disappear when the service is reaped (no workers, nothing queued);
    Prometheus handles both as counter resets.                              */

#include "broker_impl.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#define S_CONN_MAX 32             //  open HTTP connections
#define S_REQUEST_MAX 8192        //  bytes of one HTTP request head
#define S_CONN_TIMEOUT_MS 10000   //  a connection's whole life
#define S_BATCH 64                //  messages read per loop iteration

typedef struct {
    zframe_t *id;                 //  ZMQ_STREAM peer id; also the table key
    char head [S_REQUEST_MAX];    //  request bytes so far
    size_t size;                  //  bytes in head
    int64_t opened;               //  broker clock ms of the first bytes
    bool answered;                //  response sent; waiting for the peer to close
} s_conn_t;

struct _broker_metrics_t {
    zsock_t *stream;              //  the ZMQ_STREAM socket
    zhashx_t *conns;              //  hex peer id -> s_conn_t
    uint64_t scrapes;             //  /metrics answers sent
};

static void
s_conn_destroy (void **item)
{
    s_conn_t *conn = (s_conn_t *) *item;
    if (conn) {
        zframe_destroy (&conn->id);
        free (conn);
        *item = NULL;
    }
}

void
broker_metrics_destroy (broker_metrics_t **self_p)
{
    broker_metrics_t *self = *self_p;
    if (!self)
        return;
    zhashx_destroy (&self->conns);
    zsock_destroy (&self->stream);
    free (self);
    *self_p = NULL;
}

int
zlb_broker_metrics_bind (zlb_broker_t *self, const char *endpoint)
{
    assert (self);
    if (self->metrics || !endpoint) {
        errno = EINVAL;
        return -1;
    }
    broker_metrics_t *metrics = (broker_metrics_t *) zmalloc (sizeof (broker_metrics_t));
    if (metrics) {
        metrics->stream = zsock_new (ZMQ_STREAM);
        metrics->conns = zhashx_new ();
    }
    if (!metrics || !metrics->stream || !metrics->conns
    ||  zsock_bind (metrics->stream, "%s", endpoint) == -1) {
        int error = metrics && metrics->stream ? errno : ENOMEM;
        zlb_log (self->log, ZLB_LOG_ERROR, "metrics_bind_failed", "endpoint=%s error=\"%s\"",
                 endpoint, zmq_strerror (error));
        broker_metrics_destroy (&metrics);
        errno = error;
        return -1;
    }
    zhashx_set_destructor (metrics->conns, s_conn_destroy);
    zsock_set_linger (metrics->stream, 0);
    zsock_set_sndtimeo (metrics->stream, 0);
    self->metrics = metrics;
    char *bound = zsock_last_endpoint (metrics->stream);
    zlb_log (self->log, ZLB_LOG_INFO, "metrics_bind", "endpoint=%s url=http://%s/metrics",
             bound ? bound : endpoint,
             bound && strncmp (bound, "tcp://", 6) == 0 ? bound + 6 : endpoint);
    zstr_free (&bound);
    return 0;
}

void *
broker_metrics_handle (zlb_broker_t *self)
{
    return self->metrics ? zsock_resolve (self->metrics->stream) : NULL;
}

//  --------------------------------------------------------------------------
//  The exposition text

//  A label value with \ and " escaped (service names are printable ASCII).
static void
s_label (FILE *out, const char *value)
{
    for (; *value; value++) {
        if (*value == '\\' || *value == '"')
            fputc ('\\', out);
        fputc (*value, out);
    }
}

static void
s_family (FILE *out, const char *name, const char *type, const char *help)
{
    fprintf (out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

//  One unlabelled counter: its name, help text, and value.
typedef struct {
    const char *name;
    const char *help;
    uint64_t value;
} s_counter_t;

static void
s_counter (FILE *out, const s_counter_t *counter)
{
    s_family (out, counter->name, "counter", counter->help);
    fprintf (out, "%s %" PRIu64 "\n", counter->name, counter->value);
}

static void
s_broker_counters (zlb_broker_t *self, FILE *out)
{
    zlb_broker_stats_t s;
    zlb_broker_stats (self, &s);
    const s_counter_t counters [] = {
        {"zlb_requests_total", "Client requests accepted.", s.requests},
        {"zlb_routed_total", "Requests sent to workers, redeliveries included.", s.routed},
        {"zlb_replies_total", "Worker replies forwarded to clients.", s.replies},
        {"zlb_redeliveries_total", "Requests requeued after their worker died.", s.redeliveries},
        {"zlb_workers_joined_total", "READY commands accepted.", s.workers_seen},
        {"zlb_workers_expired_total", "Workers removed for silence.", s.expired},
        {"zlb_malformed_total", "Messages dropped as malformed.", s.malformed},
        {"zlb_disconnects_total", "DISCONNECTs sent for protocol errors.", s.disconnects},
        {"zlb_send_failures_total", "Sends that failed (peer gone or pipe full).", s.send_failures},
        {"zlb_refused_total",
         "Messages refused by the security checks (endpoint, key, role, service).", s.refused},
    };
    for (size_t index = 0; index < sizeof (counters) / sizeof (counters [0]); index++)
        s_counter (out, &counters [index]);
    s_family (out, "zlb_errors_total", "counter", "Error answers the broker made, by status.");
    fprintf (out, "zlb_errors_total{status=\"400\"} %" PRIu64 "\n", s.bad_request);
    fprintf (out, "zlb_errors_total{status=\"413\"} %" PRIu64 "\n", s.too_large);
    fprintf (out, "zlb_errors_total{status=\"502\"} %" PRIu64 "\n", s.failed);
    fprintf (out, "zlb_errors_total{status=\"503\"} %" PRIu64 "\n", s.busy);
    fprintf (out, "zlb_errors_total{status=\"504\"} %" PRIu64 "\n", s.deadline);
}

static void
s_broker_gauges (zlb_broker_t *self, FILE *out, int64_t now)
{
    zlb_broker_stats_t s;
    zlb_broker_stats (self, &s);
    s_family (out, "zlb_workers", "gauge", "Workers registered now.");
    fprintf (out, "zlb_workers %zu\n", s.workers);
    s_family (out, "zlb_services", "gauge", "Services in the table now.");
    fprintf (out, "zlb_services %zu\n", s.services);
    s_family (out, "zlb_queued", "gauge", "Requests waiting for a worker, all services.");
    fprintf (out, "zlb_queued %zu\n", s.queued);
    s_family (out, "zlb_uptime_seconds", "gauge", "Seconds since the broker started.");
    fprintf (out, "zlb_uptime_seconds %.3f\n", (double) (now - self->started) / 1000.0);
    s_family (out, "zlb_start_time_seconds", "gauge", "Unix time the broker started.");
    fprintf (out, "zlb_start_time_seconds %.3f\n", (double) self->started_wall_ns / 1e9);
    s_family (out, "zlb_build_info", "gauge", "Always 1; the version is a label.");
    fprintf (out, "zlb_build_info{version=\"%s\"} 1\n", ZLB_VERSION_STRING);
}

//  One per-service family: the HELP/TYPE lines, then a line per service.
typedef enum {
    S_REQUESTS, S_REPLIES, S_REDELIVERIES, S_QUEUED, S_OLDEST, S_FAMILIES
} s_service_family_t;

static void
s_service_value (FILE *out, broker_service_t *service, s_service_family_t family,
                 int64_t now)
{
    switch (family) {
        case S_REQUESTS:     fprintf (out, "%" PRIu64, service->stats.requests); break;
        case S_REPLIES:      fprintf (out, "%" PRIu64, service->stats.replies); break;
        case S_REDELIVERIES: fprintf (out, "%" PRIu64, service->stats.redeliveries); break;
        case S_QUEUED:       fprintf (out, "%zu", zlistx_size (service->requests)); break;
        default:             fprintf (out, "%.3f", broker_service_oldest_s (service, now));
    }
}

static void
s_service_simple (zlb_broker_t *self, FILE *out, int64_t now)
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
        broker_service_t *service = (broker_service_t *) zhashx_first (self->services);
        for (; service; service = (broker_service_t *) zhashx_next (self->services)) {
            fprintf (out, "%s{service=\"", families [family].name);
            s_label (out, service->name);
            fputs ("\"} ", out);
            s_service_value (out, service, (s_service_family_t) family, now);
            fputc ('\n', out);
        }
    }
}

static void
s_service_workers (zlb_broker_t *self, FILE *out)
{
    s_family (out, "zlb_service_workers", "gauge", "Workers registered, by state.");
    broker_service_t *service = (broker_service_t *) zhashx_first (self->services);
    for (; service; service = (broker_service_t *) zhashx_next (self->services)) {
        size_t ready = zlistx_size (service->ready);
        fputs ("zlb_service_workers{service=\"", out);
        s_label (out, service->name);
        fprintf (out, "\",state=\"ready\"} %zu\n", ready);
        fputs ("zlb_service_workers{service=\"", out);
        s_label (out, service->name);
        fprintf (out, "\",state=\"busy\"} %zu\n", service->workers - ready);
    }
}

static void
s_service_errors (zlb_broker_t *self, FILE *out)
{
    s_family (out, "zlb_service_errors_total", "counter",
              "Error answers the broker made, per service and status.");
    broker_service_t *service = (broker_service_t *) zhashx_first (self->services);
    for (; service; service = (broker_service_t *) zhashx_next (self->services))
        for (int kind = 0; kind < BROKER_ERR_KINDS; kind++) {
            fputs ("zlb_service_errors_total{service=\"", out);
            s_label (out, service->name);
            fprintf (out, "\",status=\"%d\"} %" PRIu64 "\n", broker_err_status [kind],
                     service->stats.errors [kind]);
        }
}

static void
s_service_histogram (zlb_broker_t *self, FILE *out)
{
    s_family (out, "zlb_service_time_seconds", "histogram",
              "Time from handing a request to a worker to its reply.");
    broker_service_t *service = (broker_service_t *) zhashx_first (self->services);
    for (; service; service = (broker_service_t *) zhashx_next (self->services)) {
        const broker_timing_t *timing = &service->stats.timing;
        uint64_t cumulative = 0;
        for (int index = 0; index <= BROKER_TIME_BUCKETS; index++) {
            cumulative += timing->counts [index];
            fputs ("zlb_service_time_seconds_bucket{service=\"", out);
            s_label (out, service->name);
            if (index < BROKER_TIME_BUCKETS)
                fprintf (out, "\",le=\"%g\"} %" PRIu64 "\n",
                         (double) broker_time_bounds_us [index] / 1e6, cumulative);
            else
                fprintf (out, "\",le=\"+Inf\"} %" PRIu64 "\n", cumulative);
        }
        fputs ("zlb_service_time_seconds_sum{service=\"", out);
        s_label (out, service->name);
        fprintf (out, "\"} %.6f\n", (double) timing->sum_us / 1e6);
        fputs ("zlb_service_time_seconds_count{service=\"", out);
        s_label (out, service->name);
        fprintf (out, "\"} %" PRIu64 "\n", timing->total);
    }
}

//  The whole exposition into a malloc'd buffer; NULL when out of memory.
static char *
s_exposition (zlb_broker_t *self, size_t *size_p)
{
    char *text = NULL;
    FILE *out = open_memstream (&text, size_p);
    if (!out)
        return NULL;
    int64_t now = broker_now (self);
    s_broker_counters (self, out);
    s_broker_gauges (self, out, now);
    s_service_simple (self, out, now);
    s_service_workers (self, out);
    s_service_errors (self, out);
    s_service_histogram (self, out);
    if (fclose (out) != 0) {
        free (text);
        return NULL;
    }
    return text;
}

//  --------------------------------------------------------------------------
//  HTTP

//  Send one frame to a peer; an empty one closes the connection. libzmq
//  drops what is still queued for a peer when we close it, so after an
//  answer we let the client close ("Connection: close"), and close it
//  ourselves only when it lingers past S_CONN_TIMEOUT_MS.
static void
s_send (broker_metrics_t *self, zframe_t *id, const void *data, size_t size)
{
    void *handle = zsock_resolve (self->stream);
    if (zmq_send (handle, zframe_data (id), zframe_size (id), ZMQ_SNDMORE | ZMQ_DONTWAIT) != -1)
        zmq_send (handle, data, size, ZMQ_DONTWAIT);
}

static void
s_respond (broker_metrics_t *self, zframe_t *id, int status, const char *reason,
           const char *type, const char *body, size_t size, bool head_only)
{
    char *response = NULL;
    size_t total = 0;
    FILE *out = open_memstream (&response, &total);
    if (!out)
        return;
    fprintf (out, "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
             "Connection: close\r\n\r\n", status, reason, type, size);
    if (!head_only && size)
        fwrite (body, 1, size, out);
    if (fclose (out) == 0)
        s_send (self, id, response, total);
    free (response);
}

//  A complete request head: answer it (the connection is closed after).
static void
s_request (zlb_broker_t *self, s_conn_t *conn)
{
    broker_metrics_t *metrics = self->metrics;
    char method [8] = "", path [64] = "";
    //  "GET /metrics HTTP/1.1": anything else gets 400/404/405.
    if (sscanf (conn->head, "%7s %63s", method, path) != 2) {
        const char *text = "bad request\n";
        s_respond (metrics, conn->id, 400, "Bad Request", "text/plain", text, strlen (text), false);
        return;
    }
    bool head = streq (method, "HEAD");
    if (!head && !streq (method, "GET")) {
        const char *text = "only GET /metrics\n";
        s_respond (metrics, conn->id, 405, "Method Not Allowed", "text/plain", text,
                   strlen (text), false);
        return;
    }
    char *query = strchr (path, '?');
    if (query)
        *query = 0;
    if (!streq (path, "/metrics")) {
        const char *text = "not found: try /metrics\n";
        s_respond (metrics, conn->id, 404, "Not Found", "text/plain", text, strlen (text), head);
        return;
    }
    size_t size = 0;
    char *text = s_exposition (self, &size);
    if (!text) {
        s_respond (metrics, conn->id, 500, "Internal Server Error", "text/plain", "", 0, head);
        return;
    }
    s_respond (metrics, conn->id, 200, "OK", "text/plain; version=0.0.4; charset=utf-8",
               text, size, head);
    metrics->scrapes++;
    zlb_log (self->log, ZLB_LOG_DEBUG, "metrics_scrape", "bytes=%zu", size);
    free (text);
}

//  Add bytes to a peer's request; answer it once the head is complete.
static void
s_data (zlb_broker_t *self, zframe_t **id_p, const char *key, zframe_t *data)
{
    broker_metrics_t *metrics = self->metrics;
    s_conn_t *conn = (s_conn_t *) zhashx_lookup (metrics->conns, key);
    if (!conn) {
        conn = zhashx_size (metrics->conns) < S_CONN_MAX
             ? (s_conn_t *) zmalloc (sizeof (s_conn_t)) : NULL;
        if (!conn) {
            broker_warn (self, "metrics_refused", "reason=\"too many connections\"");
            s_send (metrics, *id_p, "", 0);   //  close: we never answered it
            return;
        }
        conn->id = *id_p;
        *id_p = NULL;
        conn->opened = broker_now (self);
        zhashx_insert (metrics->conns, key, conn);
    }
    size_t size = zframe_size (data);
    if (conn->answered)
        return;                  //  one request per connection
    if (size >= S_REQUEST_MAX - conn->size) {
        broker_warn (self, "metrics_refused", "reason=\"request too large\"");
        s_respond (metrics, conn->id, 431, "Request Header Fields Too Large", "text/plain",
                   "", 0, false);
        conn->answered = true;
        return;
    }
    memcpy (conn->head + conn->size, zframe_data (data), size);
    conn->size += size;
    conn->head [conn->size] = 0;
    if (strstr (conn->head, "\r\n\r\n") || strstr (conn->head, "\n\n")) {
        s_request (self, conn);
        conn->answered = true;
    }
}

void
broker_metrics_input (zlb_broker_t *self)
{
    broker_metrics_t *metrics = self->metrics;
    if (!metrics)
        return;
    for (int count = 0; count < S_BATCH
    &&   (zsock_events (metrics->stream) & ZMQ_POLLIN); count++) {
        zmsg_t *msg = zmsg_recv (metrics->stream);
        if (!msg)
            break;
        zframe_t *id = zmsg_pop (msg);
        zframe_t *data = zmsg_pop (msg);
        if (id && data) {
            char *key = zframe_strhex (id);
            if (key && zframe_size (data) == 0)
                zhashx_delete (metrics->conns, key);  //  connected or gone: no state yet
            else
            if (key)
                s_data (self, &id, key, data);
            zstr_free (&key);
        }
        zframe_destroy (&id);
        zframe_destroy (&data);
        zmsg_destroy (&msg);
    }
}

void
broker_metrics_expire (zlb_broker_t *self, int64_t now)
{
    broker_metrics_t *metrics = self->metrics;
    if (!metrics || zhashx_size (metrics->conns) == 0)
        return;
    zlistx_t *keys = zhashx_keys (metrics->conns);
    for (char *key = keys ? (char *) zlistx_first (keys) : NULL; key;
         key = (char *) zlistx_next (keys)) {
        s_conn_t *conn = (s_conn_t *) zhashx_lookup (metrics->conns, key);
        if (conn && now - conn->opened > S_CONN_TIMEOUT_MS) {
            s_send (metrics, conn->id, "", 0);
            zhashx_delete (metrics->conns, key);
        }
    }
    zlistx_destroy (&keys);
}
