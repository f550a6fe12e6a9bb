/*  broker.c - the broker object: socket, event loop, timers, sending.

    One loop iteration (zlb_broker_poll) has three phases, in this order:
    input (up to BROKER_BATCH messages), timers (worker expiry, heartbeats,
    request deadlines), reaping (idle services). Nothing is freed while a
    handler is still using it: handlers finish, then timers run.

    Input has one path for every message on every socket, CURVE or not:
    it is received straight into zmq_msg_t frames, parsed once by the MDP
    codec (lib/mdp.h) into a view, checked (security.c) and handed to the
    client side (frontend.c) or the worker side (backend.c). Body frames
    are moved into requests and out to clients, never copied
    (docs/architecture.md, docs/performance.md).                           */

#include "broker_impl.h"

#include <errno.h>
#include <string.h>

#define BROKER_SNDHWM 1000            //  messages queued to one peer (libzmq's default)
#define BROKER_RCVHWM 1000            //  messages queued from one peer (libzmq's default)

void
zlb_broker_options_defaults (zlb_broker_options_t *options)
{
    assert (options);
    memset (options, 0, sizeof (*options));
    options->heartbeat_ms = 2500;
    options->liveness = 3;
    options->busy_timeout_ms = 300000;
    options->request_timeout_ms = 10000;
    options->max_queue = 10000;
    options->max_redeliveries = 3;
    options->max_body = 1024 * 1024;
    options->max_services = 1024;
    options->max_held_bytes = 256 * 1024 * 1024;
}

static int64_t
s_clock_default (void *arg)
{
    (void) arg;
    return zclock_mono ();
}

int64_t
broker_now (zlb_broker_t *self)
{
    return self->options.clock_ms (self->options.clock_arg);
}

//  Bad options are a programming error in the caller (main.c validates
//  command-line values), so fix them up to something sane rather than fail.
static void
s_options_sanitize (zlb_broker_options_t *options)
{
    if (options->heartbeat_ms < 1)
        options->heartbeat_ms = 1;
    if (options->liveness < 1)
        options->liveness = 1;
    if (options->request_timeout_ms < 1)
        options->request_timeout_ms = 1;
    if (options->busy_timeout_ms < 0)
        options->busy_timeout_ms = 0;
    if (options->max_queue < 1)
        options->max_queue = 1;
    if (options->max_redeliveries < 0)
        options->max_redeliveries = 0;
    if (options->max_services < 1)
        options->max_services = 1;
    if (!options->clock_ms)
        options->clock_ms = s_clock_default;
}

static zsock_t *
s_router_new (const zlb_broker_options_t *options)
{
    zsock_t *router = zsock_new (ZMQ_ROUTER);
    if (!router)
        return NULL;
    zsock_set_linger (router, 0);
    //  High-water marks, per peer pipe, set on purpose (docs/reliability.md).
    //  Outbound: a peer that does not read gets at most BROKER_SNDHWM
    //  messages buffered here; then, with ROUTER_MANDATORY, a send fails at
    //  once with EAGAIN (counted in send_failures and logged), never blocks
    //  and never drops silently. Inbound: at BROKER_RCVHWM unread messages
    //  from one peer libzmq stops reading its connection, so a flooding
    //  client is slowed by TCP (its own sends fail with EAGAIN) instead of
    //  growing our memory.
    zsock_set_sndhwm (router, BROKER_SNDHWM);
    zsock_set_rcvhwm (router, BROKER_RCVHWM);
    //  A send to a vanished peer fails (EHOSTUNREACH) instead of vanishing.
    zsock_set_router_mandatory (router, 1);
    //  No ROUTER_HANDOVER: a peer that connects with a routing id in use is
    //  not attached (libzmq 4.3.4), so nobody can take over a connection's
    //  identity, and handover's own abort (stream_engine_base.cpp:331 after
    //  the displaced peer reconnects) cannot happen. zlb-worker makes its
    //  routing id unique per connection, so reconnecting never collides.
    //  Hard ceiling per frame; bodies between max_body and this get a 413,
    //  bigger ones cost the peer its connection.
    int64_t ceiling = (int64_t) options->max_body + 64 * 1024;
    zsock_set_maxmsgsize (router, (int) (ceiling > INT32_MAX ? INT32_MAX : ceiling));
    //  ZMTP heartbeats notice dead TCP peers even when MDP is quiet, and
    //  they are how a busy worker's freeze is seen: libzmq's I/O thread
    //  answers PINGs while the application works, so a connection with no
    //  PONG for the timeout is a dead, frozen or cut-off peer. libzmq drops
    //  it and our next HEARTBEAT to it fails (ROUTER_MANDATORY). One PING
    //  every two liveness windows, not every MDP interval: each costs libzmq
    //  a timer search over every connection (docs/performance.md, "What idle
    //  workers cost"), MDP already watches idle workers every interval, and
    //  a frozen busy worker is rare: it is found within three windows.
    int64_t window = options->heartbeat_ms * options->liveness;
    int64_t ivl = 2 * window;
    zsock_set_heartbeat_ivl (router, ivl > INT32_MAX ? INT32_MAX : (int) ivl);
    zsock_set_heartbeat_timeout (router, window > INT32_MAX ? INT32_MAX : (int) window);
    zsock_set_sndtimeo (router, 0);
    return router;
}

