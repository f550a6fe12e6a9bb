/*  client_brokers.c - the brokers one client spreads its requests over
    (client_brokers.h).                                                    */

#include "zlb/zlb.h"
#include "client_brokers.h"
#include "curve.h"
#include "util.h"

#include <errno.h>
#include <string.h>

#define S_MIN_HWM              1000
#define S_MAX_HWM              1000000
#define S_ZMTP_IVL_MIN_MS      100       //  ZMTP heartbeat interval bounds (ms)
#define S_ZMTP_IVL_MAX_MS      2500
#define S_PROBE_IVL_NS         (1000 * 1000000LL)    //  a suspect broker is probed this often

//  A socket that never blocks and never lingers: waiting happens in
//  zmq_poll, and destroy must not hang on a dead broker.
static void
s_socket_setup (zsock_t *sock, const zlb_client_options_t *options)
{
    size_t hwm = options->max_inflight * 2;
    hwm = hwm < S_MIN_HWM ? S_MIN_HWM : hwm > S_MAX_HWM ? S_MAX_HWM : hwm;
    //  ZMTP heartbeats: a connection to a broker that went silent
    //  (half-open TCP, frozen host) is dropped and made again by libzmq
    //  within about one attempt's timeout, so our retries do not queue
    //  behind a dead connection.
    int ivl = options->timeout_ms / 3;
    ivl = ivl < S_ZMTP_IVL_MIN_MS ? S_ZMTP_IVL_MIN_MS
        : ivl > S_ZMTP_IVL_MAX_MS ? S_ZMTP_IVL_MAX_MS : ivl;
    zsock_set_heartbeat_ivl (sock, ivl);
    zsock_set_heartbeat_timeout (sock, 3 * ivl);
    zsock_set_linger (sock, 0);
    zsock_set_rcvtimeo (sock, 0);
    zsock_set_sndtimeo (sock, 0);
    zsock_set_sndhwm (sock, (int) hwm);
    zsock_set_rcvhwm (sock, (int) hwm);
    //  Replies are bounded like request bodies at the broker.
    zsock_set_maxmsgsize (sock, zlb_frame_limit (options->max_reply));
}

//  A DEALER set up as above and connected to endpoint; NULL with errno.
static zsock_t *
s_connect (const char *endpoint, const zlb_client_options_t *options)
{
    zsock_t *sock = zsock_new (ZMQ_DEALER);
    if (!sock) {
        errno = ENOMEM;
        return NULL;
    }
    s_socket_setup (sock, options);
    int error = 0;
    //  CURVE keys must be on the socket before it connects.
    if (options->curve_server_key
    &&  zlb_curve_client_apply (sock, options->curve_cert, options->curve_server_key) != 0)
        error = EINVAL;
    else
    if (zsock_connect (sock, "%s", endpoint) == -1)
        error = errno ? errno : EINVAL;
    if (error) {
        zsock_destroy (&sock);
        errno = error;
    }
    return sock;
}

//  EINVAL unless every endpoint is there, not empty and given once.
static int
s_endpoints_check (const char *const *endpoints, size_t count)
{
    if (!endpoints || count == 0 || count > ZLB_CLIENT_MAX_BROKERS)
        return -1;
    for (size_t index = 0; index < count; index++) {
        if (!endpoints [index] || !*endpoints [index])
            return -1;
        for (size_t before = 0; before < index; before++)
            if (strcmp (endpoints [before], endpoints [index]) == 0)
                return -1;
    }
    return 0;
}

