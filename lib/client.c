/*  client.c - an MDP/0.1 client with zlb's msgpack bodies (zlb/client.h).

    One DEALER socket per broker (client_brokers.c picks the broker of each
    attempt, marks brokers suspect and probes them). Each request in flight
    is one s_request_t, found by id in a hash (replies) and kept in a list
    ordered by attempt deadline (retries). Every attempt waits the same timeout_ms, so appending at the
    end keeps that list sorted: the head is always the next to time out,
    and a resend simply moves its request to the end.

    The socket never blocks: RCVTIMEO/SNDTIMEO are 0, and waiting is done
    in zmq_poll up to the earlier of the caller's timeout and the next
    attempt deadline. A send that the high-water mark refuses is left to
    the retry timer, so a stuck broker can never hang the caller.           */

#include "zlb/zlb.h"
#include "codec_msg.h"
#include "mdp.h"
#include "client_brokers.h"
#include "util.h"

#include <errno.h>
#include <inttypes.h>
#include <string.h>

#define S_DEFAULT_TIMEOUT_MS   3000
#define S_DEFAULT_RETRIES      3
#define S_DEFAULT_INFLIGHT     1024
#define S_DEFAULT_MAX_PAYLOAD  (1024 * 1024)
#define S_WARN_BURST           20        //  warnings per second, per client

//  One request in flight. Allocated as one block: the struct, then the
//  service name, then a copy of the payload for resends.
typedef struct {
    uint64_t id;                  //  hash key (the hash points at this field)
    uint32_t attempts;            //  sends so far, the current one included
    bool raw;                     //  raw body out, raw frames back (mmi.*, send_raw)
    zmq_msg_t *frames;            //  zlb_client_send_raw: the body (owned), resent as copies
    size_t frame_count;           //  how many
    int64_t first_ns;             //  monotonic time of the first send
    int64_t deadline_ns;          //  monotonic time the current attempt times out
    void *handle;                 //  our node in the client's timer list
    size_t broker;                //  where the current attempt went (ZLB_BROKER_NONE: none yet)
    size_t size;                  //  payload bytes (raw frames: all their bytes)
    const uint8_t *payload;       //  points into this block, after service
    char service [];              //  NUL-terminated service name
} s_request_t;

struct _zlb_client_t {
    zlb_brokers_t brokers;        //  a DEALER to each broker
    zmq_pollitem_t *items;        //  room to poll them and their probe sockets
    size_t source;                //  the broker the message in input came from
    size_t read_at;               //  the broker read first next time (fairness)
    zlb_client_options_t options; //  copy of the caller's options, defaults filled
    int64_t timeout_ns;           //  options.timeout_ms in ns
    zhashx_t *requests;           //  id -> s_request_t, the requests in flight
    zlistx_t *timers;             //  the same requests, earliest deadline first
    uint64_t last_id;             //  highest id issued (ids start at 1)
    s_request_t *done;            //  request behind the last result (borrowed by it)
    mdp_input_t input;            //  message behind the last result (payload)
    zmsg_t *frames;               //  the last result's frames, when it has them
    zlb_confirm_t confirm;        //  decoded confirmation (worker, error strings)
    zlb_client_stats_t stats;     //  counters since creation
    zlb_ratelimit_t limit;        //  rate limit for warnings about bad input
};

//  Monotonic ns: every deadline of the client reads this one clock.
static int64_t
s_now (const zlb_client_t *self)
{
    return self->options.clock_ns ? self->options.clock_ns (self->options.clock_arg)
                                  : zlb_mono_ns ();
}

//  --------------------------------------------------------------------------
//  Hash helpers: keys are pointers to the uint64_t id inside each request.

static size_t
s_id_hash (const void *key)
{
    uint64_t id = *(const uint64_t *) key;
    return (size_t) (id ^ (id >> 32));     //  sequential ids spread over a prime table
}

