/*  worker.c - an MDP/0.1 worker with zlb's msgpack bodies (zlb/worker.h).

    State: either a DEALER socket that has sent READY (connected), or no
    socket and a time at which to make a fresh one (backing off). Three
    timers drive it, all checked in s_step: our next HEARTBEAT, the moment
    the broker counts as dead (liveness x heartbeat of silence), and the
    next reconnect attempt.

    While the caller holds a request (between zlb_worker_recv and
    zlb_worker_reply) we still heartbeat, but never declare the broker dead
    nor reconnect: brokers built like the guide's Majordomo do not
    heartbeat busy workers, and a fresh READY while we are busy would get us
    a second request. The silence window restarts after the reply.        */

#include "zlb/zlb.h"
#include "codec_msg.h"
#include "mdp.h"
#include "curve.h"
#include "util.h"
#include "names.h"
#include "credit_window.h"

#include <errno.h>
#include <inttypes.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#define S_LINGER_LEAVE_MS  200    //  time DISCONNECT gets to leave at destroy
#define S_RCVTIMEO_MS      1000   //  safety bound: we only read when poll said so
#define S_CLIENT_MAX       (MDP_ADDRESS_MAX + MDP_TAG_MAX)  //  a credit broker tags addresses
#define S_CLIENT_STR_MAX   (2 * S_CLIENT_MAX + 1)
#define S_BODY_MAX         (MDP_INPUT_MAX - 5)  //  after "" MDPW01 REQUEST client ""

#define s_log(self, level, event, ...)                                      \
    do {                                                                    \
        if ((self)->log)                                                    \
            zlb_log ((self)->log, (level), (event), __VA_ARGS__);           \
    } while (0)

#define s_log_limited(self, level, event, ...)                              \
    do {                                                                    \
        if ((self)->log)                                                    \
            zlb_log_limited ((self)->log, &(self)->limit, (level), (event), \
                             __VA_ARGS__);                                  \
    } while (0)

//  One REQUEST the worker keeps: the client's address (a copy) and the
//  body frames, moved in from the input. The slots are made once (the
//  credit ring and the one in hand): taking a request allocates nothing.
typedef struct {
    byte client [S_CLIENT_MAX];   //  client address, as the broker gave it
    size_t client_size;
    zmq_msg_t body [S_BODY_MAX];  //  body frames, initialised (empty when unused)
    size_t body_count;
} s_request_t;

struct _zlb_worker_t {
    char *endpoint;               //  broker endpoint
    char *service;                //  service we offer
    char id [ZLB_WORKER_ID_MAX + 1];  //  our id in confirmations and logs
    int heartbeat_ms;             //  heartbeat interval
    int liveness;                 //  silent intervals before the broker is dead
    int reconnect_max_ms;         //  backoff ceiling
    zlb_log_t *log;               //  borrowed; may be NULL
    zlb_ratelimit_t limit;        //  for warnings about bad input
    int64_t (*clock_ns) (void *arg);  //  test clock (options); NULL: zlb_mono_ns
    void *clock_arg;              //  passed to clock_ns
    char *curve_server_key;       //  broker's public key (Z85); NULL: plain
    zcert_t *curve_cert;          //  our keys (a copy), applied to every fresh socket
    size_t max_body;              //  largest request frame we read (ZMQ_MAXMSGSIZE)

    zsock_t *sock;                //  DEALER, NULL while backing off
    unsigned sockets;             //  fresh sockets made so far (routing id suffix)
    int64_t heartbeat_at;         //  mono ns: send our next HEARTBEAT
    int64_t expire_at;            //  mono ns: broker dead if silent until then
    int64_t reconnect_at;         //  mono ns: make a fresh socket (sock == NULL)
    int64_t disconnect_at;        //  mono ns of the last DISCONNECT from the broker
    int backoff_ms;               //  wait before the next fresh socket
    bool heard;                   //  broker heard from since READY on this socket