int
zlb_brokers_open (zlb_brokers_t *self, const char *const *endpoints, size_t count,
                  const zlb_client_options_t *options)
{
    memset (self, 0, sizeof *self);
    self->options = options;
    if (s_endpoints_check (endpoints, count)) {
        errno = EINVAL;
        return -1;
    }
    self->links = (zlb_broker_link_t *) calloc (count, sizeof (zlb_broker_link_t));
    if (!self->links) {
        errno = ENOMEM;
        return -1;
    }
    for (; self->count < count; self->count++) {
        zlb_broker_link_t *link = &self->links [self->count];
        link->endpoint = strdup (endpoints [self->count]);
        link->sock = link->endpoint ? s_connect (link->endpoint, options) : NULL;
        if (!link->sock) {
            int error = link->endpoint ? errno : ENOMEM;
            self->count++;                  //  so that close frees the endpoint
            zlb_brokers_close (self);
            errno = error;
            return -1;
        }
        link->handle = zsock_resolve (link->sock);
        zlb_log (options->log, ZLB_LOG_DEBUG, "client_connect", "endpoint=%s", link->endpoint);
    }
    return 0;
}

void
zlb_brokers_close (zlb_brokers_t *self)
{
    for (size_t index = 0; self->links && index < self->count; index++) {
        zlb_broker_link_t *link = &self->links [index];
        zsock_destroy (&link->sock);
        zsock_destroy (&link->probe);
        free (link->endpoint);
    }
    free (self->links);
    self->links = NULL;
    self->count = 0;
}

//  The healthy broker with the fewest outstanding, avoid left out, ties in
//  turn; ZLB_BROKER_NONE when there is none.
static size_t
s_fewest_healthy (const zlb_brokers_t *self, size_t avoid)
{
    size_t best = ZLB_BROKER_NONE;
    for (size_t step = 0; step < self->count; step++) {
        size_t index = (self->cursor + step) % self->count;
        const zlb_broker_link_t *link = &self->links [index];
        if (index == avoid || link->suspect)
            continue;
        if (best == ZLB_BROKER_NONE || link->outstanding < self->links [best].outstanding)
            best = index;
    }
    return best;
}

//  True if broker index sent us something within the last attempt timeout.
static bool
s_heard_lately (const zlb_brokers_t *self, size_t index, int64_t now)
{
    int64_t heard = self->links [index].heard_ns;
    return heard > 0 && now - heard <= (int64_t) self->options->timeout_ms * 1000000;
}

//  Of all brokers (suspect ones too), one heard from lately if any, with
//  the fewest outstanding; ties in turn.
static size_t
s_fewest_alive (const zlb_brokers_t *self, int64_t now)
{
    size_t best = self->cursor;
    bool best_alive = s_heard_lately (self, best, now);
    for (size_t step = 1; step < self->count; step++) {
        size_t index = (self->cursor + step) % self->count;
        bool alive = s_heard_lately (self, index, now);
        if ((alive && !best_alive) || (alive == best_alive
        &&  self->links [index].outstanding < self->links [best].outstanding)) {
            best = index;
            best_alive = alive;
        }
    }
    return best;
}

size_t
zlb_brokers_pick (zlb_brokers_t *self, size_t avoid, int64_t now)
{
    if (self->count == 1)
        return 0;
    size_t pick = s_fewest_healthy (self, avoid);
    if (pick == ZLB_BROKER_NONE)
        pick = s_fewest_alive (self, now);
    self->cursor = (pick + 1) % self->count;
    return pick;
}

bool
zlb_brokers_timed_out (zlb_brokers_t *self, size_t index, const char *service, int64_t now)
{
    if (self->count < 2 || index >= self->count)
        return false;
    zlb_broker_link_t *link = &self->links [index];
    snprintf (link->probe_service, sizeof link->probe_service, "%s", service);
    if (link->suspect)
        return false;
    link->suspect = true;
    link->probe_due_ns = now + S_PROBE_IVL_NS;
    zlb_log (self->options->log, ZLB_LOG_WARNING, "broker_suspect",
             "endpoint=%s outstanding=%zu", link->endpoint, link->outstanding);
    return true;
}

