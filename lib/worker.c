/*  worker.c - an MDP/0.1 worker with zlb's msgpack bodies (zlb/worker.h).

    One link per broker (lib/worker_link.c: socket, READY, heartbeats,
    reconnects, the requests that came on it). This file decides which
    request to serve next (the oldest that arrived, from any broker),
    answers it, and shares the worker's capacity across brokers:

    capacity  how many requests the worker holds at once: the adaptive
              window now (lib/credit_window.c), or --credit N.
    free      capacity minus what it holds (queued on its links + in hand).

    With one broker, that broker's window is the capacity, as before. With
    several, each sharing broker (a zlb broker: it answered READY with the
    window it granted) may send up to `free` more; when free reaches 0 the
    worker pauses every broker that could still send (window = what it
    holds from it), resumes them once a quarter of the capacity is free
    again, and hands back (unserved) a request that raced in while it was
    full, so that broker gives it to another worker at once.
    docs/protocol.md, "Workers on several brokers".                       */

#include "zlb/zlb.h"
#include "codec_msg.h"
#include "mdp.h"
#include "util.h"
#include "names.h"
#include "curve.h"
#include "credit_window.h"
#include "worker_link.h"

#include <errno.h>
#include <inttypes.h>
#include <string.h>
#include <time.h>

#define S_CLIENT_STR_MAX   (2 * WORKER_CLIENT_MAX + 1)

#define s_log(self, level, event, ...)                                      \
    do {                                                                    \
        if ((self)->log)                                                    \
            zlb_log ((self)->log, (level), (event), __VA_ARGS__);           \
    } while (0)

struct _zlb_worker_t {
    char id [ZLB_WORKER_ID_MAX + 1];  //  our id in confirmations and logs
    char *service;                //  service we offer
    char *curve_server_key;       //  broker's public key (Z85); NULL: plain
    zcert_t *curve_cert;          //  our keys (a copy), applied to every fresh socket
    zlb_log_t *log;               //  borrowed; may be NULL
    zlb_ratelimit_t limit;        //  for warnings about bad input
    zlb_worker_config_t config;       //  what the links share (points into the above)

    zlb_worker_link_t *links;         //  one per broker endpoint
    size_t link_count;
    uint64_t arrivals;            //  REQUESTs taken in so far (their order across links)
    size_t read_turn;             //  the link s_read_queued looks at first

    bool adaptive;                //  the window follows credit_window.h (options.credit 0)
    zlb_credit_window_t window;   //  adaptive: the window we want
    int capacity;                 //  requests we hold at once now (see the top)
    int64_t idle_since;           //  mono ns we replied holding nothing else, 0: not idle
    bool raw_ok;                  //  options.raw: hand over bodies that are not ours

    zlb_worker_slot_t request;     //  the request being served (while holding)
    bool holding;                 //  between zlb_worker_recv and its reply
    zmsg_t *raw_body;             //  its body frames when it is a raw request (owned)
    size_t request_link;          //  the link it arrived on
    unsigned request_socket;      //  that link's socket number then
    uint64_t request_id;          //  from the decoded body
    uint32_t attempt;             //  from the decoded body
    int64_t t_recv;               //  wall clock ns at receipt
    int64_t mono_recv;            //  mono ns at receipt, for service time
    char client_str [S_CLIENT_STR_MAX];  //  printable client address
    zlb_worker_stats_t stats;     //  counters for zlb_worker_stats
};

static int64_t
s_now (const zlb_worker_t *self)
{
    return zlb_worker_link_now (&self->links [0]);
}

static int64_t
s_ms_to_ns (int64_t ms)
{
    return ms * 1000000;
}

//  --------------------------------------------------------------------------
//  Options

void
zlb_worker_options_defaults (zlb_worker_options_t *options)
{
    if (!options)
        return;
    memset (options, 0, sizeof (*options));
    options->service = "echo";
    options->heartbeat_ms = 2500;
    options->liveness = 3;
}