static int
s_id_compare (const void *key1, const void *key2)
{
    uint64_t a = *(const uint64_t *) key1, b = *(const uint64_t *) key2;
    return a < b ? -1 : a > b;
}

void
zlb_client_options_defaults (zlb_client_options_t *options)
{
    if (!options)
        return;
    memset (options, 0, sizeof *options);
    options->timeout_ms = S_DEFAULT_TIMEOUT_MS;
    options->retries = S_DEFAULT_RETRIES;
    options->max_inflight = S_DEFAULT_INFLIGHT;
    options->max_payload = S_DEFAULT_MAX_PAYLOAD;
}

//  Copy options, filling zero limits with defaults. -1 on nonsense values.
static int
s_options_take (zlb_client_options_t *dest, const zlb_client_options_t *options)
{
    zlb_client_options_defaults (dest);
    if (!options)
        return 0;
    if (options->timeout_ms <= 0 || options->retries < 0)
        return -1;
    *dest = *options;
    if (dest->max_inflight == 0)
        dest->max_inflight = S_DEFAULT_INFLIGHT;
    if (dest->max_payload == 0)
        dest->max_payload = S_DEFAULT_MAX_PAYLOAD;
    return 0;
}

zlb_client_t *
zlb_client_new (const char *endpoint, const zlb_client_options_t *options)
{
    return zlb_client_new_multi (&endpoint, 1, options);
}

zlb_client_t *
zlb_client_new_multi (const char *const *endpoints, size_t count,
                      const zlb_client_options_t *options)
{
    zlb_client_t *self = (zlb_client_t *) zmalloc (sizeof (zlb_client_t));
    if (!self) {
        errno = ENOMEM;
        return NULL;
    }
    mdp_input_init (&self->input);
    int error = EINVAL;
    if (s_options_take (&self->options, options))
        goto failed;
    self->timeout_ns = (int64_t) self->options.timeout_ms * 1000000;
    self->limit.burst = S_WARN_BURST;
    //  Replies are bounded like request bodies at the broker.
    if (self->options.max_reply == 0)
        self->options.max_reply = self->options.max_payload > ZLB_MAX_BODY_DEFAULT
                                ? self->options.max_payload : ZLB_MAX_BODY_DEFAULT;
    if (zlb_brokers_open (&self->brokers, endpoints, count, &self->options)) {
        error = errno;
        goto failed;
    }
    error = ENOMEM;
    self->requests = zhashx_new ();
    self->timers = zlistx_new ();
    self->items = (zmq_pollitem_t *) calloc (2 * count, sizeof (zmq_pollitem_t));
    if (!self->requests || !self->timers || !self->items)
        goto failed;
    zhashx_set_key_hasher (self->requests, s_id_hash);
    zhashx_set_key_comparator (self->requests, s_id_compare);
    zhashx_set_key_duplicator (self->requests, NULL);
    zhashx_set_key_destructor (self->requests, NULL);
    return self;

failed:
    zlb_client_destroy (&self);
    errno = error;
    return NULL;
}

static void
s_request_destroy (s_request_t **request_p)
{
    if (*request_p) {
        mdp_frames_free ((*request_p)->frames, (*request_p)->frame_count);
        free (*request_p);
        *request_p = NULL;
    }
}

//  Free what the last result borrowed.
static void
s_release (zlb_client_t *self)
{
    s_request_destroy (&self->done);
    zmsg_destroy (&self->frames);
    mdp_input_clear (&self->input);
}

void
zlb_client_destroy (zlb_client_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    zlb_client_t *self = *self_p;
    s_release (self);
    if (self->timers) {
        s_request_t *request = (s_request_t *) zlistx_first (self->timers);
        while (request) {
            s_request_destroy (&request);
            request = (s_request_t *) zlistx_next (self->timers);
        }
        zlistx_destroy (&self->timers);
    }
    zhashx_destroy (&self->requests);
    zlb_brokers_close (&self->brokers);
    free (self->items);
    free (self);
    *self_p = NULL;
}

//  --------------------------------------------------------------------------
//  Sending

