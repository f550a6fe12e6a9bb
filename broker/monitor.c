/*  monitor.c - failed handshakes on the broker's CURVE sockets, logged.

    A peer that speaks plain text to a CURVE endpoint, has the wrong broker
    key, or is turned away by ZAP never gets to send a message, so the
    broker would not know it was there. libzmq's socket monitor reports the
    failed handshakes (ZMQ_EVENT_HANDSHAKE_FAILED_*, stable API in 4.3.4);
    we read them on a PAIR socket in the broker's own loop and log each,
    rate-limited with the other security refusals. The events name our
    endpoint, not the peer's address (libzmq does not give it here); ZAP
    denials also have their own line with the key (auth_denied).        */

#include "security.h"

#define S_EVENTS (ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL | ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL \
                | ZMQ_EVENT_HANDSHAKE_FAILED_AUTH)

int
broker_monitor_start (broker_security_t *security, zsock_t *sock, int role)
{
    assert (role == 0 || role == 1);
    char endpoint [64];
    snprintf (endpoint, sizeof (endpoint), "inproc://zlb-monitor-%p", (void *) sock);
    if (zmq_socket_monitor (zsock_resolve (sock), endpoint, S_EVENTS) != 0)
        return -1;
    zsock_destroy (&security->monitor [role]);
    security->monitor [role] = zsock_new_pair (NULL);
    if (!security->monitor [role])
        return -1;
    zsock_set_linger (security->monitor [role], 0);
    return zsock_connect (security->monitor [role], "%s", endpoint);
}

static const char *
s_kind (uint16_t event, uint32_t value)
{
    if (event == ZMQ_EVENT_HANDSHAKE_FAILED_AUTH)
        return "refused by authentication (ZAP)";
    //  A plain-text peer hangs up as soon as it sees we want CURVE: we see
    //  no protocol error, only the connection closing (value: errno).
    if (event != ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL)
        return "peer closed the connection in the handshake: plain text, or a wrong key?";
    if (value == ZMQ_PROTOCOL_ERROR_ZMTP_MECHANISM_MISMATCH)
        return "peer does not speak CURVE (plain text, or no --broker-key?)";
    return value >= ZMQ_PROTOCOL_ERROR_ZAP_UNSPECIFIED ? "ZAP protocol error"
         : "handshake protocol error (wrong broker key?)";
}

//  One event: [6 bytes: event (16 bits) and value (32 bits), host order]
//  [our endpoint].
static void
s_event (zlb_broker_t *self, zsock_t *monitor, int role)
{
    zmsg_t *msg = zmsg_recv (monitor);
    zframe_t *head = msg ? zmsg_first (msg) : NULL;
    zframe_t *endpoint = msg ? zmsg_next (msg) : NULL;
    if (head && zframe_size (head) == 6) {
        uint16_t event;
        uint32_t value;
        memcpy (&event, zframe_data (head), 2);
        memcpy (&value, zframe_data (head) + 2, 4);
        self->stats.refused++;
        zlb_log_limited (self->log, &self->security->limit, ZLB_LOG_WARNING,
                         "handshake_failed", "endpoint=%.*s role=%s code=%#x reason=\"%s\"",
                         endpoint ? (int) zframe_size (endpoint) : 1,
                         endpoint ? (const char *) zframe_data (endpoint) : "-",
                         role ? "workers" : "main", value, s_kind (event, value));
    }
    zmsg_destroy (&msg);
}

size_t
broker_monitor_items (zlb_broker_t *self, zmq_pollitem_t *items)
{
    size_t count = 0;
    for (int role = 0; self->security && role < 2; role++)
        if (self->security->monitor [role])
            items [count++] = (zmq_pollitem_t) {
                zsock_resolve (self->security->monitor [role]), 0, ZMQ_POLLIN, 0
            };
    return count;
}

void
broker_monitor_input (zlb_broker_t *self)
{
    for (int role = 0; role < 2; role++) {
        zsock_t *monitor = self->security->monitor [role];
        //  A bounded batch: a storm of bad handshakes must not starve traffic.
        for (int batch = 0; monitor && batch < BROKER_BATCH
                            && (zsock_events (monitor) & ZMQ_POLLIN); batch++)
            s_event (self, monitor, role);
    }
}
