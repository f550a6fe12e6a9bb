/*  zlb/client.h - an MDP/0.1 client with zlb's msgpack bodies.

    One client owns one DEALER socket per broker it was given (usually
    one: zlb_client_new). It can have
    many requests in flight; each gets exactly one result: the worker's
    reply, a broker error (busy, no worker, failed...), or a local timeout
    after all retries. A request that times out is sent again with the same
    id; a reply whose id was already answered is counted as a duplicate and
    dropped, so the caller sees every request answered once.

    Plain MDP services (any worker that does not speak zlb's msgpack
    bodies): zlb_client_send_raw () sends body frames as they are and gets
    the reply's frames back as they came. A zlb request answered in another
    format is reported at once as ZLB_STATUS_NOT_ZLB, not retried. Raw
    replies carry no id: each answers the oldest request in flight to its
    service (mmi.* requests are raw too).

    Several brokers (zlb_client_new_multi; docs/cluster.md): each attempt
    goes to one broker, a healthy one with the fewest attempts outstanding
    (ties in turn). An attempt that times out is resent with the same id on
    another broker, and the broker it timed out on becomes suspect: no new
    attempts while a healthy broker exists, and an mmi.service probe on a
    socket of its own about once a second while requests are in flight,
    until it answers "200" (a reply through it proves less: it may have
    left just before the broker died). The
    first reply for an id is delivered, later ones from any broker are
    duplicates. With one broker all of this reduces to the above.

    Blocking use:   zlb_client_request ().
    Many in flight: zlb_client_send () then zlb_client_recv () in a loop.
    Event loops:    poll zlb_client_sock () (with several brokers: every
                    zlb_client_broker_sock ()), call zlb_client_recv (self,
                    r, 0) when one is readable and at least every
                    zlb_client_next_timeout_ms () so that retries (and
                    probes) happen.

    Not thread-safe: use one client per thread.                              */

#ifndef ZLB_CLIENT_H_INCLUDED
#define ZLB_CLIENT_H_INCLUDED

#include <czmq.h>
#include <stdint.h>
#include "zlb/log.h"

typedef struct _zlb_client_t zlb_client_t;

#define ZLB_CLIENT_MAX_BROKERS 64     //  most endpoints one client takes

typedef struct {
    int timeout_ms;          //  wait per attempt before resending (default 3000)
    int retries;             //  resends after the first attempt (default 3; 0 = one attempt)
    size_t max_inflight;     //  requests in flight at once (default 1024)
    size_t max_payload;      //  refuse to send payloads over this (default 1 MiB)
    size_t max_reply;        //  largest reply accepted (default: max_payload, at least
                             //  1 MiB); a bigger frame costs the broker its connection
    zlb_log_t *log;          //  optional; borrowed, must outlive the client
    const char *curve_server_key;  //  broker's public key, Z85 (40 chars): CURVE on; NULL: plain
    zcert_t *curve_cert;     //  our certificate for CURVE; borrowed; NULL: an ephemeral key pair
    int64_t (*clock_ns) (void *arg);  //  monotonic ns for every deadline (tests step
                             //  a fake one); NULL: zlb_mono_ns
    void *clock_arg;         //  passed to clock_ns
} zlb_client_options_t;

//  The result of one request. Pointers are borrowed from the client and
//  valid until the next call on it.
typedef struct {
    uint64_t id;             //  the id zlb_client_send returned
    int status;              //  ZLB_STATUS_*; ZLB_STATUS_TIMEOUT if no answer came
    uint32_t attempts;       //  how many times this client sent it
    const char *service;     //  service it was sent to
    const char *worker;      //  worker id from the confirmation ("" if none)
    const char *error;       //  error text when status != 200 ("" otherwise)
    const uint8_t *payload;  //  reply payload (NULL/0 when none)
    size_t payload_size;
    int64_t sent_ns;         //  monotonic time of the first send
    int64_t rtt_ns;          //  receive time - first send time
    int64_t service_ns;      //  worker's t_send - t_recv (0 if unknown)
    int64_t latency_ns;      //  estimate: (rtt - service) / 2
    zmsg_t *frames;          //  raw requests, and replies not in zlb's format: the
                             //  reply's body frames as they came (borrowed, like
                             //  the rest); NULL for zlb replies and local results
} zlb_result_t;

//  Counters since the client was created.
typedef struct {
    uint64_t sent;           //  requests accepted by zlb_client_send
    uint64_t retries;        //  resends after a timeout
    uint64_t replies;        //  results delivered with a wire status
    uint64_t timeouts;       //  results delivered as ZLB_STATUS_TIMEOUT
    uint64_t duplicates;     //  replies dropped because their id was already answered
    uint64_t malformed;      //  replies dropped because they did not parse
    uint64_t not_zlb;        //  results delivered as ZLB_STATUS_NOT_ZLB
} zlb_client_stats_t;

