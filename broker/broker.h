/*  broker.h - the zlb broker core: a Majordomo 0.1 (RFC 7) load balancer.

    One ROUTER socket, one thread (plus an HTTP thread with --metrics). Clients
    ("MDPC01") and workers ("MDPW01") talk to the same socket. Per service the
    broker keeps a least-recently-used FIFO of ready workers and a bounded
    FIFO of waiting requests; it remembers each busy worker's request so that
    it can hand it to another worker when that one dies.

    The core is a plain object so that tests can drive it step by step with
    zlb_broker_poll and a fake clock; zlb-broker (main.c) just calls
    zlb_broker_run.                                                          */

#ifndef ZLB_BROKER_H_INCLUDED
#define ZLB_BROKER_H_INCLUDED

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "zlb/log.h"

typedef struct _zlb_broker_t zlb_broker_t;

//  Milliseconds from some fixed point; must not go backwards.
typedef int64_t (zlb_broker_clock_fn) (void *arg);

typedef struct {
    int64_t heartbeat_ms;         //  heartbeat interval, both directions (2500)
    int liveness;                 //  silent intervals before an idle worker is dead (3)
    int64_t busy_timeout_ms;      //  longest a busy worker may be silent (300000;
                                  //  0: no limit); its connection is watched anyway
    int64_t request_timeout_ms;   //  longest a request waits for a worker (10000)
    size_t max_queue;             //  waiting requests per service (10000)
    int max_redeliveries;         //  redeliveries after a worker dies (3)
    size_t max_body;              //  request body bytes; over it: 413 (1 MiB)
    size_t max_services;          //  services in the table; beyond: 503 (1024)
    size_t max_held_bytes;        //  request body bytes held at once, queued or in
                                  //  flight, all services; beyond: 503 (256 MiB)
    zlb_broker_clock_fn *clock_ms;  //  clock for all timers; NULL = zclock_mono
    void *clock_arg;              //  passed to clock_ms
} zlb_broker_options_t;

typedef struct {
    uint64_t requests;            //  client requests accepted
    uint64_t routed;              //  requests sent to workers (redeliveries included)
    uint64_t replies;             //  worker replies forwarded to clients
    uint64_t workers_seen;        //  READY commands accepted, ever
    size_t workers;               //  workers registered now
    uint64_t redeliveries;        //  requests requeued after their worker died
    uint64_t handed_back;         //  requests a full worker on several brokers gave back
    uint64_t expired;             //  workers declared dead: silence, lost connection
                                  //  or the busy limit
    uint64_t busy;                //  503 answers (queue or service table full)
    uint64_t deadline;            //  504 answers (no worker in time)
    uint64_t failed;              //  502 answers (redelivery limit reached)
    uint64_t too_large;           //  413 answers
    uint64_t bad_request;         //  400 answers (bad service name, no body)
    uint64_t malformed;           //  messages dropped as malformed
    uint64_t disconnects;         //  DISCONNECT commands sent for protocol errors
    uint64_t send_failures;       //  sends that failed (peer gone or pipe full)
    size_t queued;                //  requests waiting now, all services
    size_t services;              //  services in the table now
    size_t held_bytes;            //  request body bytes held now (queued or in flight)
    uint64_t refused;             //  messages refused by the security checks
                                  //  (wrong endpoint, key, role or service)
} zlb_broker_stats_t;

//  Fill options with the defaults above.
void zlb_broker_options_defaults (zlb_broker_options_t *options);

//  Create a broker. options may be NULL for the defaults; log is borrowed
//  (may be NULL for silence) and must outlive the broker. NULL on failure.
zlb_broker_t *zlb_broker_new (const zlb_broker_options_t *options, zlb_log_t *log);

//  Destroy the broker; safe on NULL and twice.
void zlb_broker_destroy (zlb_broker_t **self_p);

//  Bind the ROUTER socket to an endpoint; may be called several times.
//  0 on success, -1 on failure (errno set, error logged).
int zlb_broker_bind (zlb_broker_t *self, const char *endpoint);

//  One loop iteration: wait up to timeout_ms (less when a timer is due) for
//  input, handle what arrived, then run due timers, then reap idle services.
//  Returns the number of messages handled, or -1 when interrupted.
int zlb_broker_poll (zlb_broker_t *self, int timeout_ms);

//  Serve Prometheus metrics (GET /metrics, plain HTTP) on a TCP endpoint,
//  e.g. "tcp://127.0.0.1:9550" ("HOST:PORT" too), from a thread of its own
//  (the one thread besides libzmq's; the loop only copies the counters
//  for it, at most once a second). Once only.
//  0 on success, -1 on failure (errno set, error logged).
int zlb_broker_metrics_bind (zlb_broker_t *self, const char *endpoint);

//  Security (broker/security.c, docs/security.md). Call before any bind.
//  CURVE on every socket of this broker, with our keys from secret_file (a
//  zlb-keygen _secret file); allow_clients / allow_workers are directories
//  of public certificates (NULL: any key in that role). One CURVE broker
//  per process (it serves the process's ZAP endpoint). 0, or -1 (logged).
int zlb_broker_set_curve (zlb_broker_t *self, const char *secret_file,
                          const char *allow_clients, const char *allow_workers);

//  Bind a second ROUTER for workers only; the endpoints of zlb_broker_bind
//  then take clients only (a peer speaking the wrong role is refused).
//  0, or -1 (errno set, logged).
int zlb_broker_bind_backend (zlb_broker_t *self, const char *endpoint);

//  Log whether traffic is encrypted, and the allow-lists (start-up).
void zlb_broker_log_security (zlb_broker_t *self);

//  Loop until zsys_interrupted or zlb_broker_stop. Logs start and stop and
//  a summary line. Returns 0.
int zlb_broker_run (zlb_broker_t *self);

//  While running, reopen the log (logrotate) whenever *flag becomes
//  non-zero, then clear it. main.c sets it from a SIGHUP handler.
void zlb_broker_set_reopen_flag (zlb_broker_t *self, volatile sig_atomic_t *flag);

//  Make zlb_broker_run return after the current iteration.
void zlb_broker_stop (zlb_broker_t *self);

//  Copy the counters.
void zlb_broker_stats (zlb_broker_t *self, zlb_broker_stats_t *stats);

//  Log the summary line (also done by zlb_broker_run when it stops).
void zlb_broker_log_summary (zlb_broker_t *self);

//  Queries for tests and tools; -1 when the service is not in the table.
int zlb_broker_queue_depth (zlb_broker_t *self, const char *service);
int zlb_broker_ready_workers (zlb_broker_t *self, const char *service);
int zlb_broker_service_workers (zlb_broker_t *self, const char *service);

//  For tests and fuzzers (invariants.c): NULL when the broker's counters and
//  lists agree (queued and held bytes, in-flight lists, ready lists, never
//  ready workers and queued requests for one service), else a description
//  of the first rule broken. Walks every table: not for production loops.
const char *broker_check_invariants (zlb_broker_t *self);

#endif
