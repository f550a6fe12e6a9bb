/*  idle.c - many idle MDP workers in one process, and the do-nothing peer
    they can talk to instead of a broker: what an idle worker costs.

        zlb-bench-idle workers ENDPOINT N HEARTBEAT_MS
        zlb-bench-idle peer ENDPOINT HEARTBEAT_MS

    workers: N DEALER sockets connect to ENDPOINT, each sends READY for
    service "idle", then a HEARTBEAT every HEARTBEAT_MS (spread over the
    interval, as N separate processes would be), and reads and drops
    whatever comes back. Its own cost is not measured.

    peer: a ROUTER bound at ENDPOINT that does the least any broker must:
    it learns each sender's routing id and sends each one a HEARTBEAT every
    HEARTBEAT_MS, reading into zmq_msg_t and keeping ids in a hash table,
    with no allocation per message (a broker could do no less). Its CPU time is the floor for the same heartbeats; the
    broker's, divided by it, is the idle overhead (bench/idle.sh).

    Both run until SIGINT/SIGTERM.                                          */

#include <czmq.h>

#define S_WORKER "MDPW01"
#define S_READY 0x01
#define S_HEARTBEAT 0x04
#define S_BATCH_MS 10

static void
s_send_command (zsock_t *dealer, byte command, const char *service)
{
    zmsg_t *msg = zmsg_new ();
    zmsg_addstr (msg, "");
    zmsg_addstr (msg, S_WORKER);
    zmsg_addmem (msg, &command, 1);
    if (service)
        zmsg_addstr (msg, service);
    zmsg_send (&msg, dealer);
}

//  Read and drop everything waiting on the sockets that poll marked.
static void
s_drain (zmq_pollitem_t *items, size_t count)
{
    for (size_t index = 0; index < count; index++)
        while (items [index].revents & ZMQ_POLLIN) {
            zmsg_t *msg = zmsg_recv_nowait (items [index].socket);
            if (!msg)
                break;
            zmsg_destroy (&msg);
        }
}

static int
s_workers (const char *endpoint, size_t count, int64_t heartbeat_ms)
{
    zsock_t **dealers = (zsock_t **) calloc (count, sizeof (zsock_t *));
    zmq_pollitem_t *items = (zmq_pollitem_t *) calloc (count, sizeof (zmq_pollitem_t));
    if (!dealers || !items)
        return 1;
    for (size_t index = 0; index < count; index++) {
        dealers [index] = zsock_new_dealer (endpoint);
        if (!dealers [index]) {
            fprintf (stderr, "zlb-bench-idle: socket %zu: %s\n", index, zmq_strerror (errno));
            return 1;
        }
        s_send_command (dealers [index], S_READY, "idle");
        items [index] = (zmq_pollitem_t) { zsock_resolve (dealers [index]), 0, ZMQ_POLLIN, 0 };
    }
    //  Every socket one heartbeat per interval, round robin, sent in
    //  batches every S_BATCH_MS so that polling N sockets stays rare.
    double per_ms = (double) count / (double) heartbeat_ms;
    int64_t start = zclock_mono ();
    uint64_t sent = 0;
    while (!zsys_interrupted) {
        if (zmq_poll (items, (int) count, S_BATCH_MS) < 0)
            break;
        s_drain (items, count);
        uint64_t due = (uint64_t) ((double) (zclock_mono () - start) * per_ms);
        while (sent < due)
            s_send_command (dealers [sent++ % count], S_HEARTBEAT, NULL);
    }
    for (size_t index = 0; index < count; index++)
        zsock_destroy (&dealers [index]);
    free (dealers);
    free (items);
    return 0;
}

//  A peer's routing id, the key of the peer table (libzmq caps ids at 255).
typedef struct {
    size_t size;
    byte data [256];
} s_id_t;

static size_t
s_id_hash (const void *key)
{
    const s_id_t *id = (const s_id_t *) key;
    size_t hash = 2166136261u;                  //  FNV-1a
    for (size_t index = 0; index < id->size; index++)
        hash = (hash ^ id->data [index]) * 16777619u;
    return hash;
}

