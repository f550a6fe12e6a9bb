/*  worker_link.h - a worker's conversation with one broker.

    A link is either a DEALER socket that has sent READY (connected), or no
    socket and a time at which to make a fresh one (backing off). It keeps
    the REQUESTs that came on its current socket until the worker takes
    them (a ring: taking one allocates nothing), heartbeats, and notices a
    silent broker. A zlb worker has one link per broker endpoint
    (lib/worker.c); which requests it takes and what window each broker
    gets is the worker's business, not the link's.                         */

#ifndef ZLB_WORKER_LINK_H_INCLUDED
#define ZLB_WORKER_LINK_H_INCLUDED

#include <czmq.h>
#include "zlb/zlb.h"
#include "mdp.h"

#define WORKER_CLIENT_MAX (MDP_ADDRESS_MAX + MDP_TAG_MAX)  //  a credit broker tags addresses
#define WORKER_BODY_MAX   (MDP_INPUT_MAX - 5)  //  after "" MDPW01 REQUEST client ""

//  What every link of one worker shares; owned by the worker, read-only here.
typedef struct {
    const char *service;          //  service we offer
    const char *id;               //  worker id (routing ids start with it)
    int heartbeat_ms;             //  heartbeat interval
    int liveness;                 //  silent intervals before a broker is dead
    int reconnect_max_ms;         //  backoff ceiling
    zlb_log_t *log;               //  may be NULL
    zlb_ratelimit_t *limit;       //  for warnings about bad input
    int64_t (*clock_ns) (void *arg);  //  NULL: zlb_mono_ns
    void *clock_arg;
    const char *curve_server_key; //  NULL: plain
    zcert_t *curve_cert;          //  our keys when curve_server_key is set
    size_t max_body;              //  largest request frame read
    int credit_max;               //  the window's ceiling (READY's M)
    bool adaptive;                //  READY says "credit=N/M" (else "credit=N")
    bool windowed;                //  always send the credit frame (several brokers)
} zlb_worker_config_t;

//  One REQUEST kept: the client's address (a copy) and the body frames,
//  moved in from the input.
typedef struct {
    byte client [WORKER_CLIENT_MAX];  //  client address, as the broker gave it
    size_t client_size;
    zmq_msg_t body [WORKER_BODY_MAX];  //  body frames, initialised (empty when unused)
    size_t body_count;
    uint64_t seq;                 //  arrival order across links
} zlb_worker_slot_t;

typedef struct {
    const zlb_worker_config_t *config;
    char *endpoint;               //  this broker's endpoint
    zsock_t *sock;                //  DEALER, NULL while backing off
    unsigned sockets;             //  fresh sockets made so far (routing id suffix)
    int64_t heartbeat_at;         //  mono ns: send our next HEARTBEAT
    int64_t expire_at;            //  mono ns: broker dead if silent until then
    int64_t reconnect_at;         //  mono ns: make a fresh socket (sock == NULL)
    int64_t disconnect_at;        //  mono ns of the last DISCONNECT from the broker
    int backoff_ms;               //  wait before the next fresh socket
    bool heard;                   //  broker heard from since READY on this socket
    bool shares;                  //  it granted our window: it knows pause and hand-back
    int window;                   //  the window this broker has from us
    mdp_input_t input;            //  the message being read
    zlb_worker_slot_t *pending;    //  REQUESTs not yet taken (credit_max slots), all
                                  //  from the current socket (a close drops them)
    size_t pending_head;          //  index of the oldest
    size_t pending_count;
    uint64_t reconnects;          //  fresh sockets after a silence or DISCONNECT
    uint64_t heartbeats_sent;
    uint64_t heartbeats_received;
} zlb_worker_link_t;

void zlb_worker_slot_init (zlb_worker_slot_t *slot);
//  Release the body frames; the slot is empty and ready again.
void zlb_worker_slot_clear (zlb_worker_slot_t *slot);
//  Fill an empty slot: a copy of the client address, the body frames moved in.
void zlb_worker_slot_fill (zlb_worker_slot_t *slot, mdp_bytes_t client, zmq_msg_t *body,
                          size_t count);
mdp_bytes_t zlb_worker_slot_client (const zlb_worker_slot_t *slot);

//  Set up a link (no socket yet: zlb_worker_link_connect makes one). 0, or -1
//  when out of memory. destroy sends DISCONNECT when connected.
int zlb_worker_link_init (zlb_worker_link_t *link, const zlb_worker_config_t *config,
                          const char *endpoint);
void zlb_worker_link_destroy (zlb_worker_link_t *link);

//  Make a fresh socket, connect it and send READY announcing window.
int zlb_worker_link_connect (zlb_worker_link_t *link, int window);
//  Close the socket at once, dropping what it queued (the broker redelivers).
void zlb_worker_link_close (zlb_worker_link_t *link);

//  Send a message on the link (body frames moved out); never blocks.
int zlb_worker_link_send (zlb_worker_link_t *link, const mdp_view_t *message);
//  HEARTBEAT "credit=N" moving the window to N; with a client address (as
//  received), it hands that request back unserved. 0 or -1.
int zlb_worker_link_send_window (zlb_worker_link_t *link, int window, mdp_bytes_t hand_back);
//  REPLY to client with body (count frames, moved out).
int zlb_worker_link_send_reply (zlb_worker_link_t *link, mdp_bytes_t client, zmq_msg_t *body,
                            size_t count);

//  Run the link's timers: heartbeat, silence, reconnect (announcing
//  window). busy: it serves one of this broker's requests now, so silence
//  proves nothing and a fresh READY would get it another. Returns the next
//  time one is due (INT64_MAX: none).
int64_t zlb_worker_link_timers (zlb_worker_link_t *link, int64_t now, bool busy, int window);

//  Restart the silence window (after a reply: the broker may have been
//  silent, legitimately, while we worked).
void zlb_worker_link_rearm (zlb_worker_link_t *link);

//  Read one message into link->input and parse it into view. Returns 1 for
//  a REQUEST the worker must take or refuse (frames in link->input, which
//  the caller clears), 0 when the link handled it (or there was nothing).
int zlb_worker_link_read (zlb_worker_link_t *link, mdp_view_t *view);

//  The pending ring: add a REQUEST (0; -1 when full), take the oldest.
int zlb_worker_link_push (zlb_worker_link_t *link, const mdp_view_t *view, uint64_t seq);
void zlb_worker_link_take (zlb_worker_link_t *link, zlb_worker_slot_t *into);

int64_t zlb_worker_link_now (const zlb_worker_link_t *link);

#endif
