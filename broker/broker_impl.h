/*  broker_impl.h - the broker's internal types, shared by its source files.

    Ownership, in one place:
    - the broker owns the service table, the worker table and the socket;
    - a service owns the requests in its queue and lists its ready workers
      (the list does not own them);
    - a worker owns the requests it is serving (its in-flight list: one for
      a strict MDP worker, up to its credit for a zlb credit worker);
    - a request owns its client address and body frames.
    A worker or request is freed in exactly one place: broker_worker_delete
    and broker_request_destroy.                                             */

#ifndef ZLB_BROKER_IMPL_H_INCLUDED
#define ZLB_BROKER_IMPL_H_INCLUDED

#include <czmq.h>

#include "broker.h"
#include "mdp.h"
#include "stats.h"
#include "zlb/zlb.h"

typedef struct _broker_service_t broker_service_t;
typedef struct _broker_worker_t broker_worker_t;
typedef struct _broker_request_t broker_request_t;
typedef struct _broker_security_t broker_security_t;
typedef struct _broker_metrics_t broker_metrics_t;

#define BROKER_WORKER_NAME_MAX 80     //  printable worker id in logs (truncated)
#define BROKER_TICK_MS 100            //  how often queued requests' deadlines are checked
#define BROKER_BATCH 256              //  messages handled per iteration before timers
#define BROKER_CREDIT_MAX 1000        //  most requests one worker may hold (credit extension)
#define BROKER_TAG_SIZE 4             //  delivery tag appended to the client address
                                      //  sent to credit workers (docs/protocol.md)
#define BROKER_ADDRESS_MAX 255        //  longest routing id (ZMTP's limit)
#define BROKER_BODY_MAX 8             //  body frames a request may have (more: 400)
#define BROKER_PARTS_MAX (6 + BROKER_BODY_MAX)  //  frames of one message we read
#define BROKER_ID_PREFIX 256          //  body bytes read for the id of an error answer

//  Routing id bytes: the key of the worker table, so that a lookup with
//  the bytes of a frame just received needs no object.
typedef struct {
    const byte *data;
    size_t size;
} broker_key_t;

//  One message received straight into zmq_msg_t, no czmq objects: every
//  message is parsed from here (lib/mdp.h) and its body frames moved on.
typedef struct {
    zmq_msg_t part [BROKER_PARTS_MAX];  //  frames, initialised (past count: leftovers)
    size_t count;                 //  frames received
    bool overflow;                //  more frames than fit (the rest were dropped)
} broker_input_t;

struct _broker_request_t {
    byte client [BROKER_ADDRESS_MAX];  //  client routing id
    size_t client_size;           //  its length
    zmq_msg_t body [BROKER_BODY_MAX];  //  body frames, opaque to us, moved in
    size_t body_frames;           //  how many
    size_t body_bytes;            //  their total size (counted in stats.held_bytes)
    broker_service_t *service;    //  service it was sent to (lives while we do)
    int64_t received;             //  clock ms when the client's request arrived
    int64_t deadline;             //  clock ms after which a queued request gets 504
    int deliveries;               //  times handed to a worker
    void *handle;                 //  handle in service->requests while queued
    broker_request_t *next;       //  next younger request in flight at the same worker
    uint32_t tag;                 //  delivery tag at a credit worker (matches its REPLY)
    int64_t delivered_ns;         //  zlb_mono_ns of the last delivery (service time)
};

struct _broker_service_t {
    char *name;                   //  service name (validated printable, 1..255)
    size_t name_size;             //  strlen (name)
    zlistx_t *requests;           //  queued broker_request_t, oldest first
    zlistx_t *ready;              //  workers with spare credit: fewest in flight
                                  //  first, least recently used among equals
    uint64_t ready_stamp;         //  last ready_seq given out (orders equals)
    size_t workers;               //  workers registered for the service (ready + busy)
    bool pending;                 //  on broker->pending: dispatch it before the loop waits
    broker_service_t *pending_next;  //  next on that list
    broker_service_stats_t stats; //  counters for mmi.services and /metrics
};

