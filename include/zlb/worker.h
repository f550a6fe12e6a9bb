/*  zlb/worker.h - an MDP/0.1 worker with zlb's msgpack bodies.

    A worker owns one DEALER socket to a broker and serves one service. It
    registers (READY), heartbeats, and when the broker is silent for
    liveness x heartbeat it reconnects on a fresh socket with exponential
    backoff and registers again - all inside zlb_worker_recv/zlb_worker_idle.
    Requests whose body is not a valid zlb request are answered with status
    400 inside the library; the caller only sees good requests - unless
    options.raw is set: then a body that is not a zlb request at all (not
    one msgpack map frame, e.g. a plain MDP client's text) is handed over
    as it came (work.frames) and answered with zlb_worker_reply_raw, so
    one handler can serve zlb and plain MDP clients alike.

    Loop:   while (zlb_worker_recv (w, &req, -1) == 1)
                zlb_worker_reply (w, &req, ZLB_STATUS_OK, out, out_size, NULL);
            zlb_worker_destroy (&w);     //  sends DISCONNECT

    Several brokers (zlb_worker_new_multi; docs/cluster.md): the worker
    registers with every one (READY, heartbeats, reconnects, DISCONNECT at
    destroy, each on its own), serves the oldest request from any of them,
    and shares its capacity across them: it never holds more than its
    window in all, pausing brokers while it is full and handing back a
    request that raced in (docs/protocol.md, "Workers on several brokers").

    Not thread-safe: use one worker per thread.                              */

#ifndef ZLB_WORKER_H_INCLUDED
#define ZLB_WORKER_H_INCLUDED

#include <czmq.h>
#include <stdint.h>
#include "zlb/log.h"

typedef struct _zlb_worker_t zlb_worker_t;

//  Largest credit a worker may advertise (the broker caps it too).
#define ZLB_WORKER_CREDIT_MAX 1000
//  Most broker endpoints one worker takes.
#define ZLB_WORKER_MAX_BROKERS 16

typedef struct {
    const char *service;     //  service to offer (required; not "mmi.*")
    const char *id;          //  worker id in confirmations and logs (default host-pid)
    int heartbeat_ms;        //  heartbeat interval (default 2500)
    int liveness;            //  intervals of silence before reconnecting (default 3)
    int reconnect_max_ms;    //  ceiling of the extra silence window after reconnects (default 32 x heartbeat)
    zlb_log_t *log;          //  optional; borrowed, must outlive the worker
    int credit;              //  requests the broker may send ahead: 0 (the default)
                             //  adaptive, 1 to credit_max, as many as hide the round
                             //  trip to the broker; 1 strict MDP 0.1; N a fixed window
                             //  (zlb credit extension, docs/protocol.md)
    const char *curve_server_key;  //  broker's public key, Z85 (40 chars): CURVE on; NULL: plain
    zcert_t *curve_cert;     //  our certificate for CURVE (copied); NULL: an ephemeral key pair
    bool raw;                //  hand over bodies that are not zlb requests (work.frames)
                             //  instead of answering them 400
    size_t max_body;         //  largest request accepted (default 1 MiB, the broker's
                             //  --max-body); a bigger frame is refused unread
    int64_t (*clock_ns) (void *arg);  //  monotonic ns for every timer (tests step
                             //  a fake one); NULL: zlb_mono_ns
    void *clock_arg;         //  passed to clock_ns
    int credit_max;          //  adaptive credit's ceiling (0: 32)
} zlb_worker_options_t;

//  One request taken by zlb_worker_recv. Pointers are borrowed from the
//  worker and valid until zlb_worker_reply or the next zlb_worker_recv.
typedef struct {
    uint64_t id;             //  client's request id
    uint64_t ts;             //  client's send time, ns
    uint32_t attempt;        //  client's attempt number
    const uint8_t *payload;
    size_t payload_size;
    int64_t t_recv;          //  when the worker received it (zlb_time_ns)
    const char *client;      //  client address, printable (for logs)
    zmsg_t *frames;          //  options.raw and a body that is not a zlb request: its
                             //  frames as they came (borrowed like the rest; payload
                             //  is the first one, id 0); NULL for a zlb request
} zlb_work_t;

