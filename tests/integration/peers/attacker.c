/*  attacker - hostile MDP peers for the broker's security tests (raw czmq,
    no libzlb). One mode per attack from the security issue:

    attacker MODE ENDPOINT [--id ID] [--broker-key FILE] [--secret FILE]
             [--secret2 FILE] [--service NAME] [--count N] [--size B]
             [--wait-ms N] [--duration-ms N] [--rate N]

    takeover  a DEALER with routing id --id that sends one HEARTBEAT and
              counts what it is sent for --wait-ms: "requests=N heartbeats=N ..."
    rebind    READY --service as --id with --secret, close that socket,
              wait --wait-ms, then send HEARTBEAT as --id with --secret2
              and print what comes back
    cycle     --count times READY --service then DISCONNECT, one connection
    services  --count requests, each for a different nonexistent service
              ("nosuch-<n>"); prints "sent=N answered=N"
    bigbad    for --duration-ms, requests with a --size byte msgpack body
              (its id after the payload) for an invalid service name, at
              most --rate a second when given
    legit     for --duration-ms, one echo request at a time (1 s to answer
              each); prints "ok=N"

    --broker-key/--secret turn CURVE on (czmq cert files). Exit 0 unless
    the arguments are wrong (2): the test judges the output.            */

#include "peer.h"

typedef struct {
    const char *mode, *endpoint, *id, *broker_key, *secret, *secret2, *service;
    long count, size, wait_ms, duration_ms, rate;
} s_args_t;

static zsock_t *
s_dealer (const s_args_t *args, const char *secret)
{
    zsock_t *sock = zsock_new (ZMQ_DEALER);
    zsock_set_linger (sock, 0);
    zsock_set_sndhwm (sock, 100000);
    if (args->id)
        zsock_set_identity (sock, args->id);
    if (args->broker_key && secret) {
        zcert_t *server = zcert_load (args->broker_key);
        zcert_t *cert = zcert_load (secret);
        if (server && cert) {
            zcert_apply (cert, sock);
            zsock_set_curve_serverkey (sock, zcert_public_txt (server));
        }
        zcert_destroy (&server);
        zcert_destroy (&cert);
    }
    zsock_connect (sock, "%s", args->endpoint);
    return sock;
}

static void
s_worker_send (zsock_t *sock, int command, const char *service)
{
    zmsg_t *msg = peer_worker_msg (command, service);
    zmsg_send (&msg, sock);
}

static void
s_client_send (zsock_t *sock, const char *service, zframe_t **body_p)
{
    zmsg_t *msg = zmsg_new ();
    zmsg_addstr (msg, "");
    zmsg_addstr (msg, PEER_CLIENT);
    zmsg_addstr (msg, service);
    zmsg_append (msg, body_p);
    zmsg_send (&msg, sock);
}

//  Count worker commands received for wait_ms; print them.
static void
s_listen (zsock_t *sock, long wait_ms)
{
    int counts [6] = {0};
    int64_t end = zclock_mono () + wait_ms;
    zsock_set_rcvtimeo (sock, 50);
    while (zclock_mono () < end) {
        zmsg_t *msg = zmsg_recv (sock);
        if (!msg)
            continue;
        zmsg_first (msg);                          //  ""
        zframe_t *header = zmsg_next (msg);
        zframe_t *command = zmsg_next (msg);
        int code = header && zframe_streq (header, PEER_WORKER) && command
                && zframe_size (command) == 1 ? zframe_data (command) [0] : 0;
        counts [code >= 1 && code <= 5 ? code : 0]++;
        zmsg_destroy (&msg);
    }
    printf ("requests=%d heartbeats=%d disconnects=%d other=%d\n",
            counts [2], counts [4], counts [5], counts [0] + counts [1] + counts [3]);
}

static void
s_rebind (const s_args_t *args)
{
    zsock_t *first = s_dealer (args, args->secret);
    s_worker_send (first, 1, args->service);
    zclock_sleep (100);                            //  registered by now
    zsock_destroy (&first);
    zclock_sleep ((int) args->wait_ms);            //  the broker drops that connection
    zsock_t *second = s_dealer (args, args->secret2);
    s_worker_send (second, 4, NULL);
    s_listen (second, 1000);
    zsock_destroy (&second);
}

static void
s_cycle (const s_args_t *args)
{
    zsock_t *sock = s_dealer (args, args->secret);
    for (long n = 0; n < args->count; n++) {
        s_worker_send (sock, 1, args->service);
        s_worker_send (sock, 5, NULL);
    }
    printf ("cycles=%ld\n", args->count);
    zsock_set_linger (sock, (int) args->wait_ms);  //  let them all leave before we close
    zsock_destroy (&sock);
}

//  Read and drop whatever is waiting; returns how many messages.
static long
s_drain (zsock_t *sock)
{
    long got = 0;
    zmsg_t *msg;
    while ((zsock_events (sock) & ZMQ_POLLIN) && (msg = zmsg_recv (sock))) {
        zmsg_destroy (&msg);
        got++;
    }
    return got;
}

static void
s_services (const s_args_t *args)
{
    zsock_t *sock = s_dealer (args, args->secret);
    long answered = 0;
    for (long n = 0; n < args->count; n++) {
        char name [32];
        snprintf (name, sizeof (name), "nosuch-%ld", n);
        zframe_t *body = peer_request_body ((uint64_t) n + 1, "x");
        s_client_send (sock, name, &body);
        answered += s_drain (sock);
    }
    int64_t end = zclock_mono () + args->wait_ms;
    while (zclock_mono () < end) {
        answered += s_drain (sock);
        zclock_sleep (10);
    }
    printf ("sent=%ld answered=%ld\n", args->count, answered);
    zsock_destroy (&sock);
}