zsock_t *
broker_router_new (zlb_broker_t *self)
{
    return s_router_new (&self->options);
}

zlb_broker_t *
zlb_broker_new (const zlb_broker_options_t *options, zlb_log_t *log)
{
    zlb_broker_t *self = (zlb_broker_t *) zmalloc (sizeof (zlb_broker_t));
    if (!self)
        return NULL;
    if (options)
        self->options = *options;
    else
        zlb_broker_options_defaults (&self->options);
    s_options_sanitize (&self->options);
    self->log = log;
    self->limit.burst = 10;
    self->limit.source = "input";
    self->events.burst = BROKER_EVENTS_PER_S;
    self->events.source = "events";
    self->services = zhashx_new ();
    self->workers = broker_workers_table_new ();
    self->by_expiry = zlistx_new ();
    self->by_sent = zlistx_new ();
    self->router = s_router_new (&self->options);
    if (!self->services || !self->workers || !self->by_expiry || !self->by_sent
    ||  !self->router) {
        zlb_broker_destroy (&self);
        return NULL;
    }
    int64_t now = broker_now (self);
    self->started = now;
    self->started_wall_ns = zlb_time_ns ();
    self->heartbeat_at = now + self->options.heartbeat_ms;
    self->tick_at = now + BROKER_TICK_MS;
    return self;
}

void
zlb_broker_destroy (zlb_broker_t **self_p)
{
    assert (self_p);
    zlb_broker_t *self = *self_p;
    if (!self)
        return;
    //  Workers first: they own in-flight requests that point at services.
    if (self->workers)
        broker_workers_destroy_all (self);
    if (self->services)
        broker_services_destroy_all (self);
    zhashx_destroy (&self->workers);
    zhashx_destroy (&self->services);
    zlistx_destroy (&self->by_expiry);
    zlistx_destroy (&self->by_sent);
    broker_request_pool_destroy (self);
    zsock_destroy (&self->router);
    broker_metrics_destroy (&self->metrics);
    broker_security_destroy (&self->security);
    free (self);
    *self_p = NULL;
}

int
zlb_broker_bind (zlb_broker_t *self, const char *endpoint)
{
    assert (self);
    if (!endpoint || zsock_bind (self->router, "%s", endpoint) == -1) {
        int error = errno;
        zlb_log (self->log, ZLB_LOG_ERROR, "bind_failed", "endpoint=%s error=\"%s\"",
                 endpoint ? endpoint : "(null)", zmq_strerror (error));
        errno = error;
        return -1;
    }
    zlb_log (self->log, ZLB_LOG_INFO, "bind", "endpoint=%s", endpoint);
    return 0;
}

//  --------------------------------------------------------------------------
//  Sending

char *
broker_address_str (const void *data, size_t size, char *buf, size_t bufsize)
{
    return mdp_bytes_str (data, size, buf, bufsize);
}

static void
s_send_failed (zlb_broker_t *self, mdp_bytes_t peer, int error)
{
    self->stats.send_failures++;
    char name [BROKER_WORKER_NAME_MAX];
    zlb_log_kv_limited (self->log, &self->limit, ZLB_LOG_WARNING, "send_failed",
                        ZLB_STR ("peer", broker_address_str (peer.data, peer.size, name,
                                                             sizeof (name))),
                        ZLB_STR ("error", error == EAGAIN ? "pipe full" : zmq_strerror (error)));
    errno = error;
}

int
broker_send (zlb_broker_t *self, const mdp_view_t *message, bool keep)
{
    //  Worker commands go out on the workers' socket when there is one.
    zsock_t *sock = message->worker && self->security ? broker_security_backend (self) : NULL;
    void *handle = zsock_resolve (sock ? sock : self->router);
    if (mdp_send (handle, message, keep) == -1) {
        s_send_failed (self, message->peer, errno);
        return -1;
    }
    return 0;
}

