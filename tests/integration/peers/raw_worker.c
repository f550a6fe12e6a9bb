/*  raw_worker - an MDP/0.1 echo worker written with raw czmq frames (no libzlb).

    raw_worker ENDPOINT SERVICE [--id ID] [--heartbeat-ms N] [--liveness N] [--count N]
                                [--reply zlb|echo|plain] [--work-ms N]

    Sends READY, heartbeats every interval, and answers each REQUEST
    ("" · "MDPW01" · 0x02 · client · "" · body) with a REPLY carrying two
    bodies built with msgpack-c: the reply {id, payload} and the confirmation
    {id, status, worker, t_recv, t_send, attempt}. The payload echoed is the
    request's bytes as received; with --reply echo it is the request's
    `payload` field, like zlb-worker's echo service. With --reply plain it
    is a plain MDP echo like most workers in the wild: the REPLY body is
    the request's body frames, unchanged. --work-ms N sleeps N ms per
    request without reading or heartbeating, like the guide's
    single-threaded mdwrkapi workers.
    Prints one line per event for the test:
        ready service=echo
        request id=7
        disconnect        (when the broker sends DISCONNECT)
        malformed ..., unexpected ...   (anything MDP 0.1 does not send)
    Exits 0 after --count requests (sending DISCONNECT), on SIGTERM/SIGINT
    (sending DISCONNECT) or on DISCONNECT; 3 if the broker goes silent.    */

#include "peer.h"

typedef struct {
    zsock_t *sock;           //  DEALER to the broker
    const char *service;     //  service we registered
    const char *id;          //  our worker id in confirmations
    int heartbeat_ms;        //  heartbeat interval
    int liveness;            //  intervals of silence before giving up
    bool plain;              //  --reply plain: echo the body frames as they came
    bool echo;               //  --reply echo: the reply's payload is the request's
    int work_ms;             //  --work-ms: silent sleep per request
} peer_worker_t;

static void
s_send_command (peer_worker_t *self, int command, zmsg_t *tail)
{
    zmsg_t *msg = tail ? tail : zmsg_new ();
    unsigned char byte = (unsigned char) command;
    zmsg_pushmem (msg, &byte, 1);
    zmsg_pushstr (msg, PEER_WORKER);
    zmsg_pushstr (msg, "");
    zmsg_send (&msg, self->sock);
}

//  {id, payload}: the payload is the request's `payload` field with
//  `echo`, else the whole request body.
static zframe_t *
s_encode_reply (uint64_t id, zframe_t *request, bool echo)
{
    const char *payload = (const char *) zframe_data (request);
    size_t size = zframe_size (request);
    msgpack_unpacked result;
    msgpack_unpacked_init (&result);
    size_t offset = 0;
    if (echo && msgpack_unpack_next (&result, payload, size, &offset) == MSGPACK_UNPACK_SUCCESS) {
        const msgpack_object *field = peer_map_get (&result.data, "payload");
        if (field && field->type == MSGPACK_OBJECT_BIN) {
            payload = field->via.bin.ptr;
            size = field->via.bin.size;
        }
        else
        if (field && field->type == MSGPACK_OBJECT_STR) {
            payload = field->via.str.ptr;
            size = field->via.str.size;
        }
    }
    msgpack_sbuffer sbuf;
    msgpack_packer pk;
    msgpack_sbuffer_init (&sbuf);
    msgpack_packer_init (&pk, &sbuf, msgpack_sbuffer_write);
    msgpack_pack_map (&pk, 2);
    peer_pack_str (&pk, "id");
    msgpack_pack_uint64 (&pk, id);
    peer_pack_str (&pk, "payload");
    msgpack_pack_bin (&pk, size);
    msgpack_pack_bin_body (&pk, payload, size);
    zframe_t *frame = zframe_new (sbuf.data, sbuf.size);
    msgpack_sbuffer_destroy (&sbuf);
    msgpack_unpacked_destroy (&result);
    return frame;
}

