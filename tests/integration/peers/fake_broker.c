/*  fake_broker - a hostile broker (raw czmq + msgpack-c, no libzlb), for
    testing that zlb-ctl, zlb-client and zlb-worker do not trust one.

    fake_broker ENDPOINT MODE [ARG] [--wait-ms N]

    Binds a ROUTER and answers what comes, according to MODE:
      escape          mmi.* requests get maps whose strings (worker id,
                      service, version) carry ESC/OSC/CSI bytes; other
                      requests get status 500 with such a worker id and error
      error           every request gets status 503 with an ESC/OSC error text
      huge-count      mmi.* requests get 13 bytes: a map claiming 2^32-1 entries
      big BYTES       mmi.* requests get a BYTES-byte msgpack string (one frame)
      worker BYTES    act as a worker's broker: after READY send a REQUEST whose
                      body is BYTES bytes; then send a small request after each
                      fresh registration; print what happens
    Prints one line per event ("answered mmi.stats", "got REPLY ..."). Runs
    until --wait-ms (default 10000) passes without a message, or SIGTERM. */

#include "peer.h"

#include <stdlib.h>

//  What a hostile peer puts in its strings: an OSC window title, a CSI
//  colour and screen clear, an 8-bit CSI, a newline.
#define S_EVIL_ID    "w\x1b]0;pwned\x07\x1b[31m"
#define S_EVIL_ERROR "boom\x1b]0;pwned\x07\x1b[2J\xc2\x9b" "31m\nforged"

typedef struct {
    const char *mode;
    size_t bytes;                 //  big/worker: body size
    zframe_t *big;                //  the first big body, made before "ready"
    zsock_t *router;
} s_fake_t;

static zframe_t *
s_pack_done (msgpack_sbuffer *sbuf)
{
    zframe_t *frame = zframe_new (sbuf->data, sbuf->size);
    msgpack_sbuffer_destroy (sbuf);
    return frame;
}

//  {key: value, ...} pairs of strings as a map; count pairs.
static void
s_pack_pairs (msgpack_packer *pk, const char **pairs, size_t count)
{
    msgpack_pack_map (pk, count);
    for (size_t index = 0; index < count; index++) {
        peer_pack_str (pk, pairs [2 * index]);
        peer_pack_str (pk, pairs [2 * index + 1]);
    }
}

//  An mmi.* answer whose strings are hostile.
static zframe_t *
s_mmi_body (const char *service)
{
    msgpack_sbuffer sbuf;
    msgpack_packer pk;
    msgpack_sbuffer_init (&sbuf);
    msgpack_packer_init (&pk, &sbuf, msgpack_sbuffer_write);
    const char *list = strcmp (service, "mmi.workers") == 0 ? "workers" : "services";
    if (strcmp (service, "mmi.stats") == 0) {
        const char *pairs [] = {"version", "0.1\x1b]0;pwned\x07"};
        s_pack_pairs (&pk, pairs, 1);
        return s_pack_done (&sbuf);
    }
    const char *row [] = {"id", S_EVIL_ID, "service", "echo\x1b[2J", "state", "idle"};
    msgpack_pack_map (&pk, 1);
    peer_pack_str (&pk, list);
    msgpack_pack_array (&pk, 1);
    s_pack_pairs (&pk, row, 3);
    return s_pack_done (&sbuf);
}

//  A confirmation map {id, status, worker, t_recv, t_send, attempt, error}.
static zframe_t *
s_confirm (uint64_t id, int status, const char *worker, const char *error)
{
    msgpack_sbuffer sbuf;
    msgpack_packer pk;
    msgpack_sbuffer_init (&sbuf);
    msgpack_packer_init (&pk, &sbuf, msgpack_sbuffer_write);
    msgpack_pack_map (&pk, 7);
    peer_pack_str (&pk, "id");      msgpack_pack_uint64 (&pk, id);
    peer_pack_str (&pk, "status");  msgpack_pack_int (&pk, status);
    peer_pack_str (&pk, "worker");  peer_pack_str (&pk, worker);
    peer_pack_str (&pk, "t_recv");  msgpack_pack_int64 (&pk, 0);
    peer_pack_str (&pk, "t_send");  msgpack_pack_int64 (&pk, 0);
    peer_pack_str (&pk, "attempt"); msgpack_pack_uint32 (&pk, 1);
    peer_pack_str (&pk, "error");   peer_pack_str (&pk, error);
    return s_pack_done (&sbuf);
}

//  A body of size bytes: one msgpack str (or, for the worker, a request map).
static zframe_t *
s_big_frame (size_t size)
{
    zframe_t *frame = zframe_new (NULL, size);
    if (!frame)
        return NULL;
    byte *data = zframe_data (frame);
    memset (data, 'x', size);
    if (size >= 5) {
        data [0] = 0xdb;          //  str32 of size - 5 bytes
        data [1] = (byte) ((size - 5) >> 24);
        data [2] = (byte) ((size - 5) >> 16);
        data [3] = (byte) ((size - 5) >> 8);
        data [4] = (byte) (size - 5);
    }
    return frame;
}

//  Pop and free count frames.
static void
s_drop (zmsg_t *msg, int count)
{
    while (count-- > 0) {
        zframe_t *frame = zmsg_pop (msg);
        zframe_destroy (&frame);
    }
}

//  The big body: made at start (so the answer is not late), then anew.
static zframe_t *
s_take_big (s_fake_t *self)
{
    zframe_t *frame = self->big ? self->big : s_big_frame (self->bytes);
    self->big = NULL;
    return frame;
}