static int
s_id_compare (const void *a, const void *b)
{
    const s_id_t *x = (const s_id_t *) a, *y = (const s_id_t *) b;
    return x->size != y->size ? (x->size < y->size ? -1 : 1)
                              : memcmp (x->data, y->data, x->size);
}

static void *
s_id_dup (const void *key)
{
    s_id_t *copy = (s_id_t *) malloc (sizeof (s_id_t));
    if (copy)
        memcpy (copy, key, sizeof (s_id_t));
    return copy;
}

static void
s_id_free (void **key)
{
    free (*key);
    *key = NULL;
}

//  Read every waiting message without allocating: learn the sender's id
//  (the first frame), drop the rest.
static void
s_peer_read (void *router, zhashx_t *peers)
{
    zmq_msg_t frame;
    zmq_msg_init (&frame);
    bool first = true;
    while (zmq_msg_recv (&frame, router, ZMQ_DONTWAIT) >= 0) {
        if (first && zmq_msg_size (&frame) <= sizeof ((s_id_t *) 0)->data) {
            s_id_t id = { .size = zmq_msg_size (&frame) };
            memcpy (id.data, zmq_msg_data (&frame), id.size);
            if (!zhashx_lookup (peers, &id))
                zhashx_insert (peers, &id, peers);      //  any non-NULL value
        }
        first = !zmq_msg_more (&frame);
    }
    zmq_msg_close (&frame);
}

static int
s_peer (const char *endpoint, int64_t heartbeat_ms)
{
    zsock_t *router = zsock_new_router (endpoint);
    if (!router) {
        fprintf (stderr, "zlb-bench-idle: bind %s: %s\n", endpoint, zmq_strerror (errno));
        return 1;
    }
    void *handle = zsock_resolve (router);
    zhashx_t *peers = zhashx_new ();            //  routing id -> (marker)
    zhashx_set_key_hasher (peers, s_id_hash);
    zhashx_set_key_comparator (peers, s_id_compare);
    zhashx_set_key_duplicator (peers, s_id_dup);
    zhashx_set_key_destructor (peers, s_id_free);
    int64_t next = zclock_mono () + heartbeat_ms;
    const byte command = S_HEARTBEAT;
    while (!zsys_interrupted) {
        int64_t wait = next - zclock_mono ();
        zmq_pollitem_t item = { handle, 0, ZMQ_POLLIN, 0 };
        if (zmq_poll (&item, 1, wait > 0 ? wait : 0) > 0)
            s_peer_read (handle, peers);
        if (zclock_mono () < next)
            continue;
        next += heartbeat_ms;
        for (void *value = zhashx_first (peers); value; value = zhashx_next (peers)) {
            const s_id_t *id = (const s_id_t *) zhashx_cursor (peers);
            zmq_send (handle, id->data, id->size, ZMQ_SNDMORE);
            zmq_send (handle, "", 0, ZMQ_SNDMORE);
            zmq_send (handle, S_WORKER, strlen (S_WORKER), ZMQ_SNDMORE);
            zmq_send (handle, &command, 1, 0);
        }
    }
    zhashx_destroy (&peers);
    zsock_destroy (&router);
    return 0;
}

int
main (int argc, char *argv [])
{
    if (argc == 5 && streq (argv [1], "workers") && atoi (argv [3]) > 0 && atoi (argv [4]) > 0) {
        zsys_set_max_sockets ((size_t) atoi (argv [3]) + 64);
        return s_workers (argv [2], (size_t) atoi (argv [3]), atoi (argv [4]));
    }
    if (argc == 4 && streq (argv [1], "peer") && atoi (argv [3]) > 0)
        return s_peer (argv [2], atoi (argv [3]));
    fprintf (stderr, "usage: zlb-bench-idle workers ENDPOINT N HEARTBEAT_MS\n"
                     "       zlb-bench-idle peer ENDPOINT HEARTBEAT_MS\n");
    return 2;
}