//  The body of one attempt into frame: a zlb request map, or for mmi.* the
//  raw payload (RFC 8: the body is the service name to look up).
static int
s_body_new (s_request_t *request, zmq_msg_t *frame)
{
    if (!request->raw) {
        zlb_request_t body = {
            .id = request->id,
            .ts = (uint64_t) zlb_time_ns (),
            .attempt = request->attempts,
            .payload = request->payload,
            .payload_size = request->size
        };
        return zlb_request_encode_msg (frame, &body);
    }
    if (zmq_msg_init_size (frame, request->size) == -1) {
        zmq_msg_init (frame);
        return -1;
    }
    if (request->size)
        memcpy (zmq_msg_data (frame), request->payload, request->size);
    return 0;
}

//  Send "" "MDPC01" service + body without waiting. Once the first frame is
//  accepted libzmq takes the rest of the message, so HWM refusal (EAGAIN)
//  can only happen on the first frame and never leaves half a message.
//  keep: the body frames are sent as shared copies (a raw request keeps
//  them for resends).
static int
s_send_body (zlb_client_t *self, s_request_t *request, zmq_msg_t *body, size_t count,
             bool keep)
{
    mdp_view_t message = { .client = true, .body = body, .body_count = count,
                           .service = mdp_bytes (request->service, strlen (request->service)) };
    return mdp_send (self->brokers.links [request->broker].handle, &message, keep);
}

//  The request's current attempt is no longer outstanding at its broker.
static void
s_unassign (zlb_client_t *self, s_request_t *request)
{
    if (request->broker != ZLB_BROKER_NONE)
        self->brokers.links [request->broker].outstanding--;
    request->broker = ZLB_BROKER_NONE;
}

//  Choose the broker of the next attempt: another one than the last when
//  there is one, so that a retry fails over.
static void
s_assign (zlb_client_t *self, s_request_t *request, int64_t now)
{
    size_t broker = zlb_brokers_pick (&self->brokers, request->broker, now);
    s_unassign (self, request);
    request->broker = broker;
    self->brokers.links [broker].outstanding++;
    self->brokers.links [broker].attempts++;
}

//  One attempt: count it, set its deadline, send. -1 with errno when the
//  message could not be built or sent (EAGAIN: the HWM is reached).
static int
s_attempt (zlb_client_t *self, s_request_t *request, int64_t now)
{
    request->attempts++;
    request->deadline_ns = now + self->timeout_ns;
    s_assign (self, request, now);
    if (request->frames)
        return s_send_body (self, request, request->frames, request->frame_count, true);
    zmq_msg_t body;
    if (s_body_new (request, &body) == -1) {
        errno = ENOMEM;
        return -1;
    }
    int rc = s_send_body (self, request, &body, 1, false);
    int error = errno;
    zmq_msg_close (&body);
    errno = error;
    return rc;
}

//  A new request block with copies of service and payload; NULL if out of memory.
static s_request_t *
s_request_new (const char *service, size_t service_len, const void *payload, size_t size)
{
    s_request_t *request = (s_request_t *) malloc (sizeof (s_request_t) + service_len + 1 + size);
    if (!request)
        return NULL;
    memset (request, 0, sizeof *request);
    memcpy (request->service, service, service_len);
    request->service [service_len] = 0;
    uint8_t *copy = (uint8_t *) request->service + service_len + 1;
    if (size)
        memcpy (copy, payload, size);
    request->payload = copy;
    request->size = size;
    request->broker = ZLB_BROKER_NONE;
    request->raw = service_len >= 4 && memcmp (service, "mmi.", 4) == 0;
    return request;
}

//  The HWM refused an attempt: the request stays in flight and its retry
//  timer sends it again (or gives up), so the caller never blocks.
static void
s_log_blocked (zlb_client_t *self, s_request_t *request)
{
    zlb_log_limited (self->options.log, &self->limit, ZLB_LOG_WARNING, "send_blocked",
                     "id=%" PRIu64 " service=%s attempt=%" PRIu32 " reason=hwm",
                     request->id, request->service, request->attempts);
}

