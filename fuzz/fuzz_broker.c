/*  fuzz_broker - the broker's state machine, in-process.

    Each input is a script for several fake peers (DEALER sockets on an
    inproc:// endpoint, each with a fixed routing id) and a fake clock:
      op := 0x00..0x7F  peer (op % S_PEERS) sends a message of
                        (next byte % 8) + 1 frames (fuzz_input.h)
          | 0x80..0xBF  the clock moves (op & 0x3F) * 37 ms, the broker runs
          | 0xC0..0xFF  the broker runs (no time passes)
    Peers' inboxes are drained and dropped so that nothing backs up. The
    broker must neither crash, nor leak, nor trip a sanitizer, whatever the
    peers say, including worker commands from clients, replies for
    requests never sent, and heartbeats from the dead.                     */

#include "fuzz_input.h"
#include "broker.h"

#define S_PEERS 4

static int64_t s_now;
static int s_instance;

static int64_t
s_clock (void *arg)
{
    (void) arg;
    return s_now;
}

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
    (void) argc;
    (void) argv;
    zsys_handler_set (NULL);          //  libFuzzer owns the signals
    zsys_init ();
    return 0;
}

static void
s_drain_peers (zsock_t **peers)
{
    for (int index = 0; index < S_PEERS; index++)
        while (zsock_events (peers [index]) & ZMQ_POLLIN) {
            zmsg_t *msg = zmsg_recv (peers [index]);
            zmsg_destroy (&msg);
        }
}

//  One broker step, then its bookkeeping rules (invariants.c): a broken
//  one is a bug even when nothing crashed.
static int
s_step (zlb_broker_t *broker)
{
    int handled = zlb_broker_poll (broker, 0);
    const char *broken = broker_check_invariants (broker);
    if (broken) {
        fprintf (stderr, "broker invariant broken: %s\n", broken);
        abort ();
    }
    return handled;
}

static void
s_run (zlb_broker_t *broker, zsock_t **peers)
{
    while (s_step (broker) > 0)
        ;
    s_drain_peers (peers);
}

static void
s_send (fuzz_input_t *in, zsock_t *peer)
{
    int count = fuzz_byte (in);
    if (count < 0)
        return;
    zmsg_t *msg = zmsg_new ();
    for (int index = 0; index < count % 8 + 1; index++) {
        zframe_t *frame = fuzz_frame (in);
        if (!frame)
            break;
        zmsg_append (msg, &frame);
    }
    if (zmsg_size (msg) == 0)
        zmsg_addmem (msg, "", 0);
    zmsg_send (&msg, peer);
    zmsg_destroy (&msg);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    zlb_broker_options_t options;
    zlb_broker_options_defaults (&options);
    options.heartbeat_ms = 100;
    options.request_timeout_ms = 1000;
    options.max_queue = 4;
    options.max_body = 256;
    options.max_services = 4;
    options.max_redeliveries = 1;
    options.clock_ms = s_clock;
    s_now = 1000000;
    char endpoint [64];
    snprintf (endpoint, sizeof (endpoint), "inproc://fuzz-broker-%d", s_instance++);
    zlb_broker_t *broker = zlb_broker_new (&options, NULL);
    if (!broker || zlb_broker_bind (broker, endpoint) != 0)
        abort ();
    zsock_t *peers [S_PEERS];
    for (int index = 0; index < S_PEERS; index++) {
        peers [index] = zsock_new (ZMQ_DEALER);
        zsock_set_identity (peers [index], index == 0 ? "p0" : index == 1 ? "p1"
                                         : index == 2 ? "w#1" : "w#2");
        zsock_set_linger (peers [index], 0);
        zsock_set_sndtimeo (peers [index], 0);
        zsock_connect (peers [index], "%s", endpoint);
    }
    fuzz_input_t in = {data, size, 0};
    int op;
    while ((op = fuzz_byte (&in)) >= 0) {
        if (op < 0x80)
            s_send (&in, peers [op % S_PEERS]);
        else {
            if (op < 0xC0)
                s_now += (op & 0x3F) * 37;
            s_run (broker, peers);
        }
    }
    s_run (broker, peers);
    s_now += 10000;                   //  let every timer fire once at the end
    s_run (broker, peers);
    for (int index = 0; index < S_PEERS; index++)
        zsock_destroy (&peers [index]);
    zlb_broker_destroy (&broker);
    return 0;
}