static void
s_send_client (s_fake_t *self, zframe_t *address, zframe_t *service,
               zframe_t *body, zframe_t *confirm)
{
    zmsg_t *msg = zmsg_new ();
    zmsg_append (msg, &address);
    zmsg_addstr (msg, "");
    zmsg_addstr (msg, PEER_CLIENT);
    zmsg_append (msg, &service);
    zmsg_append (msg, &body);
    if (confirm)
        zmsg_append (msg, &confirm);
    zmsg_send (&msg, self->router);
}

//  One client request: [address, "", MDPC01, service, body].
static void
s_client_request (s_fake_t *self, zmsg_t *msg)
{
    zframe_t *address = zmsg_pop (msg);
    s_drop (msg, 2);                                 //  "" and the header
    zframe_t *service = zmsg_pop (msg);
    zframe_t *body = zmsg_pop (msg);
    char *name = service ? zframe_strdup (service) : strdup ("?");
    uint64_t id = body ? peer_map_uint (body, "id") : 0;
    bool mmi = strncmp (name, "mmi.", 4) == 0;
    zframe_t *reply = NULL, *confirm = NULL;
    if (streq (self->mode, "error"))
        confirm = s_confirm (id, 503, "broker", S_EVIL_ERROR);
    else
    if (!mmi)
        confirm = s_confirm (id, 500, S_EVIL_ID, S_EVIL_ERROR);
    else
    if (streq (self->mode, "escape"))
        reply = s_mmi_body (name);
    else
    if (streq (self->mode, "huge-count")) {
        static const byte lie [13] = {0xdf, 0xff, 0xff, 0xff, 0xff, 0xa1, 'k', 0x01,
                                      0xa1, 'k', 0x02, 0xa1, 'k'};
        reply = zframe_new (lie, sizeof lie);
    }
    else
        reply = s_take_big (self);
    if (confirm)
        reply = zframe_new ("\x80", 1);              //  empty reply map
    printf ("answered %s\n", name);
    fflush (stdout);
    s_send_client (self, address, service, reply, confirm);
    zframe_destroy (&body);
    free (name);
}

//  A REQUEST to the worker at address with a body frame.
static void
s_worker_request (s_fake_t *self, zframe_t *address, zframe_t *body)
{
    zmsg_t *msg = zmsg_new ();
    zmsg_append (msg, &address);
    zmsg_addstr (msg, "");
    zmsg_addstr (msg, PEER_WORKER);
    peer_add_byte (msg, 2);
    zmsg_addstr (msg, "fake-client");
    zmsg_addstr (msg, "");
    zmsg_append (msg, &body);
    zmsg_send (&msg, self->router);
}

//  Worker mode: READY -> oversized REQUEST; next READY -> small REQUEST.
static void
s_worker_message (s_fake_t *self, zmsg_t *msg, int *readies)
{
    zframe_t *address = zmsg_pop (msg);
    s_drop (msg, 2);                                 //  "" and the header
    zframe_t *command = zmsg_pop (msg);
    const char *name = peer_command_name (command);
    zframe_destroy (&command);
    if (strcmp (name, "HEARTBEAT") != 0) {
        printf ("got %s from %.*s\n", name, (int) zframe_size (address), (const char *) zframe_data (address));
        fflush (stdout);
    }
    int ready = strcmp (name, "READY") == 0 ? ++*readies : 0;
    if (ready == 1) {
        s_worker_request (self, address, s_take_big (self));
        printf ("sent REQUEST bytes=%zu\n", self->bytes);
        fflush (stdout);
    }
    else
    if (ready > 1)                //  every fresh registration gets a small one
        s_worker_request (self, address, peer_request_body (7, "small"));
    else
        zframe_destroy (&address);
}

int
main (int argc, char *argv [])
{
    if (argc < 3) {
        fprintf (stderr, "usage: fake_broker ENDPOINT MODE [BYTES] [--wait-ms N]\n");
        return 2;
    }
    s_fake_t self = {argv [2], 0, NULL, NULL};
    int wait_ms = 10000;
    for (int index = 3; index < argc; index++)
        if (strcmp (argv [index], "--wait-ms") == 0 && index + 1 < argc)
            wait_ms = atoi (argv [++index]);
        else
            self.bytes = (size_t) strtoull (argv [index], NULL, 10);
    self.router = zsock_new_router (argv [1]);
    if (!self.router) {
        fprintf (stderr, "fake_broker: cannot bind %s\n", argv [1]);
        return 2;
    }
    zsock_set_rcvtimeo (self.router, wait_ms);
    if (self.bytes)
        self.big = s_big_frame (self.bytes);
    printf ("ready\n");
    fflush (stdout);
    int readies = 0;
    zmsg_t *msg;
    while ((msg = zmsg_recv (self.router))) {
        zmsg_first (msg);                            //  address, then ""
        zmsg_next (msg);
        zframe_t *header = zmsg_size (msg) >= 4 ? zmsg_next (msg) : NULL;
        if (header && zframe_streq (header, PEER_WORKER))
            s_worker_message (&self, msg, &readies);
        else
        if (header && zframe_streq (header, PEER_CLIENT))
            s_client_request (&self, msg);
        zmsg_destroy (&msg);
    }
    zframe_destroy (&self.big);
    zsock_destroy (&self.router);
    return 0;
}