static bool
s_options_valid (const zlb_worker_options_t *o)
{
    if (!o->service || !zlb_worker_service_valid (o->service))
        return false;
    if (o->id && !zlb_worker_id_valid (o->id))
        return false;
    if (o->curve_server_key && !zlb_curve_key_valid (o->curve_server_key))
        return false;
    if (o->credit < 0 || o->credit > ZLB_WORKER_CREDIT_MAX
    ||  o->credit_max < 0 || o->credit_max > ZLB_WORKER_CREDIT_MAX)
        return false;
    if (o->heartbeat_ms <= 0 || o->heartbeat_ms > 3600 * 1000
    ||  o->liveness <= 0 || o->liveness > 1000 || o->reconnect_max_ms < 0)
        return false;
    return true;
}

//  Non-empty, no more than ZLB_WORKER_MAX_BROKERS, none given twice.
static bool
s_endpoints_valid (const char *const *endpoints, size_t count)
{
    if (!endpoints || count == 0 || count > ZLB_WORKER_MAX_BROKERS)
        return false;
    for (size_t index = 0; index < count; index++) {
        if (!endpoints [index] || !*endpoints [index])
            return false;
        for (size_t other = 0; other < index; other++)
            if (streq (endpoints [index], endpoints [other]))
                return false;
    }
    return true;
}

//  --------------------------------------------------------------------------
//  Capacity shared across brokers

//  Requests this link's broker knows we hold: queued, and the one in hand
//  if it came on the link's current socket.
static int
s_owed (const zlb_worker_t *self, size_t index)
{
    const zlb_worker_link_t *link = &self->links [index];
    bool in_hand = self->holding && self->request_link == index
                && self->request_socket == link->sockets && link->sock;
    return (int) link->pending_count + (in_hand ? 1 : 0);
}

static int
s_held (const zlb_worker_t *self)
{
    int held = self->holding ? 1 : 0;
    for (size_t index = 0; index < self->link_count; index++)
        held += (int) self->links [index].pending_count;
    return held;
}

static int
s_free (const zlb_worker_t *self)
{
    int room = self->capacity - s_held (self);
    return room > 0 ? room : 0;
}

//  The window a broker gets now: with one broker, the capacity (it keeps
//  what it holds past a shrunk window); with several, what that broker
//  has here plus everything free (0 more when nothing is: paused).
static int
s_window_for (const zlb_worker_t *self, size_t index)
{
    if (self->link_count == 1)
        return self->capacity;
    int window = s_owed (self, index) + s_free (self);
    return window < self->config.credit_max ? window : self->config.credit_max;
}

static void
s_send_window (zlb_worker_t *self, zlb_worker_link_t *link, int window)
{
    int was = link->window;
    if (zlb_worker_link_send_window (link, window, mdp_bytes (NULL, 0)) == 0)
        s_log (self, ZLB_LOG_DEBUG, "credit_window", "endpoint=%s credit=%d was=%d"
               " capacity=%d held=%d", link->endpoint, window, was, self->capacity,
               s_held (self));
}

//  Tell each broker its window when it must change. One broker: when the
//  capacity moved, exactly as before sharing existed. Several: a broker
//  that could send more is paused when nothing is free, and trimmed when
//  it could send more than the whole capacity (which shrank); one that
//  could send fewer than a quarter of the capacity is raised to all that
//  is free once that is at least a quarter. Between those marks windows
//  stay as they are: overcommitted by what other brokers took, which the
//  pause corrects when it matters, so a busy worker does not send a window
//  update per request.
static void
s_share (zlb_worker_t *self)
{
    if (self->link_count == 1) {
        zlb_worker_link_t *link = &self->links [0];
        if (link->sock && link->window != self->capacity)
            s_send_window (self, link, self->capacity);
        return;
    }
    int room = s_free (self);
    int mark = self->capacity >= 4 ? self->capacity / 4 : 1;
    for (size_t index = 0; index < self->link_count; index++) {
        zlb_worker_link_t *link = &self->links [index];
        if (!link->sock || !link->shares)
            continue;
        int could_send = link->window - s_owed (self, index);
        bool pause = room == 0 && could_send > 0;
        bool trim = could_send > self->capacity;
        bool raise = could_send < mark && room >= mark;
        if (pause || trim || raise) {
            int window = s_window_for (self, index);
            if (window != link->window)
                s_send_window (self, link, window);
        }
    }
}