struct _broker_worker_t {
    zframe_t *address;            //  routing id
    broker_key_t key;             //  its bytes: the key in broker->workers
    char name [BROKER_WORKER_NAME_MAX];  //  printable id for logs
    broker_service_t *service;    //  service it registered for
    broker_request_t *request;    //  oldest in-flight request (list head), NULL when idle
    broker_request_t *request_tail;  //  youngest in-flight request (list tail)
    int inflight;                 //  requests it holds now
    int credit;                   //  requests it may hold now, its window (1: strict MDP 0.1;
                                  //  0: paused by a worker on several brokers)
    int credit_max;               //  most it may ever hold (READY); > 1: a credit worker
    uint32_t next_tag;            //  tag for its next delivery (credit_max > 1 only)
    void *ready_handle;           //  handle in service->ready, NULL when busy
    uint64_t ready_seq;           //  when it last took its place there
    int64_t sent_at;              //  clock ms of the last REQUEST or HEARTBEAT sent to it
    void *sent_handle;            //  handle in broker->by_sent
    void *expiry_handle;          //  handle in broker->by_expiry
    int64_t expiry;               //  clock ms of its next liveness check
    int64_t heard;                //  clock ms of its last message
    int64_t joined;               //  clock ms of its READY
    uint64_t served;              //  replies it sent that we forwarded
    char curve_key [41];          //  CURVE public key (Z85) it registered with, or ""
    bool gone;                    //  a send to it failed: removed after the round
    broker_worker_t *gone_next;   //  next on broker->gone
};

struct _zlb_broker_t {
    zlb_broker_options_t options; //  limits and timers
    zlb_log_t *log;               //  borrowed
    zsock_t *router;              //  the one socket
    zhashx_t *services;           //  name -> broker_service_t
    zhashx_t *workers;            //  address frame -> broker_worker_t
    zlistx_t *by_expiry;          //  workers, least recently heard from first
    zlistx_t *by_sent;            //  workers, least recently sent to first
    broker_service_t *pending;    //  services to dispatch after this step (by pending_next)
    broker_worker_t *gone;        //  workers to remove after this step (by gone_next)
    broker_request_t *spare_requests;  //  free list of request objects, linked by next
    size_t spare_count;           //  its length (bounded)
    int64_t heartbeat_at;         //  next heartbeat round, clock ms
    int64_t tick_at;              //  next deadline check and reap, clock ms
    bool stopped;                 //  zlb_broker_stop was called
    zlb_ratelimit_t limit;        //  for warnings about bad input
    zlb_ratelimit_t events;       //  for lines a peer can trigger at will (join, leave...)
    zlb_broker_stats_t stats;     //  counters (workers/queued/services kept live)
    broker_security_t *security;  //  CURVE, roles, backend socket; NULL: plain, one socket
    int64_t started;              //  clock ms at zlb_broker_new (uptime)
    int64_t started_wall_ns;      //  zlb_time_ns at zlb_broker_new
    broker_metrics_t *metrics;    //  Prometheus endpoint, NULL unless bound
    volatile sig_atomic_t *reopen;  //  set by SIGHUP: reopen the log (may be NULL)
};

//  broker.c
int64_t broker_now (zlb_broker_t *self);
//  The service may have ready workers and queued requests at once: hand
//  them out after the current step (once, whoever asks how often).
void broker_dispatch_later (zlb_broker_t *self, broker_service_t *service);
//  A send to worker failed: take it out of its ready list now and remove it
//  after the current step, never inside a dispatch (no re-entry).
void broker_worker_gone (zlb_broker_t *self, broker_worker_t *worker);
//  A service or worker is about to be freed: off the pending lists.
void broker_pending_forget (zlb_broker_t *self, broker_service_t *service,
                            broker_worker_t *worker);
//  Send a message (lib/mdp.h) to message->peer, never blocking: worker
//  commands on the workers' socket when there is one. Body frames go as
//  shared copies when keep (the caller sends them again), else moved out.
//  0 on success; -1 with errno (EHOSTUNREACH: peer gone, EAGAIN: pipe
//  full). Failures are counted and logged here.
int broker_send (zlb_broker_t *self, const mdp_view_t *message, bool keep);
//  "" MDPC01 service and body frames (copied: short answers we made) to a
//  client; at most BROKER_SEND_PARTS_MAX of them.
#define BROKER_SEND_PARTS_MAX 4
int broker_send_client (zlb_broker_t *self, mdp_bytes_t client, mdp_bytes_t service,
                        const mdp_bytes_t *parts, size_t nparts);
//  Printable routing id (itself when printable, else hex) into buf.
char *broker_address_str (const void *data, size_t size, char *buf, size_t bufsize);

//  A ROUTER with all the broker's socket options (for the backend too).
zsock_t *broker_router_new (zlb_broker_t *self);

