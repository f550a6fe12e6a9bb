/*  worker_link.c - a worker's conversation with one broker (worker_link.h).

    Three timers drive a link: our next HEARTBEAT, the moment the broker
    counts as dead (liveness x heartbeat of silence), and the next
    reconnect attempt. While the worker serves one of this broker's
    requests we still heartbeat, but never declare the broker dead nor
    reconnect: brokers built like the guide's Majordomo do not heartbeat
    busy workers, and a fresh READY while we are busy would get us a second
    request. The silence window restarts after the reply.                 */

#include "worker_link.h"
#include "curve.h"
#include "util.h"

#include <errno.h>
#include <inttypes.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#define S_RCVTIMEO_MS      1000   //  safety bound: we only read when poll said so
#define S_LINGER_LEAVE_MS  200    //  time DISCONNECT gets to leave at destroy

#define s_log(link, level, event, ...)                                      \
    do {                                                                    \
        if ((link)->config->log)                                            \
            zlb_log ((link)->config->log, (level), (event), __VA_ARGS__);   \
    } while (0)

#define s_log_limited(link, level, event, ...)                              \
    do {                                                                    \
        if ((link)->config->log)                                            \
            zlb_log_limited ((link)->config->log, (link)->config->limit,    \
                             (level), (event), __VA_ARGS__);                \
    } while (0)

static int64_t
s_ms_to_ns (int64_t ms)
{
    return ms * 1000000;
}

int64_t
zlb_worker_link_now (const zlb_worker_link_t *link)
{
    const zlb_worker_config_t *config = link->config;
    return config->clock_ns ? config->clock_ns (config->clock_arg) : zlb_mono_ns ();
}

static int64_t
s_silence_ns (const zlb_worker_link_t *link)
{
    return s_ms_to_ns ((int64_t) link->config->heartbeat_ms * link->config->liveness);
}

//  --------------------------------------------------------------------------
//  Request slots

void
zlb_worker_slot_init (zlb_worker_slot_t *slot)
{
    for (size_t index = 0; index < WORKER_BODY_MAX; index++)
        zmq_msg_init (&slot->body [index]);
    slot->client_size = 0;
    slot->body_count = 0;
}

void
zlb_worker_slot_clear (zlb_worker_slot_t *slot)
{
    for (size_t index = 0; index < slot->body_count; index++) {
        zmq_msg_close (&slot->body [index]);
        zmq_msg_init (&slot->body [index]);
    }
    slot->client_size = 0;
    slot->body_count = 0;
}

//  count <= WORKER_BODY_MAX, client.size <= WORKER_CLIENT_MAX: mdp_parse
//  and the bounded input see to both.
void
zlb_worker_slot_fill (zlb_worker_slot_t *slot, mdp_bytes_t client, zmq_msg_t *body, size_t count)
{
    memcpy (slot->client, client.data, client.size);
    slot->client_size = client.size;
    for (size_t index = 0; index < count; index++)
        zmq_msg_move (&slot->body [index], &body [index]);
    slot->body_count = count;
}

mdp_bytes_t
zlb_worker_slot_client (const zlb_worker_slot_t *slot)
{
    return mdp_bytes (slot->client, slot->client_size);
}

int
zlb_worker_link_push (zlb_worker_link_t *link, const mdp_view_t *view, uint64_t seq)
{
    size_t size = (size_t) link->config->credit_max;
    if (link->pending_count == size)
        return -1;
    zlb_worker_slot_t *slot = &link->pending [(link->pending_head + link->pending_count) % size];
    zlb_worker_slot_fill (slot, view->address, view->body, view->body_count);
    slot->seq = seq;
    link->pending_count++;
    return 0;
}

void
zlb_worker_link_take (zlb_worker_link_t *link, zlb_worker_slot_t *into)
{
    zlb_worker_slot_t *oldest = &link->pending [link->pending_head];
    zlb_worker_slot_fill (into, zlb_worker_slot_client (oldest), oldest->body, oldest->body_count);
    into->seq = oldest->seq;
    zlb_worker_slot_clear (oldest);
    link->pending_head = (link->pending_head + 1) % (size_t) link->config->credit_max;
    link->pending_count--;
}