int
broker_send_client (zlb_broker_t *self, mdp_bytes_t client, mdp_bytes_t service,
                    const mdp_bytes_t *parts, size_t nparts)
{
    zmq_msg_t body [BROKER_SEND_PARTS_MAX];
    size_t count = 0;
    for (; count < nparts && count < BROKER_SEND_PARTS_MAX; count++) {
        if (zmq_msg_init_size (&body [count], parts [count].size) != 0)
            break;
        if (parts [count].size)
            memcpy (zmq_msg_data (&body [count]), parts [count].data, parts [count].size);
    }
    mdp_view_t message = {.peer = client, .client = true, .service = service,
                          .body = body, .body_count = count};
    int rc = count == nparts ? broker_send (self, &message, false) : -1;
    for (size_t index = 0; index < count; index++)
        zmq_msg_close (&body [index]);
    return rc;
}

//  --------------------------------------------------------------------------
//  Input

static void
s_malformed (zlb_broker_t *self, mdp_bytes_t sender, const char *reason, size_t frames)
{
    self->stats.malformed++;
    char name [BROKER_WORKER_NAME_MAX];
    broker_warn (self, "malformed_message", "peer=%s reason=\"%s\" frames=%zu",
                 broker_address_str (sender.data, sender.size, name, sizeof (name)),
                 reason, frames);
}

//  Every message, from every socket: parsed once, checked, handed on.
static void
s_handle (zlb_broker_t *self, zsock_t *from, broker_input_t *input)
{
    mdp_view_t view;
    mdp_error_t error = mdp_parse (input->part, input->count, true, &view);
    size_t frames = input->count + input->overflow;
    if (!view.client && !view.worker)
        s_malformed (self, view.peer, mdp_strerror (error), frames);
    else
    if (self->security && !broker_security_admit (self, from, &view))
        ;                         //  refused: wrong endpoint, key or service (logged)
    else
    if (view.client && error == MDP_E_SHORT)
        s_malformed (self, view.peer, "client request without service frame", frames);
    else
    if (view.client)
        broker_client_message (self, &view, error, input->overflow);
    else
    if (view.command == -1)
        s_malformed (self, view.peer, "worker message without command", frames);
    else
        broker_worker_message (self, &view, error);
}

//  Milliseconds until the next timer is due, capped by timeout_ms.
static int
s_wait_ms (zlb_broker_t *self, int timeout_ms)
{
    int64_t now = broker_now (self);
    int64_t due = self->heartbeat_at < self->tick_at ? self->heartbeat_at : self->tick_at;
    broker_worker_t *oldest = (broker_worker_t *) zlistx_first (self->by_expiry);
    if (oldest && oldest->expiry < due)
        due = oldest->expiry;
    int64_t wait = due - now;
    if (wait < 0)
        wait = 0;
    if (timeout_ms >= 0 && wait > timeout_ms)
        wait = timeout_ms;
    return (int) wait;
}

//  Read one message into input (frames past BROKER_PARTS_MAX are dropped
//  and flagged). false when nothing was waiting.
static bool
s_recv_frames (void *handle, broker_input_t *input)
{
    input->count = 0;
    input->overflow = false;
    if (zmq_msg_recv (&input->part [0], handle, ZMQ_DONTWAIT) == -1)
        return false;
    input->count = 1;
    //  The rest of a message is already here: libzmq delivers it whole.
    while (zmq_msg_more (&input->part [input->count - 1])) {
        if (input->count == BROKER_PARTS_MAX) {
            zmq_msg_t extra;
            zmq_msg_init (&extra);
            bool more = true;
            while (more && zmq_msg_recv (&extra, handle, ZMQ_DONTWAIT) != -1)
                more = zmq_msg_more (&extra);
            zmq_msg_close (&extra);
            input->overflow = true;
            break;
        }
        if (zmq_msg_recv (&input->part [input->count], handle, ZMQ_DONTWAIT) == -1)
            break;
        input->count++;
    }
    return true;
}

//  Handle up to BROKER_BATCH messages waiting on one socket, received
//  straight into zmq_msg_t frames: handlers move what they keep. Parts
//  are reused without closing them in between: zmq_msg_recv releases what
//  a part held before it fills it (zmq_msg_recv(3)), so what a handler
//  left in a part lives until the next message or the end of the batch.
static int
s_drain (zlb_broker_t *self, zsock_t *sock)
{
    void *handle = zsock_resolve (sock);
    broker_input_t input;
    for (size_t index = 0; index < BROKER_PARTS_MAX; index++)
        zmq_msg_init (&input.part [index]);
    int handled = 0;
    while (handled < BROKER_BATCH && s_recv_frames (handle, &input)) {
        s_handle (self, sock, &input);
        handled++;
    }
    for (size_t index = 0; index < BROKER_PARTS_MAX; index++)
        zmq_msg_close (&input.part [index]);
    return handled;
}