typedef struct {
    uint64_t served;         //  replies sent
    uint64_t bad_requests;   //  requests answered 400 inside the library
    uint64_t raw_requests;   //  bodies handed over raw (options.raw)
    uint64_t reconnects;     //  fresh sockets after the broker went silent
    uint64_t heartbeats_sent;
    uint64_t heartbeats_received;
    int credit;              //  the window the (first) broker has from us now
    int capacity;            //  requests we hold at once now, across brokers
    uint64_t handed_back;    //  requests given back unserved while full (several brokers)
    int brokers_connected;   //  brokers registered with and heard from
} zlb_worker_stats_t;

//  Fill options with the defaults (NULL: nothing to fill).
void zlb_worker_options_defaults (zlb_worker_options_t *options);

//  Create a worker and connect it. Returns NULL (errno set) on a bad
//  endpoint or options (EINVAL; a NULL endpoint too). options may be NULL
//  for the defaults.
zlb_worker_t *zlb_worker_new (const char *endpoint, const zlb_worker_options_t *options);

//  Register with count brokers serving the same service (see the top of
//  this file); count 1 is exactly zlb_worker_new. Returns NULL with errno:
//  EINVAL for NULL endpoints, count 0 or over ZLB_WORKER_MAX_BROKERS, a
//  NULL or empty endpoint, one given twice (same text), bad options; what
//  zmq set for an endpoint it refused.
zlb_worker_t *zlb_worker_new_multi (const char *const *endpoints, size_t count,
                                    const zlb_worker_options_t *options);

//  Send DISCONNECT (if connected), close the socket, free. Safe on NULL and
//  on a pointer to NULL.
void zlb_worker_destroy (zlb_worker_t **self_p);

//  Wait up to timeout_ms (-1 forever) for the next request, heartbeating
//  and reconnecting as needed. Returns 1 with a request, 0 on timeout, -1
//  when interrupted (SIGINT/SIGTERM: zsys_interrupted) - then reply to
//  nothing more and destroy the worker to leave cleanly. NULL self or work:
//  -1, EINVAL.
int zlb_worker_recv (zlb_worker_t *self, zlb_work_t *work, int timeout_ms);

//  Answer the request from the last zlb_worker_recv with the reply and its
//  confirmation. status ZLB_STATUS_OK with a payload, or an error status
//  with error text. work may be NULL for "the request in hand"; payload
//  and error may be NULL. Returns 0, or -1 with errno EINVAL if there is no
//  request to answer (or self is NULL).
int zlb_worker_reply (zlb_worker_t *self, const zlb_work_t *work, int status,
                      const void *payload, size_t size, const char *error);

//  Answer the request from the last zlb_worker_recv with these body frames,
//  exactly as given (no zlb map, no confirmation): the plain MDP answer to
//  a raw request, or any answer a handler likes. Takes *body_p (NULLed,
//  also on failure; it may be a zmsg_dup of work->frames for an echo).
//  On a raw request, zlb_worker_reply sends the payload (status 200) or the
//  error text as one frame. Returns 0, or -1 with errno EINVAL if there is
//  no request, self is NULL, or body_p / *body_p is NULL.
int zlb_worker_reply_raw (zlb_worker_t *self, const zlb_work_t *work, zmsg_t **body_p);

//  Keep the connection alive (answer heartbeats, send ours) for usec while
//  the caller works; for long jobs, call it in slices. Not interrupted by
//  signals, so that a request in progress is always finished. usec 0 runs
//  the timers and reads the socket once without waiting. NULL: nothing.
void zlb_worker_idle (zlb_worker_t *self, int64_t usec);

//  The worker's id ("host-pid" unless set); NULL for NULL.
const char *zlb_worker_id (const zlb_worker_t *self);

//  Copy the counters into stats (zeroed for a NULL self; NULL stats: nothing).
void zlb_worker_stats (const zlb_worker_t *self, zlb_worker_stats_t *stats);

#endif