//  A worker just registered: bind its routing id to the key on frame (any
//  received frame of its READY: libzmq attaches the metadata to each).
void broker_security_bind (zlb_broker_t *self, broker_worker_t *worker, zmq_msg_t *frame);
//  True when CURVE is on.
bool broker_security_curve (zlb_broker_t *self);

//  security.c (only called when self->security is set)
void broker_security_destroy (broker_security_t **self_p);
//  The workers' ROUTER, NULL when workers share the main one.
zsock_t *broker_security_backend (zlb_broker_t *self);
//  May this message (parsed, from the socket from) go on? false: refused,
//  logged and, for worker commands, answered with DISCONNECT. Under CURVE
//  this includes a registered worker's routing id arriving under another
//  key (its connection went and another key took the free id; the worker
//  is removed). With ROUTER_HANDOVER off libzmq never attaches a second
//  connection under a routing id in use.
bool broker_security_admit (zlb_broker_t *self, zsock_t *from, const mdp_view_t *view);

//  frontend.c: client side
//  A client message (view->client), parsed with error (never MDP_E_SHORT:
//  broker.c drops those). Body frames it keeps are moved out of the view.
//  truncated: the message had more frames than the input holds.
void broker_client_message (zlb_broker_t *self, mdp_view_t *view, mdp_error_t error,
                            bool truncated);

//  backend.c: worker side
//  A worker message (view->worker, view->command set), parsed with error.
void broker_worker_message (zlb_broker_t *self, mdp_view_t *view, mdp_error_t error);
//  Send a worker command with no frames after it (HEARTBEAT, DISCONNECT).
int broker_worker_command (zlb_broker_t *self, zframe_t *address, int command);

//  registry.c: worker table
broker_worker_t *broker_worker_lookup (zlb_broker_t *self, zframe_t *address);
broker_worker_t *broker_worker_lookup_bytes (zlb_broker_t *self, const void *data,
                                             size_t size);
//  credit: the window it starts with; credit_max: the most it may ask for.
broker_worker_t *broker_worker_register (zlb_broker_t *self, mdp_bytes_t address,
                                         broker_service_t *service, int credit,
                                         int credit_max);
//  A worker's new window (HEARTBEAT "credit=N"), kept within 0..credit_max
//  (0: paused, it is full with other brokers' requests): it leaves the ready
//  list when it holds that many or more, and joins it when it has room again.
void broker_worker_set_window (zlb_broker_t *self, broker_worker_t *worker, int window);
//  Put the worker in the ready list or take it out, as its window and what
//  it holds say (after either changed outside dispatch and replies).
void broker_worker_fit (zlb_broker_t *self, broker_worker_t *worker);
//  Any message from a worker: push its expiry back.
void broker_worker_refresh (zlb_broker_t *self, broker_worker_t *worker);
//  We just sent it a REQUEST or HEARTBEAT: no HEARTBEAT for an interval.
void broker_worker_sent (zlb_broker_t *self, broker_worker_t *worker);
//  Make a worker ready (back of its service's ready queue); its service is
//  dispatched after the current step. A gone worker stays out.
void broker_worker_ready (zlb_broker_t *self, broker_worker_t *worker);
//  In-flight list: add a delivered request (youngest); take the one a
//  REPLY answers out (NULL if none matches: the address frame carries the
//  tag for credit workers; a strict worker's REPLY answers its only one).
void broker_worker_hold (broker_worker_t *worker, broker_request_t *request);

//  Put a worker with spare credit in its place in its service's ready list
//  (in it or not yet): behind every worker with fewer requests in flight
//  or as many, ahead of those with more. O(1) for strict MDP workers.
void broker_service_place_ready (broker_service_t *service, broker_worker_t *worker);
broker_request_t *broker_worker_release (broker_worker_t *worker, const void *address,
                                         size_t size);
//  Remove a worker; requeue its in-flight requests (dispatched after the
//  current step); send DISCONNECT first if disconnect. reason goes into the
//  log line. *worker_p is NULLed.
void broker_worker_delete (zlb_broker_t *self, broker_worker_t **worker_p,
                           bool disconnect, const char *reason);
void broker_workers_expire (zlb_broker_t *self, int64_t now);
void broker_workers_heartbeat (zlb_broker_t *self);
void broker_workers_destroy_all (zlb_broker_t *self);
zhashx_t *broker_workers_table_new (void);

//  service.c
broker_service_t *broker_service_lookup (zlb_broker_t *self, const void *name,
                                         size_t size);
//  Find or create; NULL when the table is full.
broker_service_t *broker_service_require (zlb_broker_t *self, const void *name,
                                          size_t size);