static void
s_forget (zlb_client_t *self, s_request_t *request)
{
    s_unassign (self, request);
    zlistx_delete (self->timers, request->handle);
    zhashx_delete (self->requests, &request->id);
}

//  Check the arguments of zlb_client_send; errno and -1 when they are wrong.
static int
s_send_check (zlb_client_t *self, const char *service, size_t service_len,
              const void *payload, size_t size)
{
    if (!service || !mdp_service_valid (service, service_len) || (!payload && size)) {
        errno = EINVAL;
        return -1;
    }
    if (size > self->options.max_payload) {
        errno = EMSGSIZE;
        return -1;
    }
    if (zhashx_size (self->requests) >= self->options.max_inflight) {
        errno = EBUSY;
        return -1;
    }
    return 0;
}

//  Give a new request its id, send its first attempt and put it in flight.
//  Takes the request (freed on failure).
static int
s_launch (zlb_client_t *self, s_request_t *request, uint64_t *id_p)
{
    request->id = ++self->last_id;
    request->first_ns = s_now (self);
    if (s_attempt (self, request, request->first_ns) == -1) {
        if (errno != EAGAIN) {
            int error = errno;
            s_unassign (self, request);
            s_request_destroy (&request);
            errno = error;
            return -1;
        }
        s_log_blocked (self, request);
    }
    request->handle = zlistx_add_end (self->timers, request);
    if (!request->handle || zhashx_insert (self->requests, &request->id, request)) {
        if (request->handle)
            zlistx_delete (self->timers, request->handle);
        s_unassign (self, request);
        s_request_destroy (&request);
        errno = ENOMEM;
        return -1;
    }
    self->stats.sent++;
    zlb_log (self->options.log, ZLB_LOG_DEBUG, "request_send",
             "id=%" PRIu64 " service=%s size=%zu raw=%s", request->id, request->service,
             request->size,
             request->raw ? "yes" : "no");
    if (id_p)
        *id_p = request->id;
    return 0;
}

int
zlb_client_send (zlb_client_t *self, const char *service,
                 const void *payload, size_t size, uint64_t *id_p)
{
    if (!self) {
        errno = EINVAL;
        return -1;
    }
    size_t service_len = service ? strnlen (service, MDP_SERVICE_MAX + 1) : 0;
    if (s_send_check (self, service, service_len, payload, size))
        return -1;
    s_request_t *request = s_request_new (service, service_len, payload, size);
    if (!request) {
        errno = ENOMEM;
        return -1;
    }
    return s_launch (self, request, id_p);
}

int
zlb_client_send_raw (zlb_client_t *self, const char *service, zmsg_t **body_p,
                     uint64_t *id_p)
{
    zmsg_t *body = body_p ? *body_p : NULL;
    if (body_p)
        *body_p = NULL;
    size_t service_len = service ? strnlen (service, MDP_SERVICE_MAX + 1) : 0;
    s_request_t *request = NULL;
    if (!self || !body || zmsg_size (body) == 0)
        errno = EINVAL;
    else
    if (s_send_check (self, service, service_len, body, zmsg_content_size (body)) == 0
    &&  !(request = s_request_new (service, service_len, NULL, 0)))
        errno = ENOMEM;
    if (!request) {
        zmsg_destroy (&body);
        return -1;
    }
    request->raw = true;
    request->frame_count = zmsg_size (body);
    request->size = zmsg_content_size (body);
    request->frames = mdp_frames_from_zmsg (body);
    zmsg_destroy (&body);
    if (!request->frames) {
        s_request_destroy (&request);
        errno = ENOMEM;
        return -1;
    }
    return s_launch (self, request, id_p);
}

//  --------------------------------------------------------------------------
//  Results