//  One broker of a client, as zlb_client_broker_info reports it.
typedef struct {
    const char *endpoint;    //  as given (borrowed from the client)
    uint64_t attempts;       //  attempts sent to it (first sends and resends)
    uint64_t replies;        //  messages received from it (duplicates included)
    size_t outstanding;      //  requests whose current attempt is on it
    bool suspect;            //  an attempt timed out there and it has not answered since
} zlb_client_broker_t;

//  Fill options with the defaults (NULL: nothing to fill).
void zlb_client_options_defaults (zlb_client_options_t *options);

//  Connect to a broker endpoint. options may be NULL for defaults.
//  Returns NULL (errno set) if the endpoint is invalid or NULL (EINVAL).
zlb_client_t *zlb_client_new (const char *endpoint, const zlb_client_options_t *options);

//  Connect to count brokers that serve the same services, one DEALER each
//  (see the top of this file). count 1 is exactly zlb_client_new. Returns
//  NULL with errno: EINVAL for NULL endpoints, count 0 or over
//  ZLB_CLIENT_MAX_BROKERS, a NULL or empty endpoint, one given twice (same
//  text), bad options; what zmq set for an endpoint it refused.
zlb_client_t *zlb_client_new_multi (const char *const *endpoints, size_t count,
                                    const zlb_client_options_t *options);

//  Close and free; safe on NULL and on a pointer to NULL.
void zlb_client_destroy (zlb_client_t **self_p);

//  Queue one request and send it. Returns 0 and its id in *id_p, or -1 with
//  errno: EBUSY (max_inflight reached), EMSGSIZE (payload too large),
//  EINVAL (NULL self or service, bad service name, NULL payload with
//  size > 0), or what zmq set. id_p may be NULL.
int zlb_client_send (zlb_client_t *self, const char *service,
                     const void *payload, size_t size, uint64_t *id_p);

//  Queue one raw MDP request: the body frames as they are (no zlb map), for
//  a service that is not zlb's. Takes *body_p (NULLed, also on failure).
//  Its result has status 200 and the reply's frames in result->frames, or
//  a broker error status (503, 504...). Returns as zlb_client_send; body_p
//  NULL or *body_p NULL or empty: -1, EINVAL.
int zlb_client_send_raw (zlb_client_t *self, const char *service, zmsg_t **body_p,
                         uint64_t *id_p);

//  Wait up to timeout_ms (-1 forever, 0 not at all) for the next result,
//  resending requests whose attempt timed out on the way. Returns 1 with a
//  result, 0 if none came in time, -1 if interrupted (SIGINT/SIGTERM) or
//  self or result is NULL (EINVAL).
int zlb_client_recv (zlb_client_t *self, zlb_result_t *result, int timeout_ms);

//  Send one request and wait for its result (with retries). Returns 0 with
//  the result filled (check result->status), -1 if it could not be sent or
//  the wait was interrupted (NULL self, service or result: EINVAL).
int zlb_client_request (zlb_client_t *self, const char *service,
                        const void *payload, size_t size, zlb_result_t *result);

//  Requests in flight (0 for NULL).
size_t zlb_client_inflight (const zlb_client_t *self);

//  Milliseconds until the next attempt times out or a suspect broker is to
//  be probed (-1 when nothing is in flight, or self is NULL).
int zlb_client_next_timeout_ms (const zlb_client_t *self);

//  The DEALER socket, for polling only (do not read or write it); NULL for NULL.
//  With several brokers: the first broker's (poll them all, see below).
zsock_t *zlb_client_sock (zlb_client_t *self);

//  How many brokers the client talks to (0 for NULL).
size_t zlb_client_brokers (const zlb_client_t *self);

//  The DEALER socket of broker index (0..zlb_client_brokers () - 1), for
//  polling only. NULL (EINVAL) for NULL self or an index out of range.
zsock_t *zlb_client_broker_sock (zlb_client_t *self, size_t index);

//  Counters and state of broker index into info. 0, or -1 (EINVAL) for
//  NULL self or info or an index out of range.
int zlb_client_broker_info (const zlb_client_t *self, size_t index,
                            zlb_client_broker_t *info);

//  Copy the counters into stats (zeroed for a NULL self; NULL stats: nothing).
void zlb_client_stats (const zlb_client_t *self, zlb_client_stats_t *stats);

#endif