static void
s_drop_pending (zlb_worker_link_t *link)
{
    if (link->pending_count)
        s_log (link, ZLB_LOG_WARNING, "request_dropped", "endpoint=%s requests=%zu"
               " reason=\"socket replaced; the broker redelivers them\"",
               link->endpoint, link->pending_count);
    while (link->pending_count) {
        zlb_worker_slot_t scrap;
        zlb_worker_slot_init (&scrap);
        zlb_worker_link_take (link, &scrap);
        zlb_worker_slot_clear (&scrap);
    }
}

//  --------------------------------------------------------------------------
//  Sending

int
zlb_worker_link_send (zlb_worker_link_t *link, const mdp_view_t *message)
{
    int rc = mdp_send (zsock_resolve (link->sock), message, false);
    if (rc != 0)
        s_log_limited (link, ZLB_LOG_WARNING, "send_failed", "endpoint=%s command=%s error=\"%s\"",
                       link->endpoint, mdp_command_name (message->command),
                       zmq_strerror (errno));
    return rc;
}

//  READY: service, and the credit extension's frame (docs/protocol.md):
//  "credit=N" for a window at its ceiling, "credit=N/M" for one now at N
//  that may grow to M (adaptive, or sharing several brokers). A strict
//  worker on one broker (credit 1) sends plain READY.
static int
s_send_ready (zlb_worker_link_t *link, int window)
{
    const zlb_worker_config_t *config = link->config;
    link->window = window;
    //  The ceiling goes too whenever the window is below it ("credit=N/M"),
    //  so that a window announced low may grow later.
    mdp_view_t message = { .worker = true, .command = MDP_READY, .credit = window,
                           .credit_max = config->credit_max,
                           .windowed = config->windowed,
                           .service = mdp_bytes (config->service, strlen (config->service)) };
    return zlb_worker_link_send (link, &message);
}

int
zlb_worker_link_send_window (zlb_worker_link_t *link, int window, mdp_bytes_t hand_back)
{
    if (!link->sock)
        return -1;
    mdp_view_t message = { .worker = true, .command = MDP_HEARTBEAT, .credit = window,
                           .windowed = true, .address = hand_back };
    if (zlb_worker_link_send (link, &message) != 0)
        return -1;
    link->window = window;
    return 0;
}

int
zlb_worker_link_send_reply (zlb_worker_link_t *link, mdp_bytes_t client, zmq_msg_t *body,
                            size_t count)
{
    mdp_view_t message = { .worker = true, .command = MDP_REPLY, .address = client,
                           .body = body, .body_count = count };
    if (zlb_worker_link_send (link, &message) != 0)
        return -1;
    //  The reply tells the broker we are alive: no HEARTBEAT for another
    //  interval (RFC 7: not while sending other commands).
    link->heartbeat_at = zlb_worker_link_now (link) + s_ms_to_ns (link->config->heartbeat_ms);
    return 0;
}

//  --------------------------------------------------------------------------
//  Socket life

int
zlb_worker_link_init (zlb_worker_link_t *link, const zlb_worker_config_t *config,
                      const char *endpoint)
{
    memset (link, 0, sizeof *link);
    link->config = config;
    link->backoff_ms = config->heartbeat_ms;
    mdp_input_init (&link->input);
    link->endpoint = strdup (endpoint);
    link->pending = (zlb_worker_slot_t *) calloc ((size_t) config->credit_max,
                                                 sizeof (zlb_worker_slot_t));
    if (!link->endpoint || !link->pending)
        return -1;
    for (int slot = 0; slot < config->credit_max; slot++)
        zlb_worker_slot_init (&link->pending [slot]);
    return 0;
}

void
zlb_worker_link_destroy (zlb_worker_link_t *link)
{
    if (link->sock) {
        mdp_view_t message = { .worker = true, .command = MDP_DISCONNECT };
        zlb_worker_link_send (link, &message);
        zsock_set_linger (link->sock, S_LINGER_LEAVE_MS);
        zsock_destroy (&link->sock);
    }
    if (link->pending)
        s_drop_pending (link);
    free (link->pending);
    mdp_input_clear (&link->input);
    free (link->endpoint);
    memset (link, 0, sizeof *link);
}