static zframe_t *
s_encode_confirm (uint64_t id, const char *worker, int64_t t_recv)
{
    msgpack_sbuffer sbuf;
    msgpack_packer pk;
    msgpack_sbuffer_init (&sbuf);
    msgpack_packer_init (&pk, &sbuf, msgpack_sbuffer_write);
    msgpack_pack_map (&pk, 6);
    peer_pack_str (&pk, "id");
    msgpack_pack_uint64 (&pk, id);
    peer_pack_str (&pk, "status");
    msgpack_pack_int (&pk, 200);
    peer_pack_str (&pk, "worker");
    peer_pack_str (&pk, worker);
    peer_pack_str (&pk, "t_recv");
    msgpack_pack_int64 (&pk, t_recv);
    peer_pack_str (&pk, "t_send");
    msgpack_pack_int64 (&pk, peer_time_ns ());
    peer_pack_str (&pk, "attempt");
    msgpack_pack_uint32 (&pk, 1);
    zframe_t *frame = zframe_new (sbuf.data, sbuf.size);
    msgpack_sbuffer_destroy (&sbuf);
    return frame;
}

//  The zlb reply: {id, payload} and the confirmation, for a request body.
static zmsg_t *
s_zlb_reply (peer_worker_t *self, zframe_t *body, uint64_t id, int64_t t_recv)
{
    zmsg_t *reply = zmsg_new ();
    zframe_t *main_reply = s_encode_reply (id, body, self->echo);
    zframe_t *confirm = s_encode_confirm (id, self->id, t_recv);
    zmsg_append (reply, &main_reply);
    zmsg_append (reply, &confirm);
    return reply;
}

//  Answer one REQUEST (msg holds: client · "" · body...). False if malformed.
static bool
s_serve (peer_worker_t *self, zmsg_t *msg)
{
    int64_t t_recv = peer_time_ns ();
    zframe_t *client = zmsg_pop (msg);
    zframe_t *empty = zmsg_pop (msg);
    zframe_t *body = zmsg_first (msg);
    bool ok = client && empty && zframe_size (empty) == 0 && body;
    if (ok) {
        uint64_t id = self->plain ? 0 : peer_map_uint (body, "id");
        printf ("request id=%" PRIu64 " frames=%zu\n", id, zmsg_size (msg));
        fflush (stdout);
        if (self->work_ms > 0)
            zclock_sleep (self->work_ms);
        zmsg_t *reply = self->plain ? zmsg_dup (msg) : s_zlb_reply (self, body, id, t_recv);
        zmsg_pushstr (reply, "");
        zmsg_prepend (reply, &client);
        s_send_command (self, 3, reply);
    }
    else
        printf ("malformed request\n");
    zframe_destroy (&client);
    zframe_destroy (&empty);
    return ok;
}

//  Handle one message from the broker. Returns -1 to stop, 1 if a request
//  was served, 0 otherwise.
static int
s_handle (peer_worker_t *self, zmsg_t *msg)
{
    zframe_t *empty = zmsg_pop (msg);
    zframe_t *header = zmsg_pop (msg);
    zframe_t *command = zmsg_pop (msg);
    int rc = 0;
    if (!empty || zframe_size (empty) != 0 || !header || !zframe_streq (header, PEER_WORKER)
    ||  !command || zframe_size (command) != 1)
        printf ("malformed message from broker\n");
    else {
        const char *name = peer_command_name (command);
        if (streq (name, "REQUEST"))
            rc = s_serve (self, msg) ? 1 : 0;
        else
        if (streq (name, "DISCONNECT")) {
            printf ("disconnect\n");
            rc = -1;
        }
        else
        if (!streq (name, "HEARTBEAT"))
            printf ("unexpected command %s\n", name);
        else
        if (zmsg_size (msg) > 0)       //  MDP 0.1's HEARTBEAT has no body
            printf ("unexpected frames after HEARTBEAT: %zu\n", zmsg_size (msg));
    }
    fflush (stdout);
    zframe_destroy (&empty);
    zframe_destroy (&header);
    zframe_destroy (&command);
    return rc;
}