//  An adaptive worker that served one more request: learn from it, and
//  move the brokers' windows when the capacity it wants changed.
static void
s_window_served (zlb_worker_t *self, int64_t service_ns, int64_t now)
{
    if (self->adaptive) {
        zlb_credit_window_served (&self->window, service_ns);
        self->idle_since = s_held (self) == 1 ? now : 0;   //  (the one being answered)
        int wanted = zlb_credit_window_update (&self->window);
        if (wanted != self->capacity)
            s_log (self, ZLB_LOG_DEBUG, "capacity", "credit=%d was=%d service_us=%" PRId64
                   " rtt_us=%" PRId64, wanted, self->capacity, self->window.service_ns / 1000,
                   zlb_credit_window_rtt (&self->window) / 1000);
        self->capacity = wanted;
    }
}

//  --------------------------------------------------------------------------
//  Replies

static void
s_frames_close (zmq_msg_t *frames, size_t count)
{
    for (size_t index = 0; index < count; index++)
        zmq_msg_close (&frames [index]);
}

//  The id in a request body, for an answer made here; 0 if it has none.
static uint64_t
s_peek_id (zmq_msg_t *body)
{
    zlb_request_t request;
    return body && zlb_request_decode_mem (zmq_msg_data (body), zmq_msg_size (body),
                                           &request, NULL) == 0 ? request.id : 0;
}

//  Answer a client ourselves: an empty reply map and a confirmation.
static void
s_answer_error (zlb_worker_t *self, zlb_worker_link_t *link, mdp_bytes_t client, uint64_t id,
                int status, const char *error)
{
    zmq_msg_t body [2];
    if (zlb_error_reply_msg (body, id, status, self->id, error) == 0)
        zlb_worker_link_send_reply (link, client, body, 2);
    s_frames_close (body, 2);
}

//  A REQUEST whose body is not a zlb request: answer 400 ourselves.
static void
s_answer_bad (zlb_worker_t *self, zlb_worker_link_t *link, mdp_bytes_t client, zmq_msg_t *body,
              const char *err)
{
    char client_str [S_CLIENT_STR_MAX];
    uint64_t id = s_peek_id (body);
    self->stats.bad_requests++;
    zlb_log_kv_limited (self->log, &self->limit, ZLB_LOG_WARNING, "bad_request",
                        ZLB_UINT ("id", id),
                        ZLB_STR ("client", mdp_bytes_str (client.data, client.size, client_str,
                                                          sizeof (client_str))),
                        ZLB_INT ("status", ZLB_STATUS_BAD_REQUEST), ZLB_STR ("error", err ? err : ""));
    s_answer_error (self, link, client, id, ZLB_STATUS_BAD_REQUEST, err);
}

//  Send body (count frames; the caller closes them) as the REPLY to the
//  request in hand, and log it.
static int
s_reply_send (zlb_worker_t *self, zmq_msg_t *body, size_t count, int status)
{
    zlb_worker_link_t *link = &self->links [self->request_link];
    mdp_bytes_t client = zlb_worker_slot_client (&self->request);
    int rc = zlb_worker_link_send_reply (link, client, body, count);
    int64_t now = s_now (self);
    if (rc == 0)
        s_window_served (self, now - self->mono_recv, now);
    zlb_log_kv (self->log, ZLB_LOG_INFO, "request_served", ZLB_UINT ("id", self->request_id),
                ZLB_STR ("client", self->client_str), ZLB_UINT ("attempt", self->attempt),
                ZLB_INT ("service_us", (now - self->mono_recv) / 1000),
                ZLB_INT ("status", status), ZLB_STR ("raw", self->raw_body ? "yes" : "no"),
                ZLB_STR ("sent", rc == 0 ? "yes" : "no"));
    return rc;
}

//  A raw request answered through zlb_worker_reply: one frame, the payload
//  or the error text (plain MDP has no status).
static int
s_reply_plain (zlb_worker_t *self, int status, const void *payload, size_t size,
               const char *error)
{
    if (status != ZLB_STATUS_OK) {
        payload = error && *error ? error : zlb_status_text (status);
        size = strlen ((const char *) payload);
    }
    else
    if (!payload)
        size = 0;
    zmq_msg_t frame;
    if (zmq_msg_init_size (&frame, size) == -1) {
        s_log (self, ZLB_LOG_ERROR, "reply_failed", "id=%" PRIu64 " error=\"out of memory\"",
               self->request_id);
        return -1;
    }
    if (size)
        memcpy (zmq_msg_data (&frame), payload, size);
    int rc = s_reply_send (self, &frame, 1, status);
    zmq_msg_close (&frame);
    return rc;
}