    mdp_input_t input;            //  the message being read from the broker
    int credit_max;               //  most requests the broker may send ahead (>= 1)
    bool adaptive;                //  the window follows credit_window.h (options.credit 0)
    zlb_credit_window_t window;   //  adaptive: the window we want
    int announced;                //  the window the broker has from us
    int64_t idle_since;           //  mono ns we replied holding nothing else, 0: not idle
    s_request_t *pending;         //  ring of REQUESTs not yet handed out (credit_max slots),
                                  //  all from the current socket (s_close drops them)
    size_t pending_head;          //  index of the oldest pending REQUEST
    size_t pending_count;         //  REQUESTs in the ring
    bool raw_ok;                  //  options.raw: hand over bodies that are not ours
    s_request_t request;          //  the request being served (while holding)
    bool holding;                 //  between zlb_worker_recv and its reply
    zmsg_t *raw_body;             //  its body frames when it is a raw request (owned)
    unsigned request_socket;      //  socket number it arrived on
    uint64_t request_id;          //  from the decoded body
    uint32_t attempt;             //  from the decoded body
    int64_t t_recv;               //  wall clock ns at receipt
    int64_t mono_recv;            //  mono ns at receipt, for service time
    char client_str [S_CLIENT_STR_MAX];  //  printable client address
    zlb_worker_stats_t stats;     //  counters for zlb_worker_stats
};

