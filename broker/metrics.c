/*  metrics.c - Prometheus metrics over plain HTTP: the broker's side.

    zlb_broker_metrics_bind opens the listening TCP socket here (so that a
    bad address fails at start-up with a clear error) and hands it to the
    HTTP thread (metrics_server.c). From then on the broker's loop polls the
    thread's pipe and does two small things: answer "SNAP" with a snapshot
    of the counters (a copy, O(services), at most about once a second while
    someone scrapes), and write the thread's "LOG" lines to the broker's
    log, which only this thread may touch (SIGHUP reopens it).

    Why a thread: formatting the text of 1 000 services took ~53 ms of the
    broker's only thread per scrape, so a looping scraper cut routing by
    half or more. The copy costs well under a millisecond
    (docs/security.md, "The metrics endpoint").                             */

#include "broker_impl.h"
#include "metrics.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define S_BACKLOG 64              //  TCP connections waiting for accept
#define S_PIPE_BATCH 16           //  pipe messages handled per loop iteration

struct _broker_metrics_t {
    zactor_t *server;             //  the HTTP thread; its pipe is what we poll
};

void
broker_metrics_destroy (broker_metrics_t **self_p)
{
    broker_metrics_t *self = *self_p;
    if (!self)
        return;
    zactor_destroy (&self->server);  //  $TERM: the thread closes every socket
    free (self);
    *self_p = NULL;
}

//  --------------------------------------------------------------------------
//  The listening socket

//  "tcp://HOST:PORT" or "HOST:PORT" into host and port; HOST may be
//  "[v6 address]", or "*" (or empty) for every interface. -1 if malformed.
static int
s_split (const char *endpoint, char *host, size_t host_size, char *port, size_t port_size)
{
    if (strncmp (endpoint, "tcp://", 6) == 0)
        endpoint += 6;
    else
    if (strstr (endpoint, "://"))
        return -1;                //  HTTP goes over TCP only
    const char *colon = strrchr (endpoint, ':');
    if (!colon || colon [1] == 0 || strlen (colon + 1) >= port_size)
        return -1;
    const char *start = endpoint, *stop = colon;
    if (*start == '[' && stop > start && stop [-1] == ']') {
        start++;
        stop--;
    }
    if ((size_t) (stop - start) >= host_size)
        return -1;
    snprintf (host, host_size, "%.*s", (int) (stop - start), start);
    snprintf (port, port_size, "%s", colon + 1);
    if (streq (host, "*"))
        *host = 0;
    return 0;
}

//  A non-blocking socket listening on one of the host's addresses.
static int
s_listen_on (const struct addrinfo *address)
{
    int fd = socket (address->ai_family, address->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
                     address->ai_protocol);
    if (fd == -1)
        return -1;
    int on = 1;
    setsockopt (fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof (on));
    if (bind (fd, address->ai_addr, address->ai_addrlen) == 0 && listen (fd, S_BACKLOG) == 0)
        return fd;
    int error = errno;
    close (fd);
    errno = error;
    return -1;
}

static int
s_listen (const char *endpoint)
{
    char host [256], port [16];
    if (s_split (endpoint, host, sizeof (host), port, sizeof (port)) == -1) {
        errno = EINVAL;
        return -1;
    }
    struct addrinfo hints = {.ai_flags = AI_PASSIVE, .ai_socktype = SOCK_STREAM};
    struct addrinfo *addresses = NULL;
    if (getaddrinfo (*host ? host : NULL, port, &hints, &addresses) != 0) {
        errno = EADDRNOTAVAIL;
        return -1;
    }
    int fd = -1;
    errno = EADDRNOTAVAIL;
    for (struct addrinfo *address = addresses; address && fd == -1; address = address->ai_next)
        fd = s_listen_on (address);
    freeaddrinfo (addresses);
    return fd;
}

//  The bound address as "HOST:PORT" (a v6 host in brackets).
static void
s_bound (int fd, char *text, size_t size)
{
    struct sockaddr_storage address;
    socklen_t length = sizeof (address);
    char host [NI_MAXHOST] = "?", port [NI_MAXSERV] = "?";
    if (getsockname (fd, (struct sockaddr *) &address, &length) == 0)
        getnameinfo ((struct sockaddr *) &address, length, host, sizeof (host), port,
                     sizeof (port), NI_NUMERICHOST | NI_NUMERICSERV);
    bool v6 = strchr (host, ':') != NULL;
    snprintf (text, size, "%s%s%s:%s", v6 ? "[" : "", host, v6 ? "]" : "", port);
}