//  Answer one request with a reply map and its confirmation.
static int
s_reply (zlb_worker_t *self, int status, const void *payload, size_t size,
         const char *error)
{
    if (self->raw_body)
        return s_reply_plain (self, status, payload, size, error);
    zlb_reply_t reply = { .id = self->request_id,
                          .payload = payload, .payload_size = payload ? size : 0 };
    zlb_confirm_t confirm = { .id = self->request_id, .status = status,
                              .worker = self->id, .t_recv = self->t_recv,
                              .attempt = self->attempt };
    if (status != ZLB_STATUS_OK)
        confirm.error = error && *error ? error : zlb_status_text (status);
    confirm.t_send = zlb_time_ns ();

    zmq_msg_t body [2];
    int rc = -1;
    bool encoded = zlb_reply_encode_msg (&body [0], &reply) == 0;
    encoded = zlb_confirm_encode_msg (&body [1], &confirm) == 0 && encoded;
    if (encoded)
        rc = s_reply_send (self, body, 2, status);
    else
        s_log (self, ZLB_LOG_ERROR, "reply_failed", "id=%" PRIu64 " error=\"out of memory\"",
               self->request_id);
    s_frames_close (body, 2);      //  (an encoder that failed left its frame empty)
    return rc;
}

static void
s_request_release (zlb_worker_t *self)
{
    zlb_worker_slot_clear (&self->request);
    zmsg_destroy (&self->raw_body);
    self->holding = false;
    zlb_worker_link_rearm (&self->links [self->request_link]);
    s_share (self);
}

//  --------------------------------------------------------------------------
//  Input from the brokers

//  Full, and a sharing broker sent one more (it had not seen our pause
//  yet): give it back at once, pausing that broker too.
static void
s_hand_back (zlb_worker_t *self, size_t index, const mdp_view_t *view)
{
    zlb_worker_link_t *link = &self->links [index];
    int window = s_owed (self, index);
    if (zlb_worker_link_send_window (link, window, view->address) == 0) {
        self->stats.handed_back++;
        zlb_log_limited (self->log, &self->limit, ZLB_LOG_DEBUG, "request_handed_back",
                         "endpoint=%s credit=%d held=%d", link->endpoint, window, s_held (self));
    }
}

//  A REQUEST arrived on a link: keep it for the next zlb_worker_recv, or
//  hand it back when we are full and hold work from other brokers. If the
//  link's ring is full the broker broke its promise: say busy.
static void
s_on_request (zlb_worker_t *self, size_t index, mdp_view_t *view)
{
    zlb_worker_link_t *link = &self->links [index];
    if (link->input.overflow) {
        s_answer_bad (self, link, view->address, view->body, "too many body frames");
        return;
    }
    if (self->link_count > 1 && link->shares && s_free (self) == 0) {
        s_hand_back (self, index, view);
        return;
    }
    if (zlb_worker_link_push (link, view, self->arrivals++) != 0) {
        zlb_log_limited (self->log, &self->limit, ZLB_LOG_WARNING, "request_refused",
                         "reason=\"credit exhausted\" credit=%d status=%d",
                         self->config.credit_max, ZLB_STATUS_BUSY);
        s_answer_error (self, link, view->address, s_peek_id (view->body), ZLB_STATUS_BUSY,
                        "worker busy");
        return;
    }
    if (self->idle_since) {
        //  We were waiting for this one since our last reply: a round trip.
        zlb_credit_window_gap (&self->window, s_now (self) - self->idle_since);
        self->idle_since = 0;
    }
    if (self->link_count > 1)
        s_share (self);
}

static void
s_read (zlb_worker_t *self, size_t index)
{
    zlb_worker_link_t *link = &self->links [index];
    mdp_view_t view;
    if (zlb_worker_link_read (link, &view) == 1) {
        s_on_request (self, index, &view);
        mdp_input_clear (&link->input);
    }
}