//  Broker index answered a probe with "200": healthy again (its probe socket goes).
static void
s_healthy (zlb_brokers_t *self, size_t index)
{
    zlb_broker_link_t *link = &self->links [index];
    zsock_destroy (&link->probe);
    if (!link->suspect)
        return;
    link->suspect = false;
    zlb_log (self->options->log, ZLB_LOG_NOTICE, "broker_healthy", "endpoint=%s",
             link->endpoint);
}

//  mmi.service for the service that timed out, on the probe socket (made
//  on the first probe). A probe the HWM refuses is simply not sent.
static void
s_probe_send (zlb_brokers_t *self, zlb_broker_link_t *link)
{
    if (!link->probe && !(link->probe = s_connect (link->endpoint, self->options)))
        return;
    zmq_msg_t body;
    size_t size = strlen (link->probe_service);
    if (zmq_msg_init_size (&body, size) == -1)
        return;
    memcpy (zmq_msg_data (&body), link->probe_service, size);
    mdp_view_t message = { .client = true, .body = &body, .body_count = 1,
                           .service = mdp_bytes ("mmi.service", 11) };
    mdp_send (zsock_resolve (link->probe), &message, false);
    zmq_msg_close (&body);
    zlb_log (self->options->log, ZLB_LOG_DEBUG, "broker_probe", "endpoint=%s service=%s",
             link->endpoint, link->probe_service);
}

void
zlb_brokers_probe (zlb_brokers_t *self, int64_t now)
{
    for (size_t index = 0; index < self->count; index++) {
        zlb_broker_link_t *link = &self->links [index];
        if (!link->suspect || link->probe_due_ns > now)
            continue;
        link->probe_due_ns = now + S_PROBE_IVL_NS;
        s_probe_send (self, link);
    }
}

//  True if the message in input is an mmi.service answer "200".
static bool
s_probe_ok (mdp_input_t *input)
{
    mdp_view_t view;
    if (mdp_parse (input->frame, input->count, false, &view) != MDP_OK || !view.client
    ||  !mdp_bytes_is (view.service, "mmi.service") || view.body_count != 1)
        return false;
    zmq_msg_t *answer = &view.body [0];
    return zmq_msg_size (answer) == 3 && memcmp (zmq_msg_data (answer), "200", 3) == 0;
}

size_t
zlb_brokers_probe_read (zlb_brokers_t *self, int64_t now)
{
    size_t back = 0;
    mdp_input_t input;
    bool input_ready = false;     //  made only when a probe is out: this runs per read
    for (size_t index = 0; index < self->count; index++) {
        zlb_broker_link_t *link = &self->links [index];
        if (!link->probe)
            continue;
        if (!input_ready) {
            mdp_input_init (&input);
            input_ready = true;
        }
        bool ok = false;
        while (!ok && mdp_recv (zsock_resolve (link->probe), &input) == 0) {
            ok = !input.overflow && s_probe_ok (&input);
            link->heard_ns = now;
            mdp_input_clear (&input);
        }
        if (ok) {
            s_healthy (self, index);
            back++;
        }
    }
    return back;
}

int64_t
zlb_brokers_next_probe (const zlb_brokers_t *self)
{
    int64_t next = INT64_MAX;
    for (size_t index = 0; index < self->count; index++)
        if (self->links [index].suspect && self->links [index].probe_due_ns < next)
            next = self->links [index].probe_due_ns;
    return next;
}

size_t
zlb_brokers_poll_items (const zlb_brokers_t *self, zmq_pollitem_t *items)
{
    size_t count = 0;
    for (size_t index = 0; index < self->count; index++)
        items [count++] = (zmq_pollitem_t) { self->links [index].handle, 0, ZMQ_POLLIN, 0 };
    for (size_t index = 0; index < self->count; index++)
        if (self->links [index].probe)
            items [count++] = (zmq_pollitem_t) { zsock_resolve (self->links [index].probe),
                                                 0, ZMQ_POLLIN, 0 };
    return count;
}