//  Fill the fields every result has, take the request out of flight and
//  keep it (and the input, where a payload points) alive for the caller
//  until the next zlb_client_recv.
static void
s_deliver (zlb_client_t *self, s_request_t *request, zlb_result_t *result, int status,
           int64_t now)
{
    memset (result, 0, sizeof *result);
    result->id = request->id;
    result->status = status;
    result->attempts = request->attempts;
    result->service = request->service;
    result->worker = "";
    result->error = "";
    result->sent_ns = request->first_ns;
    result->rtt_ns = now - request->first_ns;
    result->latency_ns = result->rtt_ns / 2;
    s_forget (self, request);
    self->done = request;
}

//  Resend or give up on every attempt whose deadline has passed. Returns 1
//  with a timeout result, 0 when nothing (more) gave up.
static int
s_expire (zlb_client_t *self, zlb_result_t *result, int64_t now)
{
    s_request_t *request;
    while ((request = (s_request_t *) zlistx_head (self->timers))
        && request->deadline_ns <= now) {
        zlb_brokers_timed_out (&self->brokers, request->broker, request->service, now);
        if (request->attempts > (uint32_t) self->options.retries) {
            zlb_log_limited (self->options.log, &self->limit, ZLB_LOG_WARNING, "request_timeout",
                             "id=%" PRIu64 " service=%s attempts=%" PRIu32,
                             request->id, request->service, request->attempts);
            s_deliver (self, request, result, ZLB_STATUS_TIMEOUT, now);
            result->error = "no reply after all retries";
            self->stats.timeouts++;
            return 1;
        }
        zlistx_move_end (self->timers, request->handle);
        self->stats.retries++;
        zlb_log_limited (self->options.log, &self->limit, ZLB_LOG_WARNING, "request_retry",
                         "id=%" PRIu64 " service=%s attempt=%" PRIu32,
                         request->id, request->service, request->attempts + 1);
        if (s_attempt (self, request, now) == -1)
            s_log_blocked (self, request);
    }
    return 0;
}

//  The message in self->input is dropped (the next read clears it).
static void
s_malformed (zlb_client_t *self, const char *reason)
{
    self->stats.malformed++;
    zlb_log_limited (self->options.log, &self->limit, ZLB_LOG_WARNING, "reply_malformed",
                     "reason=\"%s\" frames=%zu", reason,
                     self->input.count + self->input.overflow);
}

static void
s_duplicate (zlb_client_t *self, uint64_t id)
{
    self->stats.duplicates++;
    zlb_log (self->options.log, ZLB_LOG_DEBUG, "reply_duplicate", "id=%" PRIu64, id);
}

//  The oldest request in flight to this service that is raw (or not),
//  preferring those whose current attempt went to the broker the reply came
//  from. Raw replies carry no id, so order is all we have.
static s_request_t *
s_oldest (zlb_client_t *self, mdp_bytes_t service, bool raw)
{
    s_request_t *oldest = NULL, *here = NULL;
    s_request_t *request = (s_request_t *) zlistx_first (self->timers);
    for (; request; request = (s_request_t *) zlistx_next (self->timers)) {
        if (request->raw != raw || !mdp_bytes_is (service, request->service))
            continue;
        if (!oldest || request->id < oldest->id)
            oldest = request;
        if (request->broker == self->source && (!here || request->id < here->id))
            here = request;
    }
    return here ? here : oldest;
}

//  A reply delivered as it came: to a raw request (status 200), or to a zlb
//  request answered in another format (ZLB_STATUS_NOT_ZLB: reported at once,
//  not retried, since every retry would get the same).
static int
s_deliver_frames (zlb_client_t *self, s_request_t *request, const mdp_view_t *reply,
                  zlb_result_t *result, int status, int64_t now)
{
    s_deliver (self, request, result, status, now);
    self->frames = mdp_frames_to_zmsg (reply->body, reply->body_count);
    result->frames = self->frames;
    zmq_msg_t *first = &reply->body [0];      //  (mdp_parse: a reply has a body)
    result->payload = zmq_msg_size (first) ? (const uint8_t *) zmq_msg_data (first) : NULL;
    result->payload_size = zmq_msg_size (first);
    if (status == ZLB_STATUS_NOT_ZLB) {
        result->error = "the worker answered in plain MDP; send it raw";
        self->stats.not_zlb++;
        zlb_log_limited (self->options.log, &self->limit, ZLB_LOG_WARNING, "reply_not_zlb",
                         "id=%" PRIu64 " service=%s frames=%zu", request->id,
                         request->service, reply->body_count);
    }
    self->stats.replies++;
    return 1;
}