static int
s_input (zlb_broker_t *self, int timeout_ms)
{
    //  The metrics thread's pipe (if any) shares the wait: it asks for a
    //  snapshot of the counters at most once a second.
    //  So does the workers' backend socket (--backend), when there is one.
    //  So do the monitors of failed CURVE handshakes (last, up to 2).
    zmq_pollitem_t items [5] = {
        {zsock_resolve (self->router), 0, ZMQ_POLLIN, 0},
        {broker_metrics_handle (self), 0, ZMQ_POLLIN, 0}
    };
    bool metrics = items [1].socket != NULL;
    int nitems = metrics ? 2 : 1;
    zsock_t *backend = self->security ? broker_security_backend (self) : NULL;
    if (backend)
        items [nitems++] = (zmq_pollitem_t) {zsock_resolve (backend), 0, ZMQ_POLLIN, 0};
    int monitors = nitems;
    nitems += (int) broker_monitor_items (self, items + nitems);
    if (zmq_poll (items, nitems, s_wait_ms (self, timeout_ms)) == -1)
        return -1;               //  interrupted (EINTR) or context terminated
    if (metrics && (items [1].revents & ZMQ_POLLIN))
        broker_metrics_input (self);
    for (int index = monitors; index < nitems; index++)
        if (items [index].revents & ZMQ_POLLIN) {
            broker_monitor_input (self);
            break;
        }
    //  Workers first: their replies and READYs free capacity for requests.
    int handled = backend ? s_drain (self, backend) : 0;
    return handled + s_drain (self, self->router);
}

static void
s_log_flush_all (zlb_broker_t *self, bool force)
{
    zlb_log_limit_flush (self->log, &self->limit, force);
    zlb_log_limit_flush (self->log, &self->events, force);
    if (self->security)
        broker_security_log_flush (self, force);
}

static void
s_timers (zlb_broker_t *self)
{
    int64_t now = broker_now (self);
    //  Expire before heartbeating so the dead get DISCONNECT, not HEARTBEAT.
    broker_workers_expire (self, now);
    if (now >= self->heartbeat_at) {
        broker_workers_heartbeat (self);
        self->heartbeat_at = now + self->options.heartbeat_ms;
    }
    if (now >= self->tick_at) {
        broker_services_expire (self, now);
        broker_services_reap (self);
        s_log_flush_all (self, false);
        int64_t tick = self->options.heartbeat_ms < BROKER_TICK_MS
                     ? self->options.heartbeat_ms : BROKER_TICK_MS;
        self->tick_at = now + tick;
    }
}

//  --------------------------------------------------------------------------
//  After each step: remove the workers a send failed on, then dispatch
//  every service that may have both ready workers and queued requests,
//  one pass each. A pass that finds another dead worker starts a new round
//  (each round removes at least one worker, so this ends).

void
broker_dispatch_later (zlb_broker_t *self, broker_service_t *service)
{
    if (service->pending)
        return;
    service->pending = true;
    service->pending_next = self->pending;
    self->pending = service;
}

void
broker_worker_gone (zlb_broker_t *self, broker_worker_t *worker)
{
    if (worker->gone)
        return;
    if (worker->ready_handle) {
        zlistx_delete (worker->service->ready, worker->ready_handle);
        worker->ready_handle = NULL;
    }
    worker->gone = true;
    worker->gone_next = self->gone;
    self->gone = worker;
}

void
broker_pending_forget (zlb_broker_t *self, broker_service_t *service,
                       broker_worker_t *worker)
{
    if (service && service->pending) {
        broker_service_t **link = &self->pending;
        while (*link && *link != service)
            link = &(*link)->pending_next;
        if (*link)
            *link = service->pending_next;
        service->pending = false;
    }
    if (worker && worker->gone) {
        broker_worker_t **link = &self->gone;
        while (*link && *link != worker)
            link = &(*link)->gone_next;
        if (*link)
            *link = worker->gone_next;
        worker->gone = false;
    }
}

static void
s_settle (zlb_broker_t *self)
{
    while (self->gone || self->pending) {
        while (self->gone) {
            broker_worker_t *worker = self->gone;
            broker_worker_delete (self, &worker, false, "send failed");
        }
        broker_service_t *service = self->pending;
        self->pending = NULL;
        while (service) {
            broker_service_t *next = service->pending_next;
            service->pending = false;
            broker_service_dispatch (self, service);
            service = next;
        }
    }
}