//  Monotonic ns: every timer of the worker reads this one clock.
static int64_t
s_now (const zlb_worker_t *self)
{
    return self->clock_ns ? self->clock_ns (self->clock_arg) : zlb_mono_ns ();
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
s_options_valid (const char *endpoint, const zlb_worker_options_t *o)
{
    if (!endpoint || !o->service)
        return false;
    if (!zlb_worker_service_valid (o->service))
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

//  --------------------------------------------------------------------------
//  Socket life

//  Send a message to the broker. Never blocks: if libzmq cannot queue it
//  the broker is gone and expiry handles it. Body frames are moved out.
static int
s_send (zlb_worker_t *self, const mdp_view_t *message)
{
    int rc = mdp_send (zsock_resolve (self->sock), message, false);
    if (rc != 0)
        s_log_limited (self, ZLB_LOG_WARNING, "send_failed", "command=%s error=\"%s\"",
                       mdp_command_name (message->command), zmq_strerror (errno));
    return rc;
}

//  HEARTBEAT or DISCONNECT: no frames after the command.
static int
s_send_command (zlb_worker_t *self, int command)
{
    mdp_view_t message = { .worker = true, .command = command };
    return s_send (self, &message);
}

//  READY: service, and the credit extension's frame (docs/protocol.md):
//  "credit=N" for a fixed window, "credit=N/M" for an adaptive one now at
//  N. Strict MDP workers (credit 1) send plain READY.
static int
s_send_ready (zlb_worker_t *self)
{
    self->announced = self->adaptive ? self->window.window : self->credit_max;
    mdp_view_t message = { .worker = true, .command = MDP_READY, .credit = self->announced,
                           .credit_max = self->credit_max,
                           .service = mdp_bytes (self->service, strlen (self->service)) };
    return s_send (self, &message);
}

//  An adaptive worker that served one more request: learn from it, and
//  tell the broker when the window it wants changed (HEARTBEAT "credit=N").
static void
s_window_served (zlb_worker_t *self, int64_t service_ns, int64_t now)
{
    if (!self->adaptive)
        return;
    zlb_credit_window_served (&self->window, service_ns);
    self->idle_since = self->pending_count == 0 ? now : 0;
    int wanted = zlb_credit_window_update (&self->window);
    if (wanted == self->announced || !self->sock)
        return;
    mdp_view_t message = { .worker = true, .command = MDP_HEARTBEAT, .credit = wanted };
    if (s_send (self, &message) != 0)
        return;
    s_log (self, ZLB_LOG_DEBUG, "credit_window", "credit=%d was=%d service_us=%" PRId64
           " rtt_us=%" PRId64, wanted, self->announced, self->window.service_ns / 1000,
           zlb_credit_window_rtt (&self->window) / 1000);
    self->announced = wanted;
}

//  Send body (count frames, moved out; the caller closes them) as the
//  REPLY to this client.
static int
s_send_reply (zlb_worker_t *self, mdp_bytes_t client, zmq_msg_t *body, size_t count)
{
    mdp_view_t message = { .worker = true, .command = MDP_REPLY, .address = client,
                           .body = body, .body_count = count };
    if (s_send (self, &message) != 0)
        return -1;
    //  The reply tells the broker we are alive: no HEARTBEAT for another
    //  interval (RFC 7: not while sending other commands).
    self->heartbeat_at = s_now (self) + s_ms_to_ns (self->heartbeat_ms);
    return 0;
}

static void
s_frames_close (zmq_msg_t *frames, size_t count)
{
    for (size_t index = 0; index < count; index++)
        zmq_msg_close (&frames [index]);
}

//  --------------------------------------------------------------------------
//  Request slots

static void
s_slot_init (s_request_t *slot)
{
    for (size_t index = 0; index < S_BODY_MAX; index++)
        zmq_msg_init (&slot->body [index]);
    slot->client_size = 0;
    slot->body_count = 0;
}

//  Release the body frames; the slot is empty and ready again.
static void
s_slot_clear (s_request_t *slot)
{
    for (size_t index = 0; index < slot->body_count; index++) {
        zmq_msg_close (&slot->body [index]);
        zmq_msg_init (&slot->body [index]);
    }
    slot->client_size = 0;
    slot->body_count = 0;
}

//  Fill an empty slot: a copy of the client address, the body frames
//  moved in (count <= S_BODY_MAX, client.size <= S_CLIENT_MAX: mdp_parse
//  and the bounded input see to both).
static void
s_slot_fill (s_request_t *slot, mdp_bytes_t client, zmq_msg_t *body, size_t count)
{
    memcpy (slot->client, client.data, client.size);
    slot->client_size = client.size;
    for (size_t index = 0; index < count; index++)
        zmq_msg_move (&slot->body [index], &body [index]);
    slot->body_count = count;
}

static mdp_bytes_t
s_slot_client (const s_request_t *slot)
{
    return mdp_bytes (slot->client, slot->client_size);
}

//  Move the oldest pending REQUEST into the slot `into` (empty).
static void
s_pending_take (zlb_worker_t *self, s_request_t *into)
{
    s_request_t *oldest = &self->pending [self->pending_head];
    s_slot_fill (into, s_slot_client (oldest), oldest->body, oldest->body_count);
    s_slot_clear (oldest);
    self->pending_head = (self->pending_head + 1) % (size_t) self->credit_max;
    self->pending_count--;
}

static void
s_drop_pending (zlb_worker_t *self)
{
    if (self->pending_count)
        s_log (self, ZLB_LOG_WARNING, "request_dropped", "requests=%zu"
               " reason=\"socket replaced; the broker redelivers them\"",
               self->pending_count);
    while (self->pending_count) {
        s_slot_clear (&self->pending [self->pending_head]);
        self->pending_head = (self->pending_head + 1) % (size_t) self->credit_max;
        self->pending_count--;
    }
}

//  Close the socket without waiting for queued messages: they were for a
//  broker that is gone or that told us to go.
static void
s_close (zlb_worker_t *self)
{
    if (self->sock) {
        zsock_set_linger (self->sock, 0);
        zsock_destroy (&self->sock);
    }
    s_drop_pending (self);
}

//  64 unpredictable bits (getrandom; the clock and our address if it fails).
static uint64_t
s_random64 (void)
{
    uint64_t value = 0;
    if (getrandom (&value, sizeof (value), GRND_NONBLOCK) != (ssize_t) sizeof (value))
        value = (uint64_t) zlb_mono_ns () ^ (uint64_t) (uintptr_t) &value ^ (uint64_t) getpid ();
    return value;
}

//  Make a fresh DEALER, connect it and send READY. 0 on success.
//  Its routing id is ID#N.RANDOM: unique per connection, so a restarted
//  worker never collides with the id of its own dead connection (the broker
//  refuses a routing id another connection holds), and nobody can guess it
//  (the broker shows only ID#N under CURVE).
static int
s_connect (zlb_worker_t *self)
{
    char routing_id [ZLB_WORKER_ID_MAX + 40];
    self->sockets++;
    snprintf (routing_id, sizeof (routing_id), "%s#%u.%016" PRIx64, self->id, self->sockets,
              s_random64 ());

    self->sock = zsock_new (ZMQ_DEALER);
    if (!self->sock)
        return -1;
    zsock_set_identity (self->sock, routing_id);
    //  ZMTP heartbeats as well as MDP ones: libzmq then drops a connection
    //  whose broker went silent (half-open TCP, frozen host) by itself and
    //  reconnects, so what we queue meanwhile is not stuck behind it. One
    //  PING per liveness window: MDP heartbeats do the fine-grained watch.
    int silence_ms = self->heartbeat_ms * self->liveness;
    zsock_set_heartbeat_ivl (self->sock, silence_ms);
    zsock_set_heartbeat_timeout (self->sock, silence_ms);
    zsock_set_sndtimeo (self->sock, 0);
    zsock_set_rcvtimeo (self->sock, S_RCVTIMEO_MS);
    zsock_set_linger (self->sock, 0);
    zsock_set_maxmsgsize (self->sock, zlb_frame_limit (self->max_body));
    if (self->curve_server_key)     //  every fresh socket needs the keys again
        zlb_curve_client_apply (self->sock, self->curve_cert, self->curve_server_key);
    if (zsock_connect (self->sock, "%s", self->endpoint) != 0) {
        int saved = errno;
        zsock_destroy (&self->sock);
        errno = saved;
        return -1;
    }
    int64_t now = s_now (self);
    self->heard = false;
    self->heartbeat_at = now + s_ms_to_ns (self->heartbeat_ms);
    self->expire_at = now + s_ms_to_ns ((int64_t) self->heartbeat_ms * self->liveness
                                        + (self->sockets > 1 ? self->backoff_ms : 0));
    s_send_ready (self);
    s_log (self, ZLB_LOG_INFO, "registered", "endpoint=%s service=%s socket=%s",
           self->endpoint, self->service, routing_id);
    return 0;
}

//  The broker has been silent too long: start again on a fresh socket at
//  once (libzmq reconnects it within ZMQ_RECONNECT_IVL as soon as the broker
//  is back, and READY is already queued), but back off by giving each new
//  socket a longer silence window, so a long outage does not churn sockets.
static void
s_broker_silent (zlb_worker_t *self, int64_t now)
{
    self->backoff_ms = self->backoff_ms > self->reconnect_max_ms / 2
                     ? self->reconnect_max_ms : self->backoff_ms * 2;
    s_log (self, ZLB_LOG_WARNING, "broker_silent",
           "endpoint=%s silent_ms=%d next_window_ms=%d", self->endpoint,
           self->heartbeat_ms * self->liveness,
           self->heartbeat_ms * self->liveness + self->backoff_ms);
    s_close (self);
    self->reconnect_at = now;
}

//  The broker told us to go. Come back at once, unless it keeps doing so:
//  then back off like after a silence so we do not spin.
static void
s_broker_disconnect (zlb_worker_t *self, int64_t now)
{
    bool again = self->disconnect_at
              && now - self->disconnect_at < s_ms_to_ns (self->heartbeat_ms);
    self->disconnect_at = now;
    s_close (self);
    self->reconnect_at = again ? now + s_ms_to_ns (self->backoff_ms) : now;
    s_log (self, ZLB_LOG_INFO, "reconnecting", "reason=disconnect reconnect_in_ms=%d",
           again ? self->backoff_ms : 0);
    if (again)
        self->backoff_ms = self->backoff_ms > self->reconnect_max_ms / 2
                         ? self->reconnect_max_ms : self->backoff_ms * 2;
}

//  --------------------------------------------------------------------------
//  Replies

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
s_answer_error (zlb_worker_t *self, mdp_bytes_t client, uint64_t id, int status,
                const char *error)
{
    zmq_msg_t body [2];
    if (zlb_error_reply_msg (body, id, status, self->id, error) == 0)
        s_send_reply (self, client, body, 2);
    s_frames_close (body, 2);
}

//  A REQUEST whose body is not a zlb request: answer 400 ourselves.
static void
s_answer_bad (zlb_worker_t *self, mdp_bytes_t client, zmq_msg_t *body, const char *err)
{
    char client_str [S_CLIENT_STR_MAX];
    uint64_t id = s_peek_id (body);
    self->stats.bad_requests++;
    zlb_log_kv_limited (self->log, &self->limit, ZLB_LOG_WARNING, "bad_request",
                        ZLB_UINT ("id", id),
                        ZLB_STR ("client", mdp_bytes_str (client.data, client.size, client_str,
                                                          sizeof (client_str))),
                        ZLB_INT ("status", ZLB_STATUS_BAD_REQUEST), ZLB_STR ("error", err ? err : ""));
    s_answer_error (self, client, id, ZLB_STATUS_BAD_REQUEST, err);
}

//  Send body (count frames; the caller closes them) as the REPLY to the
//  request in hand, and log it.
static int
s_reply_send (zlb_worker_t *self, zmq_msg_t *body, size_t count, int status)
{
    int rc = s_send_reply (self, s_slot_client (&self->request), body, count);
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
    s_slot_clear (&self->request);
    zmsg_destroy (&self->raw_body);
    self->holding = false;
    //  The broker may have been silent, legitimately, while we were busy.
    if (self->sock)
        self->expire_at = s_now (self)
                        + s_ms_to_ns ((int64_t) self->heartbeat_ms * self->liveness);
}

//  --------------------------------------------------------------------------
//  Input from the broker

//  A REQUEST arrived: keep it for the next zlb_worker_recv. If `credit`
//  are already waiting the broker broke its promise: say busy.
static void
s_on_request (zlb_worker_t *self, mdp_view_t *view)
{
    if (self->pending_count == (size_t) self->credit_max) {
        s_log_limited (self, ZLB_LOG_WARNING, "request_refused",
                       "reason=\"credit exhausted\" credit=%d status=%d",
                       self->credit_max, ZLB_STATUS_BUSY);
        s_answer_error (self, view->address, s_peek_id (view->body), ZLB_STATUS_BUSY,
                        "worker busy");
        return;
    }
    if (self->idle_since) {
        //  We were waiting for this one since our last reply: a round trip.
        zlb_credit_window_gap (&self->window, s_now (self) - self->idle_since);
        self->idle_since = 0;
    }
    size_t tail = (self->pending_head + self->pending_count) % (size_t) self->credit_max;
    s_slot_fill (&self->pending [tail], view->address, view->body, view->body_count);
    self->pending_count++;
}

static void
s_malformed (zlb_worker_t *self, const mdp_view_t *view, const char *reason)
{
    s_log_limited (self, ZLB_LOG_WARNING, "malformed", "frames=%zu command=%s error=\"%s\"",
                   self->input.count + self->input.overflow,
                   view->command < 0 ? "?" : mdp_command_name (view->command), reason);
}

//  The message in self->input, from the broker (a DEALER: no routing id).
static void
s_on_message (zlb_worker_t *self, int64_t now)
{
    mdp_view_t view;
    mdp_error_t error = mdp_parse (self->input.frame, self->input.count, false, &view);
    if (error == MDP_OK && !view.worker)
        error = MDP_E_PROTOCOL;   //  a client message is no business of ours
    if (error == MDP_OK && view.command == MDP_REQUEST && view.body_count == 0)
        error = MDP_E_SHORT;      //  a request without body
    if (error != MDP_OK)
        s_malformed (self, &view, self->input.overflow ? "too many frames" : mdp_strerror (error));
    else
    if (view.command == MDP_REQUEST && self->input.overflow)
        s_answer_bad (self, view.address, view.body, "too many body frames");
    else
    if (view.command == MDP_REQUEST)
        s_on_request (self, &view);
    else
    if (view.command == MDP_HEARTBEAT) {
        self->stats.heartbeats_received++;
        s_log (self, ZLB_LOG_DEBUG, "heartbeat_received", NULL);
    }
    else
    if (view.command == MDP_DISCONNECT)
        s_broker_disconnect (self, now);
    else
        s_malformed (self, &view, "unexpected command");
}

//  Read one message. Anything at all from the broker proves it is alive.
static void
s_read (zlb_worker_t *self)
{
    if (mdp_recv (zsock_resolve (self->sock), &self->input) != 0)
        return;               //  nothing after all, or interrupted
    int64_t now = s_now (self);
    self->expire_at = now + s_ms_to_ns ((int64_t) self->heartbeat_ms * self->liveness);
    if (!self->heard) {
        //  First word from the broker since READY: registration worked.
        self->heard = true;
        if (self->sockets > 1)
            s_log (self, ZLB_LOG_INFO, "broker_heard", "endpoint=%s socket=%u",
                   self->endpoint, self->sockets);
        self->backoff_ms = self->heartbeat_ms;
    }
    s_on_message (self, now);
    mdp_input_clear (&self->input);
}

//  --------------------------------------------------------------------------
//  The wait step shared by recv and idle

//  Run due timers; returns the next time one is due.
static int64_t
s_timers (zlb_worker_t *self, int64_t now)
{
    bool busy = self->holding;
    if (self->sock && now >= self->heartbeat_at) {
        if (s_send_command (self, MDP_HEARTBEAT) == 0) {
            self->stats.heartbeats_sent++;
            s_log (self, ZLB_LOG_DEBUG, "heartbeat_sent", NULL);
        }
        self->heartbeat_at = now + s_ms_to_ns (self->heartbeat_ms);
    }
    if (self->sock && !busy && now >= self->expire_at)
        s_broker_silent (self, now);
    if (!self->sock && !busy && now >= self->reconnect_at) {
        if (s_connect (self) != 0) {
            s_log_limited (self, ZLB_LOG_ERROR, "connect_failed", "endpoint=%s error=\"%s\"",
                           self->endpoint, zmq_strerror (errno));
            self->reconnect_at = now + s_ms_to_ns (self->backoff_ms);
        }
        else
        if (self->sockets > 1)
            self->stats.reconnects++;
    }
    if (self->sock)
        return busy || self->heartbeat_at < self->expire_at
             ? self->heartbeat_at : self->expire_at;
    return busy ? INT64_MAX : self->reconnect_at;
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
    //  zmq_poll counts in ms: wait whole ms, and nap the tail after a 0 poll
    long timeout_ms = (long) (wait_ns / 1000000);
    if (!self->sock) {
        s_nap (wait_ns);
        return;
    }
    //  Under load (and always with credit) the next request is usually
    //  queued already: take it without the poll system call.
    if (zsock_events (self->sock) & ZMQ_POLLIN) {
        s_read (self);
        return;
    }
    zmq_pollitem_t item = { zsock_resolve (self->sock), 0, ZMQ_POLLIN, 0 };
    int rc = zmq_poll (&item, 1, timeout_ms);
    if (rc > 0 && (item.revents & ZMQ_POLLIN))
        s_read (self);
    else
    if (rc == 0 && timeout_ms == 0)
        s_nap (until - s_now (self));
    else
    if (rc < 0 && errno != EINTR) {
        s_log_limited (self, ZLB_LOG_ERROR, "poll_failed", "error=\"%s\"",
                       zmq_strerror (errno));
        s_nap (s_ms_to_ns (timeout_ms < 10 ? timeout_ms : 10));
    }
}

//  --------------------------------------------------------------------------
//  Public API

zlb_worker_t *
zlb_worker_new (const char *endpoint, const zlb_worker_options_t *options)
{
    zlb_worker_options_t defaults;
    if (!options) {
        zlb_worker_options_defaults (&defaults);
        options = &defaults;
    }
    if (!s_options_valid (endpoint, options)) {
        errno = EINVAL;
        return NULL;
    }
    zlb_worker_t *self = (zlb_worker_t *) calloc (1, sizeof (zlb_worker_t));
    if (!self)
        return NULL;
    self->endpoint = strdup (endpoint);
    self->service = strdup (options->service);
    if (options->id)
        snprintf (self->id, sizeof (self->id), "%s", options->id);
    else
        zlb_default_id (self->id, sizeof (self->id));
    self->heartbeat_ms = options->heartbeat_ms;
    self->liveness = options->liveness;
    self->reconnect_max_ms = options->reconnect_max_ms > 0
                           ? options->reconnect_max_ms : 32 * options->heartbeat_ms;
    if (self->reconnect_max_ms < self->heartbeat_ms)
        self->reconnect_max_ms = self->heartbeat_ms;
    self->backoff_ms = self->heartbeat_ms;
    self->log = options->log;
    self->max_body = options->max_body ? options->max_body : ZLB_MAX_BODY_DEFAULT;
    self->clock_ns = options->clock_ns;
    self->clock_arg = options->clock_arg;
    self->limit.burst = 10;
    //  credit 0: adaptive up to credit_max; 1: strict MDP; N: a fixed window.
    self->adaptive = options->credit == 0;
    self->credit_max = self->adaptive ? (options->credit_max > 0 ? options->credit_max
                                                               : ZLB_CREDIT_WINDOW_DEFAULT_MAX)
                                      : options->credit;
    zlb_credit_window_init (&self->window, self->credit_max);
    self->raw_ok = options->raw;
    mdp_input_init (&self->input);
    s_slot_init (&self->request);
    self->pending = (s_request_t *) calloc ((size_t) self->credit_max, sizeof (s_request_t));
    if (!self->pending) {
        zlb_worker_destroy (&self);
        errno = ENOMEM;
        return NULL;
    }
    for (int slot = 0; slot < self->credit_max; slot++)
        s_slot_init (&self->pending [slot]);
    if (options->curve_server_key) {
        //  Our own copy of the keys: a fixed identity across reconnects.
        self->curve_server_key = strdup (options->curve_server_key);
        self->curve_cert = options->curve_cert ? zcert_dup (options->curve_cert) : zcert_new ();
        if (!self->curve_server_key || !self->curve_cert) {
            zlb_worker_destroy (&self);
            errno = ENOMEM;
            return NULL;
        }
    }
    if (!self->endpoint || !self->service || s_connect (self) != 0) {
        int saved = errno;
        zlb_worker_destroy (&self);
        errno = saved ? saved : EINVAL;
        return NULL;
    }
    return self;
}

void
zlb_worker_destroy (zlb_worker_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    zlb_worker_t *self = *self_p;
    s_log (self, ZLB_LOG_INFO, "leaving", "endpoint=%s connected=%s served=%" PRIu64
           " bad_requests=%" PRIu64 " reconnects=%" PRIu64, self->endpoint,
           self->sock ? "yes" : "no", self->stats.served, self->stats.bad_requests,
           self->stats.reconnects);
    if (self->sock) {
        s_send_command (self, MDP_DISCONNECT);
        zsock_set_linger (self->sock, S_LINGER_LEAVE_MS);
        zsock_destroy (&self->sock);
    }
    if (self->pending)
        s_drop_pending (self);
    free (self->pending);
    s_slot_clear (&self->request);
    mdp_input_clear (&self->input);
    zmsg_destroy (&self->raw_body);
    free (self->endpoint);
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
s_zlb_shaped (const s_request_t *request)
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
    self->request_socket = self->sockets;   //  pending ones are all from this socket
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
        s_answer_bad (self, s_slot_client (&self->request), NULL, "worker out of memory");
        s_slot_clear (&self->request);
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

//  Take the pending REQUEST: decode it, answer 400 if it is not ours (or
//  hand it over raw with options.raw). Returns 1 with work filled, 0 if
//  it was answered or dropped. The body stays in self->request, where
//  work's payload points.
static int
s_take_pending (zlb_worker_t *self, zlb_work_t *work)
{
    s_request_t *request = &self->request;
    s_pending_take (self, request);
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
        s_answer_bad (self, s_slot_client (request), body, err);
        s_slot_clear (request);
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
        if (self->pending_count) {
            if (s_take_pending (self, work) == 1)
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
    if (!self->sock || self->request_socket != self->sockets) {
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
    do                            //  at least once: idle (w, 0) services the socket
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
    if (stats && self) {
        *stats = self->stats;
        stats->credit = self->announced;
    }
    else
    if (stats)
        memset (stats, 0, sizeof *stats);
}