//  Status, worker, error, payload and timings from a decoded reply.
static void
s_fill_confirmed (zlb_result_t *result, const zlb_confirm_t *confirm, const zlb_reply_t *reply)
{
    result->worker = confirm->worker ? confirm->worker : "";
    result->error = confirm->error ? confirm->error : "";
    result->payload = reply->payload_size ? reply->payload : NULL;
    result->payload_size = reply->payload_size;
    //  Worker clock minus worker clock: valid even if it is not ours.
    if (confirm->t_recv > 0 && confirm->t_send >= confirm->t_recv)
        result->service_ns = confirm->t_send - confirm->t_recv;
    int64_t network = result->rtt_ns - result->service_ns;
    result->latency_ns = network > 0 ? network / 2 : 0;
}

//  A raw request answered with an error confirmation of id 0 (the broker's
//  own answers - 503, 504... - or a zlb worker's 400): that status, not 200.
static int
s_deliver_raw (zlb_client_t *self, s_request_t *request, const mdp_view_t *reply,
               bool confirmed, zlb_result_t *result, int64_t now)
{
    if (!confirmed || self->confirm.id != 0 || self->confirm.status == ZLB_STATUS_OK)
        return s_deliver_frames (self, request, reply, result, ZLB_STATUS_OK, now);
    s_deliver (self, request, result, self->confirm.status, now);
    zlb_reply_t empty = { 0 };
    s_fill_confirmed (result, &self->confirm, &empty);
    self->stats.replies++;
    return 1;
}

//  The request a decoded reply answers, or NULL after counting it as a
//  duplicate or malformed.
static s_request_t *
s_match (zlb_client_t *self, mdp_bytes_t service, uint64_t id)
{
    s_request_t *request = id ? (s_request_t *) zhashx_lookup (self->requests, &id) : NULL;
    if (request && !mdp_bytes_is (service, request->service)) {
        s_malformed (self, "service does not match the request");
        return NULL;
    }
    if (!request) {
        if (id && id <= self->last_id)
            s_duplicate (self, id);               //  ids are monotonic: already answered
        else
            s_malformed (self, "unknown id");
    }
    return request;
}

//  Reply + confirmation (already decoded into self->confirm): decode the
//  reply, match the id, fill the result.
static int
s_handle_reply (zlb_client_t *self, const mdp_view_t *view, zlb_result_t *result, int64_t now)
{
    zmq_msg_t *body = &view->body [0];
    const char *err = NULL;
    //  A broker-made error has an empty reply map: only a 200 needs a reply.
    zlb_reply_t reply = { 0 };
    if (zlb_reply_decode_mem (zmq_msg_data (body), zmq_msg_size (body), &reply, &err)) {
        if (self->confirm.status == ZLB_STATUS_OK) {
            s_malformed (self, err ? err : "bad reply");
            return 0;
        }
        memset (&reply, 0, sizeof reply);
    }
    if (reply.id && reply.id != self->confirm.id) {
        s_malformed (self, "reply and confirmation ids differ");
        return 0;
    }
    s_request_t *request = s_match (self, view->service, self->confirm.id);
    if (!request)
        return 0;
    s_deliver (self, request, result, self->confirm.status, now);
    s_fill_confirmed (result, &self->confirm, &reply);
    self->stats.replies++;
    return 1;
}

