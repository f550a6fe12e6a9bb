/*  client_brokers.h - the brokers one client spreads its requests over
    (internal, for client.c).

    One DEALER per broker endpoint, each set up the same way. Each attempt
    of a request goes to one broker: a healthy one with the fewest
    attempts outstanding, ties taken in turn. A broker on which an attempt
    timed out is suspect: it gets no new attempts while a healthy broker
    exists, and is probed about once a second with an mmi.service request
    for the service that timed out there, on a socket of its own (so a
    probe's answer can never be taken for the answer to a caller's mmi.*
    request). Only a "200" to a probe makes it healthy again: a reply
    through it may have left just before it died. With one broker nothing is ever suspect
    and every attempt goes to it: the client behaves as it did with one
    socket.                                                                */

#ifndef ZLB_CLIENT_BROKERS_H_INCLUDED
#define ZLB_CLIENT_BROKERS_H_INCLUDED

#include <czmq.h>
#include <stdbool.h>
#include <stdint.h>
#include "zlb/client.h"
#include "mdp.h"

#define ZLB_BROKER_NONE SIZE_MAX      //  "no broker": an attempt not yet sent

typedef struct {
    char *endpoint;               //  as given (owned)
    zsock_t *sock;                //  DEALER to the broker
    void *handle;                 //  its libzmq socket
    size_t outstanding;           //  requests whose current attempt went here
    uint64_t attempts;            //  attempts sent here
    uint64_t replies;             //  messages received from here
    int64_t heard_ns;             //  when the last one came (0: never)
    bool suspect;                 //  an attempt timed out here, no "200" since
    int64_t probe_due_ns;         //  when to probe it next (suspect only)
    zsock_t *probe;               //  DEALER for probes, while suspect (else NULL)
    char probe_service [MDP_SERVICE_MAX + 1];   //  what the probe asks about
} zlb_broker_link_t;

typedef struct {
    zlb_broker_link_t *links;     //  one per endpoint, in the order given
    size_t count;
    size_t cursor;                //  where the next tie-break starts
    const zlb_client_options_t *options;   //  the client's (borrowed): socket setup
} zlb_brokers_t;

//  Open a DEALER to each endpoint. -1 with errno: EINVAL for no endpoint,
//  an empty or NULL one, a duplicate, more than ZLB_CLIENT_MAX_BROKERS,
//  bad CURVE keys; what zmq set for an endpoint it refused; ENOMEM.
int zlb_brokers_open (zlb_brokers_t *self, const char *const *endpoints, size_t count,
                      const zlb_client_options_t *options);

//  Close every socket; safe on a set that failed to open.
void zlb_brokers_close (zlb_brokers_t *self);

//  The broker for the next attempt: a healthy one other than avoid (the
//  broker of the previous attempt, or ZLB_BROKER_NONE) with the fewest
//  outstanding, ties in turn. When there is none (every other broker is
//  suspect): of all, avoid included, those that sent anything within the
//  last attempt timeout first (a slow broker that still answers beats a
//  dead one), then the fewest outstanding, ties in turn.
size_t zlb_brokers_pick (zlb_brokers_t *self, size_t avoid, int64_t now);

//  An attempt on broker index timed out (service: what it asked for).
//  Returns true when that made the broker suspect (it was not before).
bool zlb_brokers_timed_out (zlb_brokers_t *self, size_t index, const char *service,
                            int64_t now);

//  Send the probes that are due at now. Nothing to do with one broker.
void zlb_brokers_probe (zlb_brokers_t *self, int64_t now);

//  Read every probe answer waiting, without blocking (each counts as
//  hearing from its broker at now): a "200" makes its broker healthy (logged). Returns how many brokers came back.
size_t zlb_brokers_probe_read (zlb_brokers_t *self, int64_t now);

//  The next probe time, INT64_MAX when no broker is suspect.
int64_t zlb_brokers_next_probe (const zlb_brokers_t *self);

//  Poll items for the brokers' sockets then the probe sockets in use, into
//  items (room for 2 * count); returns how many.
size_t zlb_brokers_poll_items (const zlb_brokers_t *self, zmq_pollitem_t *items);

#endif