int
zlb_broker_poll (zlb_broker_t *self, int timeout_ms)
{
    assert (self);
    int handled = s_input (self, timeout_ms);
    if (handled == -1)
        return -1;
    s_settle (self);
    s_timers (self);
    s_settle (self);
    return handled;
}

void
zlb_broker_set_reopen_flag (zlb_broker_t *self, volatile sig_atomic_t *flag)
{
    assert (self);
    self->reopen = flag;
}

//  After logrotate moved the file: the first line goes to the new one.
static void
s_reopen_log (zlb_broker_t *self)
{
    *self->reopen = 0;
    int rc = zlb_log_reopen (self->log);
    zlb_log (self->log, rc == 0 ? ZLB_LOG_INFO : ZLB_LOG_ERROR, "log_reopened",
             "result=%s", rc == 0 ? "ok" : strerror (errno));
}

int
zlb_broker_run (zlb_broker_t *self)
{
    assert (self);
    zlb_log (self->log, ZLB_LOG_INFO, "broker_start",
             "version=%s heartbeat_ms=%" PRId64 " liveness=%d busy_timeout_ms=%" PRId64
             " request_timeout_ms=%" PRId64
             " max_queue=%zu max_redeliveries=%d max_body=%zu max_held_bytes=%zu",
             ZLB_VERSION_STRING, self->options.heartbeat_ms, self->options.liveness,
             self->options.busy_timeout_ms,
             self->options.request_timeout_ms, self->options.max_queue,
             self->options.max_redeliveries, self->options.max_body,
             self->options.max_held_bytes);
    while (!self->stopped && !zsys_interrupted) {
        if (zlb_broker_poll (self, (int) self->options.heartbeat_ms) == -1
        &&  errno != EINTR)
            break;
        if (self->reopen && *self->reopen)
            s_reopen_log (self);
    }
    zlb_log (self->log, ZLB_LOG_INFO, "broker_stop", "reason=%s",
             self->stopped ? "stopped" : "interrupted");
    s_log_flush_all (self, true);
    zlb_broker_log_summary (self);
    return 0;
}

void
zlb_broker_stop (zlb_broker_t *self)
{
    assert (self);
    self->stopped = true;
}

//  --------------------------------------------------------------------------
//  Counters and queries

void
zlb_broker_stats (zlb_broker_t *self, zlb_broker_stats_t *stats)
{
    assert (self && stats);
    *stats = self->stats;
    stats->workers = zhashx_size (self->workers);
    stats->services = zhashx_size (self->services);
}

void
zlb_broker_log_summary (zlb_broker_t *self)
{
    zlb_broker_stats_t s;
    zlb_broker_stats (self, &s);
    uint64_t errors = s.busy + s.deadline + s.failed + s.too_large + s.bad_request;
    zlb_log (self->log, ZLB_LOG_INFO, "summary",
             "requests=%" PRIu64 " routed=%" PRIu64 " replies=%" PRIu64
             " workers_seen=%" PRIu64 " workers=%zu redeliveries=%" PRIu64
             " expired=%" PRIu64 " errors=%" PRIu64 " busy=%" PRIu64 " deadline=%" PRIu64
             " failed=%" PRIu64 " too_large=%" PRIu64 " bad_request=%" PRIu64
             " malformed=%" PRIu64 " send_failures=%" PRIu64 " refused=%" PRIu64
             " queued=%zu",
             s.requests, s.routed, s.replies, s.workers_seen, s.workers, s.redeliveries,
             s.expired, errors, s.busy, s.deadline, s.failed, s.too_large, s.bad_request,
             s.malformed, s.send_failures, s.refused, s.queued);
}

static broker_service_t *
s_service_named (zlb_broker_t *self, const char *name)
{
    return name ? broker_service_lookup (self, name, strlen (name)) : NULL;
}

int
zlb_broker_queue_depth (zlb_broker_t *self, const char *name)
{
    broker_service_t *service = s_service_named (self, name);
    return service ? (int) zlistx_size (service->requests) : -1;
}

int
zlb_broker_ready_workers (zlb_broker_t *self, const char *name)
{
    broker_service_t *service = s_service_named (self, name);
    return service ? (int) zlistx_size (service->ready) : -1;
}

int
zlb_broker_service_workers (zlb_broker_t *self, const char *name)
{
    broker_service_t *service = s_service_named (self, name);
    return service ? (int) service->workers : -1;
}