//  --------------------------------------------------------------------------
//  The wait step shared by recv and idle

//  Is the worker serving one of this link's requests (whatever its socket)?
static bool
s_busy_with (const zlb_worker_t *self, size_t index)
{
    return self->holding && self->request_link == index;
}

//  The window a fresh socket announces in READY: what is free, but at least
//  1, since a broker that does not know pausing (zlb before it) refuses
//  READY "credit=0/M"; a sharing one that sends while we are full gets
//  the request handed back.
static int
s_ready_window (const zlb_worker_t *self, size_t index)
{
    int window = s_window_for (self, index);
    return window > 0 ? window : 1;
}

//  Run every link's timers; returns the next time one is due.
static int64_t
s_timers (zlb_worker_t *self, int64_t now)
{
    int64_t next = INT64_MAX;
    for (size_t index = 0; index < self->link_count; index++) {
        int64_t due = zlb_worker_link_timers (&self->links [index], now,
                                              s_busy_with (self, index),
                                              s_ready_window (self, index));
        if (due < next)
            next = due;
    }
    return next;
}

//  Sleep in nanoseconds (for the sub-millisecond tail of a wait).
static void
s_nap (int64_t ns)
{
    if (ns <= 0)
        return;
    struct timespec t = { .tv_sec = ns / 1000000000, .tv_nsec = ns % 1000000000 };
    nanosleep (&t, NULL);
}

//  Read one message from a link that has one queued already (under load,
//  and always with credit, the next request usually is): no poll system
//  call. Starts after the link read last, so no broker is starved. True if
//  it read one.
static bool
s_read_queued (zlb_worker_t *self)
{
    for (size_t step = 0; step < self->link_count; step++) {
        size_t index = (self->read_turn + step) % self->link_count;
        zlb_worker_link_t *link = &self->links [index];
        if (link->sock && (zsock_events (link->sock) & ZMQ_POLLIN)) {
            self->read_turn = index + 1;
            s_read (self, index);
            return true;
        }
    }
    return false;
}

//  One step: timers, then wait for input until the next timer or deadline
//  (mono ns), reading at most one message. Signals end the wait early.
static void
s_step (zlb_worker_t *self, int64_t deadline)
{
    int64_t now = s_now (self);
    int64_t until = s_timers (self, now);
    if (deadline < until)
        until = deadline;
    int64_t wait_ns = until > now ? until - now : 0;
    if (s_read_queued (self))
        return;
    zmq_pollitem_t items [ZLB_WORKER_MAX_BROKERS];
    size_t which [ZLB_WORKER_MAX_BROKERS];
    size_t count = 0;
    for (size_t index = 0; index < self->link_count; index++)
        if (self->links [index].sock) {
            items [count] = (zmq_pollitem_t) { zsock_resolve (self->links [index].sock), 0,
                                               ZMQ_POLLIN, 0 };
            which [count++] = index;
        }
    if (count == 0) {
        s_nap (wait_ns);
        return;
    }
    //  zmq_poll counts in ms: wait whole ms, and nap the tail after a 0 poll
    long timeout_ms = (long) (wait_ns / 1000000);
    int rc = zmq_poll (items, (int) count, timeout_ms);
    if (rc > 0) {
        for (size_t item = 0; item < count; item++)
            if (items [item].revents & ZMQ_POLLIN) {
                s_read (self, which [item]);
                break;
            }
    }
    else
    if (rc == 0 && timeout_ms == 0)
        s_nap (until - s_now (self));
    else
    if (rc < 0 && errno != EINTR) {
        zlb_log_limited (self->log, &self->limit, ZLB_LOG_ERROR, "poll_failed", "error=\"%s\"",
                         zmq_strerror (errno));
        s_nap (s_ms_to_ns (timeout_ms < 10 ? timeout_ms : 10));
    }
}

//  --------------------------------------------------------------------------
//  Public API