int
zlb_broker_metrics_bind (zlb_broker_t *self, const char *endpoint)
{
    assert (self);
    if (self->metrics || !endpoint) {
        errno = EINVAL;
        return -1;
    }
    int fd = s_listen (endpoint);
    broker_metrics_t *metrics = fd == -1 ? NULL
                              : (broker_metrics_t *) zmalloc (sizeof (broker_metrics_t));
    if (metrics)
        metrics->server = zactor_new (broker_metrics_server, (void *) (intptr_t) fd);
    if (!metrics || !metrics->server) {
        int error = fd == -1 ? errno : ENOMEM;
        zlb_log (self->log, ZLB_LOG_ERROR, "metrics_bind_failed", "endpoint=%s error=\"%s\"",
                 endpoint, strerror (error));
        if (fd != -1)
            close (fd);           //  the thread never started: still ours
        free (metrics);
        errno = error;
        return -1;
    }
    zsock_set_sndtimeo (metrics->server, 0);   //  never block the loop on the thread
    self->metrics = metrics;
    char bound [NI_MAXHOST + 16];
    s_bound (fd, bound, sizeof (bound));
    zlb_log (self->log, ZLB_LOG_INFO, "metrics_bind",
             "endpoint=tcp://%s url=http://%s/metrics max_connections=%d", bound, bound,
             BROKER_METRICS_CONN_MAX);
    return 0;
}

void *
broker_metrics_handle (zlb_broker_t *self)
{
    return self->metrics ? zsock_resolve (self->metrics->server) : NULL;
}

//  --------------------------------------------------------------------------
//  The snapshot: a flat copy, no formatting, one allocation

broker_metrics_snapshot_t *
broker_metrics_snapshot_new (zlb_broker_t *self)
{
    size_t count = zhashx_size (self->services), names = 0;
    broker_service_t *service = (broker_service_t *) zhashx_first (self->services);
    for (; service; service = (broker_service_t *) zhashx_next (self->services))
        names += service->name_size + 1;
    size_t head = sizeof (broker_metrics_snapshot_t)
                + count * sizeof (broker_metrics_service_t);
    broker_metrics_snapshot_t *snapshot = (broker_metrics_snapshot_t *) malloc (head + names);
    if (!snapshot)
        return NULL;
    int64_t now = broker_now (self);
    zlb_broker_stats (self, &snapshot->broker);
    snapshot->uptime_s = (double) (now - self->started) / 1000.0;
    snapshot->start_time_s = (double) self->started_wall_ns / 1e9;
    snapshot->count = count;
    snapshot->services = (broker_metrics_service_t *) (snapshot + 1);
    char *name = (char *) snapshot + head;
    broker_metrics_service_t *copy = snapshot->services;
    service = (broker_service_t *) zhashx_first (self->services);
    for (; service; service = (broker_service_t *) zhashx_next (self->services), copy++) {
        memcpy (name, service->name, service->name_size + 1);
        *copy = (broker_metrics_service_t) {
            .name = name, .stats = service->stats, .queued = zlistx_size (service->requests),
            .ready = zlistx_size (service->ready), .workers = service->workers,
            .oldest_s = broker_service_oldest_s (service, now)
        };
        name += service->name_size + 1;
    }
    return snapshot;
}

void
broker_metrics_snapshot_destroy (broker_metrics_snapshot_t **self_p)
{
    free (*self_p);
    *self_p = NULL;
}

//  --------------------------------------------------------------------------
//  The pipe

static void
s_command (zlb_broker_t *self, zmsg_t *msg)
{
    char *command = zmsg_popstr (msg);
    if (command && streq (command, "SNAP")) {
        int64_t start = zlb_time_ns ();
        broker_metrics_snapshot_t *snapshot = broker_metrics_snapshot_new (self);
        size_t services = snapshot ? snapshot->count : 0;
        if (zsock_send (self->metrics->server, "sp", "SNAP", snapshot) == -1)
            broker_metrics_snapshot_destroy (&snapshot);
        zlb_log (self->log, ZLB_LOG_DEBUG, "metrics_snapshot", "services=%zu us=%" PRId64,
                 services, (zlb_time_ns () - start) / 1000);
    }
    else
    if (command && streq (command, "LOG") && zmsg_size (msg) == 3) {
        char *level = zmsg_popstr (msg), *event = zmsg_popstr (msg), *fields = zmsg_popstr (msg);
        zlb_log (self->log, (zlb_log_level_t) atoi (level), event, "%s", fields);
        zstr_free (&level);
        zstr_free (&event);
        zstr_free (&fields);
    }
    zstr_free (&command);
}

void
broker_metrics_input (zlb_broker_t *self)
{
    broker_metrics_t *metrics = self->metrics;
    if (!metrics)
        return;
    for (int count = 0; count < S_PIPE_BATCH
    &&   (zsock_events (metrics->server) & ZMQ_POLLIN); count++) {
        zmsg_t *msg = zmsg_recv (metrics->server);
        if (!msg)
            break;
        s_command (self, msg);
        zmsg_destroy (&msg);
    }
}