void
zlb_worker_link_close (zlb_worker_link_t *link)
{
    if (link->sock) {
        zsock_set_linger (link->sock, 0);
        zsock_destroy (&link->sock);
    }
    link->shares = false;
    s_drop_pending (link);
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

//  Its routing id is ID#N.RANDOM: unique per connection, so a restarted
//  worker never collides with the id of its own dead connection (the broker
//  refuses a routing id another connection holds), and nobody can guess it
//  (the broker shows only ID#N under CURVE).
int
zlb_worker_link_connect (zlb_worker_link_t *link, int window)
{
    const zlb_worker_config_t *config = link->config;
    char routing_id [ZLB_WORKER_ID_MAX + 40];
    link->sockets++;
    snprintf (routing_id, sizeof (routing_id), "%s#%u.%016" PRIx64, config->id, link->sockets,
              s_random64 ());

    link->sock = zsock_new (ZMQ_DEALER);
    if (!link->sock)
        return -1;
    zsock_set_identity (link->sock, routing_id);
    //  ZMTP heartbeats as well as MDP ones: libzmq then drops a connection
    //  whose broker went silent (half-open TCP, frozen host) by itself and
    //  reconnects, so what we queue meanwhile is not stuck behind it. One
    //  PING per liveness window: MDP heartbeats do the fine-grained watch.
    int silence_ms = config->heartbeat_ms * config->liveness;
    zsock_set_heartbeat_ivl (link->sock, silence_ms);
    zsock_set_heartbeat_timeout (link->sock, silence_ms);
    zsock_set_sndtimeo (link->sock, 0);
    zsock_set_rcvtimeo (link->sock, S_RCVTIMEO_MS);
    zsock_set_linger (link->sock, 0);
    zsock_set_maxmsgsize (link->sock, zlb_frame_limit (config->max_body));
    if (config->curve_server_key)   //  every fresh socket needs the keys again
        zlb_curve_client_apply (link->sock, config->curve_cert, config->curve_server_key);
    if (zsock_connect (link->sock, "%s", link->endpoint) != 0) {
        int saved = errno;
        zsock_destroy (&link->sock);
        errno = saved;
        return -1;
    }
    int64_t now = zlb_worker_link_now (link);
    link->heard = false;
    link->shares = false;
    link->heartbeat_at = now + s_ms_to_ns (config->heartbeat_ms);
    link->expire_at = now + s_silence_ns (link)
                    + s_ms_to_ns (link->sockets > 1 ? link->backoff_ms : 0);
    s_send_ready (link, window);
    s_log (link, ZLB_LOG_INFO, "registered", "endpoint=%s service=%s socket=%s credit=%d",
           link->endpoint, config->service, routing_id, window);
    return 0;
}

static int
s_backoff_next (const zlb_worker_link_t *link)
{
    int ceiling = link->config->reconnect_max_ms;
    return link->backoff_ms > ceiling / 2 ? ceiling : link->backoff_ms * 2;
}

//  The broker has been silent too long: start again on a fresh socket at
//  once (libzmq reconnects it within ZMQ_RECONNECT_IVL as soon as the broker
//  is back, and READY is already queued), but back off by giving each new
//  socket a longer silence window, so a long outage does not churn sockets.
static void
s_broker_silent (zlb_worker_link_t *link, int64_t now)
{
    link->backoff_ms = s_backoff_next (link);
    int silent_ms = link->config->heartbeat_ms * link->config->liveness;
    s_log (link, ZLB_LOG_WARNING, "broker_silent", "endpoint=%s silent_ms=%d next_window_ms=%d",
           link->endpoint, silent_ms, silent_ms + link->backoff_ms);
    zlb_worker_link_close (link);
    link->reconnect_at = now;
}

//  The broker told us to go. Come back at once, unless it keeps doing so:
//  then back off like after a silence so we do not spin.
static void
s_broker_disconnect (zlb_worker_link_t *link, int64_t now)
{
    bool again = link->disconnect_at
              && now - link->disconnect_at < s_ms_to_ns (link->config->heartbeat_ms);
    link->disconnect_at = now;
    zlb_worker_link_close (link);
    link->reconnect_at = again ? now + s_ms_to_ns (link->backoff_ms) : now;
    s_log (link, ZLB_LOG_INFO, "reconnecting", "endpoint=%s reason=disconnect"
           " reconnect_in_ms=%d", link->endpoint, again ? link->backoff_ms : 0);
    if (again)
        link->backoff_ms = s_backoff_next (link);
}

int64_t
zlb_worker_link_timers (zlb_worker_link_t *link, int64_t now, bool busy, int window)
{
    const zlb_worker_config_t *config = link->config;
    if (link->sock && now >= link->heartbeat_at) {
        mdp_view_t message = { .worker = true, .command = MDP_HEARTBEAT };
        if (zlb_worker_link_send (link, &message) == 0) {
            link->heartbeats_sent++;
            s_log (link, ZLB_LOG_DEBUG, "heartbeat_sent", "endpoint=%s", link->endpoint);
        }
        link->heartbeat_at = now + s_ms_to_ns (config->heartbeat_ms);
    }
    if (link->sock && !busy && now >= link->expire_at)
        s_broker_silent (link, now);
    if (!link->sock && !busy && now >= link->reconnect_at) {
        if (zlb_worker_link_connect (link, window) != 0) {
            s_log_limited (link, ZLB_LOG_ERROR, "connect_failed", "endpoint=%s error=\"%s\"",
                           link->endpoint, zmq_strerror (errno));
            link->reconnect_at = now + s_ms_to_ns (link->backoff_ms);
        }
        else
            link->reconnects++;
    }
    if (link->sock)
        return busy || link->heartbeat_at < link->expire_at
             ? link->heartbeat_at : link->expire_at;
    return busy ? INT64_MAX : link->reconnect_at;
}

//  A busy worker's silence window restarts after its reply.
void
zlb_worker_link_rearm (zlb_worker_link_t *link)
{
    if (link->sock)
        link->expire_at = zlb_worker_link_now (link) + s_silence_ns (link);
}

//  --------------------------------------------------------------------------
//  Input

static void
s_malformed (zlb_worker_link_t *link, const mdp_view_t *view, const char *reason)
{
    s_log_limited (link, ZLB_LOG_WARNING, "malformed", "endpoint=%s frames=%zu command=%s"
                   " error=\"%s\"", link->endpoint, link->input.count + link->input.overflow,
                   view->command < 0 ? "?" : mdp_command_name (view->command), reason);
}

//  A HEARTBEAT; from a zlb broker, right after READY, with the window it
//  granted: it knows pausing and handing back (docs/protocol.md).
static void
s_on_heartbeat (zlb_worker_link_t *link, const mdp_view_t *view)
{
    link->heartbeats_received++;
    if (view->windowed && !link->shares) {
        link->shares = true;
        s_log (link, ZLB_LOG_DEBUG, "broker_shares", "endpoint=%s credit=%d",
               link->endpoint, view->credit);
    }
    else
        s_log (link, ZLB_LOG_DEBUG, "heartbeat_received", "endpoint=%s", link->endpoint);
}

int
zlb_worker_link_read (zlb_worker_link_t *link, mdp_view_t *view)
{
    if (mdp_recv (zsock_resolve (link->sock), &link->input) != 0)
        return 0;                 //  nothing after all, or interrupted
    //  Anything at all from the broker proves it is alive.
    int64_t now = zlb_worker_link_now (link);
    link->expire_at = now + s_silence_ns (link);
    if (!link->heard) {
        //  First word from the broker since READY: registration worked.
        link->heard = true;
        if (link->sockets > 1)
            s_log (link, ZLB_LOG_INFO, "broker_heard", "endpoint=%s socket=%u",
                   link->endpoint, link->sockets);
        link->backoff_ms = link->config->heartbeat_ms;
    }
    mdp_error_t error = mdp_parse (link->input.frame, link->input.count, false, view);
    if (error == MDP_OK && !view->worker)
        error = MDP_E_PROTOCOL;   //  a client message is no business of ours
    if (error == MDP_OK && view->command == MDP_REQUEST && view->body_count == 0)
        error = MDP_E_SHORT;      //  a request without body
    if (error == MDP_OK && view->command == MDP_REQUEST)
        return 1;
    if (error != MDP_OK)
        s_malformed (link, view, link->input.overflow ? "too many frames" : mdp_strerror (error));
    else
    if (view->command == MDP_HEARTBEAT)
        s_on_heartbeat (link, view);
    else
    if (view->command == MDP_DISCONNECT)
        s_broker_disconnect (link, now);
    else
        s_malformed (link, view, "unexpected command");
    mdp_input_clear (&link->input);
    return 0;
}