//  Copy the options into self and the links' shared config.
static int
s_configure (zlb_worker_t *self, const zlb_worker_options_t *options, size_t brokers)
{
    if (options->id)
        snprintf (self->id, sizeof (self->id), "%s", options->id);
    else
        zlb_default_id (self->id, sizeof (self->id));
    self->service = strdup (options->service);
    self->log = options->log;
    self->limit.burst = 10;
    self->raw_ok = options->raw;
    //  credit 0: adaptive up to credit_max; 1: strict MDP; N: a fixed window.
    self->adaptive = options->credit == 0;
    int credit_max = self->adaptive ? (options->credit_max > 0 ? options->credit_max
                                                               : ZLB_CREDIT_WINDOW_DEFAULT_MAX)
                                    : options->credit;
    zlb_credit_window_init (&self->window, credit_max);
    self->capacity = self->adaptive ? self->window.window : credit_max;
    if (options->curve_server_key) {
        //  Our own copy of the keys: a fixed identity across reconnects.
        self->curve_server_key = strdup (options->curve_server_key);
        self->curve_cert = options->curve_cert ? zcert_dup (options->curve_cert) : zcert_new ();
        if (!self->curve_server_key || !self->curve_cert)
            return -1;
    }
    int reconnect_max_ms = options->reconnect_max_ms > 0 ? options->reconnect_max_ms
                                                         : 32 * options->heartbeat_ms;
    self->config = (zlb_worker_config_t) {
        .service = self->service, .id = self->id, .heartbeat_ms = options->heartbeat_ms,
        .liveness = options->liveness,
        .reconnect_max_ms = reconnect_max_ms < options->heartbeat_ms ? options->heartbeat_ms
                                                                     : reconnect_max_ms,
        .log = self->log, .limit = &self->limit, .clock_ns = options->clock_ns,
        .clock_arg = options->clock_arg, .curve_server_key = self->curve_server_key,
        .curve_cert = self->curve_cert,
        .max_body = options->max_body ? options->max_body : ZLB_MAX_BODY_DEFAULT,
        .credit_max = credit_max, .adaptive = self->adaptive, .windowed = brokers > 1 };
    return self->service ? 0 : -1;
}

zlb_worker_t *
zlb_worker_new_multi (const char *const *endpoints, size_t count,
                      const zlb_worker_options_t *options)
{
    zlb_worker_options_t defaults;
    if (!options) {
        zlb_worker_options_defaults (&defaults);
        options = &defaults;
    }
    if (!s_endpoints_valid (endpoints, count) || !s_options_valid (options)) {
        errno = EINVAL;
        return NULL;
    }
    zlb_worker_t *self = (zlb_worker_t *) calloc (1, sizeof (zlb_worker_t));
    if (!self)
        return NULL;
    zlb_worker_slot_init (&self->request);
    self->links = (zlb_worker_link_t *) calloc (count, sizeof (zlb_worker_link_t));
    int rc = self->links && s_configure (self, options, count) == 0 ? 0 : -1;
    errno = ENOMEM;
    for (size_t index = 0; rc == 0 && index < count; index++, self->link_count++)
        rc = zlb_worker_link_init (&self->links [index], &self->config, endpoints [index]);
    for (size_t index = 0; rc == 0 && index < count; index++) {
        errno = 0;
        rc = zlb_worker_link_connect (&self->links [index], s_ready_window (self, index));
    }
    if (rc != 0) {
        int saved = errno;
        zlb_worker_destroy (&self);
        errno = saved ? saved : EINVAL;
        return NULL;
    }
    return self;
}

zlb_worker_t *
zlb_worker_new (const char *endpoint, const zlb_worker_options_t *options)
{
    return zlb_worker_new_multi (&endpoint, 1, options);
}

void
zlb_worker_destroy (zlb_worker_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    zlb_worker_t *self = *self_p;
    for (size_t index = 0; index < self->link_count; index++) {
        zlb_worker_link_t *link = &self->links [index];
        s_log (self, ZLB_LOG_INFO, "leaving", "endpoint=%s connected=%s served=%" PRIu64
               " bad_requests=%" PRIu64 " reconnects=%" PRIu64, link->endpoint,
               link->sock ? "yes" : "no", self->stats.served, self->stats.bad_requests,
               link->reconnects);
        zlb_worker_link_destroy (link);     //  DISCONNECT when connected
    }
    free (self->links);
    zlb_worker_slot_clear (&self->request);
    zmsg_destroy (&self->raw_body);
    free (self->service);
    free (self->curve_server_key);
    zcert_destroy (&self->curve_cert);
    free (self);
    *self_p = NULL;
}