static int
s_run (peer_worker_t *self, long count)
{
    zmsg_t *ready = zmsg_new ();
    zmsg_addstr (ready, self->service);
    s_send_command (self, 1, ready);
    printf ("ready service=%s\n", self->service);
    fflush (stdout);

    zpoller_t *poller = zpoller_new (self->sock, NULL);
    int64_t last_heard = zclock_mono ();
    int64_t next_heartbeat = zclock_mono () + self->heartbeat_ms;
    long served = 0;
    int rc = 0;
    while (!zsys_interrupted && (count <= 0 || served < count)) {
        int wait = (int) (next_heartbeat - zclock_mono ());
        void *which = zpoller_wait (poller, wait > 0 ? wait : 0);
        if (which) {
            zmsg_t *msg = zmsg_recv (self->sock);
            if (!msg)
                break;
            last_heard = zclock_mono ();
            int handled = s_handle (self, msg);
            zmsg_destroy (&msg);
            if (handled < 0)
                break;
            served += handled;
            if (handled)
                last_heard = zclock_mono ();    //  we were not listening meanwhile
        }
        else
        if (zpoller_terminated (poller))
            break;
        if (zclock_mono () - last_heard > (int64_t) self->heartbeat_ms * self->liveness) {
            printf ("broker silent\n");
            rc = 3;
            break;
        }
        if (zclock_mono () >= next_heartbeat) {
            s_send_command (self, 4, NULL);
            next_heartbeat = zclock_mono () + self->heartbeat_ms;
        }
    }
    if (rc == 0)
        s_send_command (self, 5, NULL);
    fflush (stdout);
    zpoller_destroy (&poller);
    return rc;
}

int
main (int argc, char *argv [])
{
    if (argc < 3 || (argc - 3) % 2 != 0) {
        fprintf (stderr, "usage: raw_worker ENDPOINT SERVICE [--id ID] [--heartbeat-ms N]"
                         " [--liveness N] [--count N] [--reply zlb|echo|plain] [--work-ms N]\n");
        return 2;
    }
    peer_worker_t self = { .service = argv [2], .id = "raw-worker",
                           .heartbeat_ms = 100, .liveness = 3 };
    long count = 0;
    bool id_given = false;
    for (int i = 3; i + 1 < argc; i += 2) {
        if (streq (argv [i], "--id"))
            self.id = argv [i + 1], id_given = true;
        else
        if (streq (argv [i], "--heartbeat-ms"))
            self.heartbeat_ms = atoi (argv [i + 1]);
        else
        if (streq (argv [i], "--liveness"))
            self.liveness = atoi (argv [i + 1]);
        else
        if (streq (argv [i], "--count"))
            count = atol (argv [i + 1]);
        else
        if (streq (argv [i], "--reply") && (streq (argv [i + 1], "plain")
                                        ||  streq (argv [i + 1], "echo")
                                        ||  streq (argv [i + 1], "zlb"))) {
            self.plain = streq (argv [i + 1], "plain");
            self.echo = streq (argv [i + 1], "echo");
        }
        else
        if (streq (argv [i], "--work-ms"))
            self.work_ms = atoi (argv [i + 1]);
        else {
            fprintf (stderr, "raw_worker: unknown option %s\n", argv [i]);
            return 2;
        }
    }
    if (self.heartbeat_ms <= 0 || self.liveness <= 0) {
        fprintf (stderr, "raw_worker: bad heartbeat settings\n");
        return 2;
    }
    zsys_init ();
    zsys_set_linger (200);       //  let the final DISCONNECT leave
    self.sock = zsock_new (ZMQ_DEALER);
    if (self.sock && id_given)
        zsock_set_identity (self.sock, self.id);     //  the broker's logs name us
    if (!self.sock || zsock_connect (self.sock, "%s", argv [1]) != 0) {
        fprintf (stderr, "raw_worker: cannot connect to %s\n", argv [1]);
        zsock_destroy (&self.sock);
        return 2;
    }
    int rc = s_run (&self, count);
    zsock_destroy (&self.sock);
    return rc;
}