//  True if the reply has zlb's two body frames and the second decodes
//  as a confirmation (into self->confirm).
static bool
s_confirmed (zlb_client_t *self, const mdp_view_t *view)
{
    if (view->body_count != 2)
        return false;
    zmq_msg_t *confirm = &view->body [1];
    return zlb_confirm_decode_mem (zmq_msg_data (confirm), zmq_msg_size (confirm),
                                   &self->confirm, NULL) == 0;
}

//  A well-formed MDP reply: to a zlb request with that id, to the oldest
//  raw request for the service, or - in no format of ours - to the oldest
//  zlb request for it (ZLB_STATUS_NOT_ZLB).
static int
s_route (zlb_client_t *self, const mdp_view_t *view, zlb_result_t *result, int64_t now)
{
    bool confirmed = s_confirmed (self, view);
    if (confirmed && self->confirm.id) {
        s_request_t *known = (s_request_t *) zhashx_lookup (self->requests, &self->confirm.id);
        if (known && !known->raw)
            return s_handle_reply (self, view, result, now);
    }
    s_request_t *request = s_oldest (self, view->service, true);
    if (request)
        return s_deliver_raw (self, request, view, confirmed, result, now);
    if (confirmed)
        return s_handle_reply (self, view, result, now);
    request = s_oldest (self, view->service, false);
    if (request)
        return s_deliver_frames (self, request, view, result, ZLB_STATUS_NOT_ZLB, now);
    s_duplicate (self, 0);            //  late answer to one we already gave up on
    return 0;
}

//  The message in self->input (from the broker, a DEALER: no routing id):
//  a result (1) or dropped (0).
static int
s_handle (zlb_client_t *self, zlb_result_t *result, int64_t now)
{
    mdp_view_t view;
    mdp_error_t error = mdp_parse (self->input.frame, self->input.count, false, &view);
    if (self->input.overflow)
        s_malformed (self, "too many frames");
    else
    if (view.header && !view.client)
        s_malformed (self, "not MDPC01");
    else
    if (error != MDP_OK)
        s_malformed (self, mdp_strerror (error));
    else
        return s_route (self, &view, result, now);
    return 0;
}

//  Read what broker index has waiting, without blocking, until one message
//  makes a result. 1 with a result, 0 when its socket is drained, -1 on a
//  socket error. (A reply, even a 200, does not make a suspect broker
//  healthy: it may have been sent just before the broker died.)
static int
s_read_broker (zlb_client_t *self, size_t index, zlb_result_t *result)
{
    zlb_broker_link_t *link = &self->brokers.links [index];
    self->source = index;
    while (true) {
        if (mdp_recv (link->handle, &self->input) == -1)
            return errno == EAGAIN || errno == EINTR ? 0 : -1;
        link->replies++;
        link->heard_ns = s_now (self);
        if (s_handle (self, result, s_now (self)))
            return 1;
    }
}

//  Read the brokers in turn (a busy one cannot starve the others) until a
//  result. 1 with a result, 0 when every socket is drained, -1 on error.
static int
s_read (zlb_client_t *self, zlb_result_t *result)
{
    zlb_brokers_probe_read (&self->brokers, s_now (self));
    size_t count = self->brokers.count;
    for (size_t step = 0; step < count; step++) {
        size_t index = (self->read_at + step) % count;
        int rc = s_read_broker (self, index, result);
        if (rc) {
            self->read_at = (index + 1) % count;
            return rc;
        }
    }
    return 0;
}

//  The next moment something is due: an attempt times out, or (with
//  requests in flight) a suspect broker is to be probed. INT64_MAX: nothing.
static int64_t
s_next_due (const zlb_client_t *self)
{
    s_request_t *next = (s_request_t *) zlistx_head (self->timers);
    if (!next)
        return INT64_MAX;
    int64_t probe = zlb_brokers_next_probe (&self->brokers);
    return probe < next->deadline_ns ? probe : next->deadline_ns;
}