//  True if a REQUEST's body could be meant as a zlb request: one frame
//  that starts like a msgpack map. Anything else (a plain MDP client's
//  text, several frames) is not ours at all.
static bool
s_zlb_shaped (const zlb_worker_slot_t *request)
{
    zmq_msg_t *body = (zmq_msg_t *) &request->body [0];
    if (request->body_count != 1 || zmq_msg_size (body) == 0)
        return false;
    byte first = *(const byte *) zmq_msg_data (body);
    return (first >= 0x80 && first <= 0x8f) || first == 0xde || first == 0xdf;
}

//  The request in hand: remember where it came from, fill work's common fields.
static void
s_hold (zlb_worker_t *self, zlb_work_t *work)
{
    self->holding = true;
    self->request_id = work->id;
    self->attempt = work->attempt;
    self->t_recv = work->t_recv = zlb_time_ns ();
    self->mono_recv = s_now (self);
    work->client = mdp_bytes_str (self->request.client, self->request.client_size,
                                  self->client_str, sizeof (self->client_str));
}

//  options.raw and a body that is not ours: hand its frames over as they came.
static int
s_hold_raw (zlb_worker_t *self, zlb_work_t *work)
{
    self->raw_body = mdp_frames_to_zmsg (self->request.body, self->request.body_count);
    if (!self->raw_body) {
        s_answer_bad (self, &self->links [self->request_link],
                      zlb_worker_slot_client (&self->request), NULL, "worker out of memory");
        zlb_worker_slot_clear (&self->request);
        return 0;
    }
    self->stats.raw_requests++;
    zframe_t *first = zmsg_first (self->raw_body);
    work->frames = self->raw_body;
    work->payload = zframe_data (first);
    work->payload_size = zframe_size (first);
    s_hold (self, work);
    return 1;
}

//  The link whose oldest queued request arrived first; -1 when none has one.
static int
s_oldest_link (const zlb_worker_t *self)
{
    int oldest = -1;
    uint64_t seq = UINT64_MAX;
    for (size_t index = 0; index < self->link_count; index++) {
        const zlb_worker_link_t *link = &self->links [index];
        if (link->pending_count && link->pending [link->pending_head].seq < seq) {
            seq = link->pending [link->pending_head].seq;
            oldest = (int) index;
        }
    }
    return oldest;
}

//  Take the oldest queued REQUEST: decode it, answer 400 if it is not ours
//  (or hand it over raw with options.raw). Returns 1 with work filled, 0
//  if it was answered or dropped. The body stays in self->request, where
//  work's payload points.
static int
s_take_pending (zlb_worker_t *self, size_t index, zlb_work_t *work)
{
    zlb_worker_link_t *link = &self->links [index];
    zlb_worker_slot_t *request = &self->request;
    zlb_worker_link_take (link, request);
    self->request_link = index;
    self->request_socket = link->sockets;   //  queued ones are all from this socket
    memset (work, 0, sizeof *work);
    if (self->raw_ok && !s_zlb_shaped (request))
        return s_hold_raw (self, work);
    zmq_msg_t *body = &request->body [0];
    zlb_request_t decoded;
    const char *err = NULL;
    if (request->body_count != 1)
        err = "expected exactly one body frame";
    else
    if (zlb_request_decode_mem (zmq_msg_data (body), zmq_msg_size (body), &decoded, &err) != 0
    &&  !err)
        err = "malformed request";
    if (err) {
        s_answer_bad (self, link, zlb_worker_slot_client (request), body, err);
        zlb_worker_slot_clear (request);
        s_share (self);
        return 0;
    }
    *work = (zlb_work_t) { .id = decoded.id, .ts = decoded.ts, .attempt = decoded.attempt,
                           .payload = decoded.payload, .payload_size = decoded.payload_size };
    s_hold (self, work);
    return 1;
}