//  The table is full and a worker wants in: remove a service that has no
//  workers (its queued requests get 503 now), so that requests for names
//  nobody serves can never lock workers out. false if all have workers.
bool broker_services_evict (zlb_broker_t *self);
//  A new request: straight to a ready worker when none is queued before
//  it (no queue node, no allocation), else to the back of the queue (and
//  the service is dispatched after the current step).
void broker_service_submit (zlb_broker_t *self, broker_service_t *service,
                            broker_request_t *request);
//  Hand queued requests to ready workers while both exist: one pass. A
//  worker that cannot be reached is marked gone (broker_worker_gone) and
//  the request keeps its place.
void broker_service_dispatch (zlb_broker_t *self, broker_service_t *service);
//  Answer 504 to queued requests past their deadline.
void broker_services_expire (zlb_broker_t *self, int64_t now);
//  Remove services with no workers and no queued requests.
void broker_services_reap (zlb_broker_t *self);
void broker_services_destroy_all (zlb_broker_t *self);

//  request.c
//  A request with no body yet (add it with broker_request_take).
//  NULL when out of memory.
broker_request_t *broker_request_new (zlb_broker_t *self, const void *client,
                                      size_t client_size, broker_service_t *service);
//  Add a body frame, moved (the frame is left empty) or copied.
//  Both count the bytes in self->stats.held_bytes until the request is destroyed.
void broker_request_take (zlb_broker_t *self, broker_request_t *request, zmq_msg_t *frame);
void broker_request_destroy (zlb_broker_t *self, broker_request_t **request_p);
void broker_request_pool_destroy (zlb_broker_t *self);
//  Put a request at the back (new) or front (redelivery) of its service queue.
void broker_request_enqueue (zlb_broker_t *self, broker_request_t *request, bool front);
//  The worker holding it died: requeue at the front or fail with 502.
void broker_request_redeliver (zlb_broker_t *self, broker_request_t **request_p,
                               broker_worker_t *worker, const char *reason);
//  Answer a client ourselves with an error reply (2 frames) on service
//  (known: its entry, counted, or NULL). body (may be NULL) is the first
//  body frame: its id is read from the first BROKER_ID_PREFIX bytes only.
void broker_client_error (zlb_broker_t *self, const void *client, size_t client_size,
                          broker_service_t *known, const void *service,
                          size_t service_size, const void *body, size_t body_size,
                          int status, const char *text);
//  Answer a request with an error reply and destroy it.
void broker_request_fail (zlb_broker_t *self, broker_request_t **request_p,
                          int status, const char *text);

//  mmi.c
//  A client request for an mmi.* service, answered at once.
void broker_mmi_request (zlb_broker_t *self, const mdp_view_t *view);
//  Seconds since a worker was last heard from (any command counts).
double broker_worker_silent_s (zlb_broker_t *self, broker_worker_t *worker, int64_t now);
//  Seconds the oldest queued request of a service has waited (0 if none).
double broker_service_oldest_s (broker_service_t *service, int64_t now);

//  metrics.c: the Prometheus /metrics endpoint (an HTTP thread; the loop
//  polls its pipe; zlb_broker_metrics_bind is in broker.h, the rest in metrics.h)
void broker_metrics_destroy (broker_metrics_t **self_p);
//  The pipe to poll, NULL when not bound.
void *broker_metrics_handle (zlb_broker_t *self);
//  Answer what the thread asked (a snapshot, a log line); never blocks.
void broker_metrics_input (zlb_broker_t *self);

//  Rate-limited warning about bad input, counted as malformed.
#define broker_warn(self, event, ...) \
    zlb_log_limited ((self)->log, &(self)->limit, ZLB_LOG_WARNING, (event), __VA_ARGS__)

//  A line any peer can make us write as often as it likes (a worker that
//  joins and leaves in a loop, requests that expire): rate-limited like
//  the warnings, with its own budget (BROKER_EVENTS_PER_S).
#define BROKER_EVENTS_PER_S 100
#define broker_event(self, level, event, ...) \
    zlb_log_kv_limited ((self)->log, &(self)->events, (level), (event), __VA_ARGS__)

//  monitor.c: poll items for the failed-handshake monitors (at most 2),
//  and read what they report (logged, rate-limited).
size_t broker_monitor_items (zlb_broker_t *self, zmq_pollitem_t *items);
void broker_monitor_input (zlb_broker_t *self);
//  security.c: the same for the security limiter.
void broker_security_log_flush (zlb_broker_t *self, bool force);

#endif