//  Milliseconds from now until deadline, rounded up, never negative.
static long
s_ms_until (int64_t deadline, int64_t now)
{
    if (deadline <= now)
        return 0;
    int64_t ms = (deadline - now + 999999) / 1000000;
    return ms > INT32_MAX ? INT32_MAX : (long) ms;
}

//  Wait for input up to until (INT64_MAX: no limit but the attempt
//  deadlines). -1 on interrupt or socket error.
static int
s_wait (zlb_client_t *self, int64_t until, int64_t now)
{
    int64_t due = s_next_due (self);
    if (due < until)
        until = due;
    size_t count = zlb_brokers_poll_items (&self->brokers, self->items);
    long timeout = until == INT64_MAX ? -1 : s_ms_until (until, now);
    if (zmq_poll (self->items, (int) count, timeout) == -1 && (errno != EINTR || zsys_interrupted))
        return -1;
    return 0;
}

int
zlb_client_recv (zlb_client_t *self, zlb_result_t *result, int timeout_ms)
{
    if (!self || !result) {
        errno = EINVAL;
        return -1;
    }
    s_release (self);
    int64_t now = s_now (self);
    int64_t until = timeout_ms < 0 ? INT64_MAX : now + (int64_t) timeout_ms * 1000000;
    while (!zsys_interrupted) {
        if (s_expire (self, result, now))
            return 1;
        if (zlistx_size (self->timers))
            zlb_brokers_probe (&self->brokers, now);
        int rc = s_read (self, result);
        if (rc)
            return rc;
        now = s_now (self);
        if (now >= until)
            return 0;
        if (s_wait (self, until, now))
            return -1;
        now = s_now (self);
    }
    return -1;
}

int
zlb_client_request (zlb_client_t *self, const char *service,
                    const void *payload, size_t size, zlb_result_t *result)
{
    uint64_t id;
    if (!result) {
        errno = EINVAL;
        return -1;
    }
    if (zlb_client_send (self, service, payload, size, &id))
        return -1;
    while (zlb_client_recv (self, result, -1) == 1) {
        if (result->id == id)
            return 0;
        //  Blocking use owns the client; a stray result is not ours to keep.
        zlb_log (self->options.log, ZLB_LOG_WARNING, "result_dropped",
                 "id=%" PRIu64 " reason=\"zlb_client_request while others in flight\"",
                 result->id);
    }
    return -1;
}

size_t
zlb_client_inflight (const zlb_client_t *self)
{
    return self ? zhashx_size (((zlb_client_t *) self)->requests) : 0;
}

int
zlb_client_next_timeout_ms (const zlb_client_t *self)
{
    if (!self)
        return -1;
    int64_t due = s_next_due (self);
    return due == INT64_MAX ? -1 : (int) s_ms_until (due, s_now (self));
}

zsock_t *
zlb_client_sock (zlb_client_t *self)
{
    return self ? self->brokers.links [0].sock : NULL;
}

size_t
zlb_client_brokers (const zlb_client_t *self)
{
    return self ? self->brokers.count : 0;
}

zsock_t *
zlb_client_broker_sock (zlb_client_t *self, size_t index)
{
    if (!self || index >= self->brokers.count) {
        errno = EINVAL;
        return NULL;
    }
    return self->brokers.links [index].sock;
}

int
zlb_client_broker_info (const zlb_client_t *self, size_t index, zlb_client_broker_t *info)
{
    if (!self || !info || index >= self->brokers.count) {
        errno = EINVAL;
        return -1;
    }
    const zlb_broker_link_t *link = &self->brokers.links [index];
    *info = (zlb_client_broker_t) {
        .endpoint = link->endpoint, .attempts = link->attempts, .replies = link->replies,
        .outstanding = link->outstanding, .suspect = link->suspect
    };
    return 0;
}

void
zlb_client_stats (const zlb_client_t *self, zlb_client_stats_t *stats)
{
    if (!stats)
        return;
    if (self)
        *stats = self->stats;
    else
        memset (stats, 0, sizeof *stats);
}