int
zlb_worker_recv (zlb_worker_t *self, zlb_work_t *work, int timeout_ms)
{
    if (!self || !work) {
        errno = EINVAL;
        return -1;
    }
    if (self->holding) {
        //  The caller moved on without answering: tell the client, and free
        //  the broker's slot for us, rather than leave it waiting.
        zlb_worker_reply (self, NULL, ZLB_STATUS_WORKER_ERROR, NULL, 0,
                          "worker did not answer");
    }
    int64_t deadline = timeout_ms < 0 ? INT64_MAX
                     : s_now (self) + s_ms_to_ns (timeout_ms);
    bool stepped = false;         //  timeout 0 still looks once
    while (true) {
        if (zsys_interrupted)
            return -1;
        int oldest = s_oldest_link (self);
        if (oldest >= 0) {
            if (s_take_pending (self, (size_t) oldest, work) == 1)
                return 1;
            continue;
        }
        if (stepped && s_now (self) >= deadline)
            return 0;
        s_step (self, deadline);
        stepped = true;
    }
}

//  May the request in hand be answered? 1 yes; 0 when the socket it came
//  on is gone (the broker has redelivered it: released, logged); -1 when
//  there is no such request (errno EINVAL).
static int
s_answerable (zlb_worker_t *self, const zlb_work_t *work)
{
    if (!self || !self->holding || (work && work->id != self->request_id)) {
        errno = EINVAL;
        return -1;
    }
    zlb_worker_link_t *link = &self->links [self->request_link];
    if (!link->sock || self->request_socket != link->sockets) {
        //  The socket it came on is gone: the broker has redelivered it.
        zlb_log_kv (self->log, ZLB_LOG_WARNING, "reply_dropped", ZLB_UINT ("id", self->request_id),
                    ZLB_STR ("client", self->client_str),
                    ZLB_STR ("reason", "broker connection replaced"));
        s_request_release (self);
        return 0;
    }
    return 1;
}

int
zlb_worker_reply (zlb_worker_t *self, const zlb_work_t *work, int status,
                  const void *payload, size_t size, const char *error)
{
    int rc = s_answerable (self, work);
    if (rc <= 0)
        return rc;
    if (s_reply (self, status, payload, size, error) == 0)
        self->stats.served++;
    s_request_release (self);
    return 0;
}

int
zlb_worker_reply_raw (zlb_worker_t *self, const zlb_work_t *work, zmsg_t **body_p)
{
    zmsg_t *body = body_p ? *body_p : NULL;
    if (body_p)
        *body_p = NULL;
    int rc = -1;
    if (body)
        rc = s_answerable (self, work);
    else
        errno = EINVAL;
    if (rc <= 0) {
        zmsg_destroy (&body);
        return rc;
    }
    size_t count = zmsg_size (body);
    zmq_msg_t *frames = mdp_frames_from_zmsg (body);
    zmsg_destroy (&body);
    if (!frames && count)
        s_log (self, ZLB_LOG_ERROR, "reply_failed", "id=%" PRIu64 " error=\"out of memory\"",
               self->request_id);
    else
    if (s_reply_send (self, frames, count, ZLB_STATUS_OK) == 0)
        self->stats.served++;
    mdp_frames_free (frames, count);
    s_request_release (self);
    return 0;
}

void
zlb_worker_idle (zlb_worker_t *self, int64_t usec)
{
    if (!self)
        return;
    int64_t deadline = s_now (self) + usec * 1000;
    do                            //  at least once: idle (w, 0) services the sockets
        s_step (self, deadline);
    while (s_now (self) < deadline);
}

const char *
zlb_worker_id (const zlb_worker_t *self)
{
    return self ? self->id : NULL;
}

void
zlb_worker_stats (const zlb_worker_t *self, zlb_worker_stats_t *stats)
{
    if (!stats)
        return;
    memset (stats, 0, sizeof *stats);
    if (!self)
        return;
    *stats = self->stats;
    stats->credit = self->links [0].window;
    stats->capacity = self->capacity;
    for (size_t index = 0; index < self->link_count; index++) {
        const zlb_worker_link_t *link = &self->links [index];
        stats->heartbeats_sent += link->heartbeats_sent;
        stats->heartbeats_received += link->heartbeats_received;
        stats->reconnects += link->reconnects;
        stats->brokers_connected += link->sock && link->heard;
    }
}