//  {payload: bin(size), id: 7}: the id comes after the big part.
static zframe_t *
s_big_body (long size)
{
    msgpack_sbuffer sbuf;
    msgpack_packer pk;
    msgpack_sbuffer_init (&sbuf);
    msgpack_packer_init (&pk, &sbuf, msgpack_sbuffer_write);
    msgpack_pack_map (&pk, 2);
    peer_pack_str (&pk, "payload");
    //  One-byte integers in an array: a million objects to unpack, unlike
    //  one bin of the same size.
    msgpack_pack_array (&pk, (size_t) size);
    for (long n = 0; n < size; n++)
        msgpack_pack_uint8 (&pk, 1);          //  fixint: one byte
    peer_pack_str (&pk, "id");
    msgpack_pack_uint64 (&pk, 7);
    zframe_t *frame = zframe_new (sbuf.data, sbuf.size);
    msgpack_sbuffer_destroy (&sbuf);
    return frame;
}

static void
s_bigbad (const s_args_t *args)
{
    zsock_t *sock = s_dealer (args, args->secret);
    zframe_t *body = s_big_body (args->size);
    char bad_name [] = "bad service";            //  a space: never a valid name
    long sent = 0, answered = 0;
    int64_t end = zclock_mono () + args->duration_ms;
    int64_t start = zclock_mono ();
    while (zclock_mono () < end) {
        //  At --rate a second if given: the broker's cost, not ours, is measured.
        if (args->rate > 0 && sent >= (zclock_mono () - start) * args->rate / 1000) {
            zclock_sleep (1);
            answered += s_drain (sock);
            continue;
        }
        zframe_t *copy = zframe_dup (body);
        s_client_send (sock, bad_name, &copy);
        sent++;
        answered += s_drain (sock);
        //  Keep at most a few hundred in flight, so we measure the broker.
        while (sent - answered > 200 && zclock_mono () < end) {
            zclock_sleep (1);
            answered += s_drain (sock);
        }
    }
    printf ("sent=%ld answered=%ld\n", sent, answered);
    zframe_destroy (&body);
    zsock_destroy (&sock);
}

static void
s_legit (const s_args_t *args)
{
    zsock_t *sock = s_dealer (args, args->secret);
    zsock_set_rcvtimeo (sock, 1000);
    long ok = 0, n = 0;
    int64_t end = zclock_mono () + args->duration_ms;
    while (zclock_mono () < end) {
        zframe_t *body = peer_request_body ((uint64_t) ++n, "hello");
        s_client_send (sock, args->service, &body);
        zmsg_t *reply = zmsg_recv (sock);
        if (reply && zmsg_size (reply) >= 4)
            ok++;
        zmsg_destroy (&reply);
        s_drain (sock);                            //  a late one from a timeout
    }
    printf ("ok=%ld sent=%ld\n", ok, n);
    zsock_destroy (&sock);
}

static bool
s_parse (int argc, char **argv, s_args_t *args)
{
    *args = (s_args_t) {NULL, NULL, NULL, NULL, NULL, NULL, "echo", 1000, 1 << 20, 1000, 3000, 0};
    if (argc < 3)
        return false;
    args->mode = argv [1];
    args->endpoint = argv [2];
    for (int index = 3; index + 1 < argc; index += 2) {
        const char *flag = argv [index], *value = argv [index + 1];
        if      (streq (flag, "--id"))          args->id = value;
        else if (streq (flag, "--broker-key"))  args->broker_key = value;
        else if (streq (flag, "--secret"))      args->secret = value;
        else if (streq (flag, "--secret2"))     args->secret2 = value;
        else if (streq (flag, "--service"))     args->service = value;
        else if (streq (flag, "--count"))       args->count = atol (value);
        else if (streq (flag, "--size"))        args->size = atol (value);
        else if (streq (flag, "--wait-ms"))     args->wait_ms = atol (value);
        else if (streq (flag, "--duration-ms")) args->duration_ms = atol (value);
        else if (streq (flag, "--rate"))        args->rate = atol (value);
        else return false;
    }
    return (argc - 3) % 2 == 0;
}

int
main (int argc, char **argv)
{
    s_args_t args;
    if (!s_parse (argc, argv, &args)) {
        fprintf (stderr, "usage: attacker MODE ENDPOINT [--flag value]... (see the source)\n");
        return 2;
    }
    setvbuf (stdout, NULL, _IOLBF, 0);
    if      (streq (args.mode, "takeover")) {
        zsock_t *sock = s_dealer (&args, args.secret);
        s_worker_send (sock, 4, NULL);             //  HEARTBEAT: as if it were the worker
        s_listen (sock, args.wait_ms);
        zsock_destroy (&sock);
    }
    else if (streq (args.mode, "rebind"))   s_rebind (&args);
    else if (streq (args.mode, "cycle"))    s_cycle (&args);
    else if (streq (args.mode, "services")) s_services (&args);
    else if (streq (args.mode, "bigbad"))   s_bigbad (&args);
    else if (streq (args.mode, "legit"))    s_legit (&args);
    else {
        fprintf (stderr, "attacker: unknown mode %s\n", args.mode);
        return 2;
    }
    return 0;
}
