/*  bad_peer - sends one chosen malformed or unexpected MDP message to a broker
    and prints what came back (raw czmq frames, no libzlb).

    bad_peer ENDPOINT CASE [--size N] [--wait-ms N]

    CASE is one of the names in s_cases below (bad_peer --list prints them).
    After sending, waits up to --wait-ms (default 1000) for the first
    message that is not a HEARTBEAT and prints one of:
        got nothing
        got DISCONNECT | got REQUEST | got UNKNOWN ...     (worker cases)
        got reply frames=N  then  body1: ... / body2: ...  (client cases)
    Exits 0 whatever the broker did (the test judges the output), 2 on usage. */

#include "peer.h"

typedef struct {
    const char *name;        //  CASE on the command line
    const char *what;        //  one-line description for --list
} bad_case_t;

static const bad_case_t s_cases [] = {
    { "one-frame",             "a single frame \"hello\" (no delimiter, no header)" },
    { "empty-only",            "a single empty frame" },
    { "bad-header",            "\"\" MDPX01 echo body: unknown protocol header" },
    { "client-short",          "\"\" MDPC01 and nothing else" },
    { "request-no-body",       "\"\" MDPC01 echo: a REQUEST without a body" },
    { "bad-command",           "\"\" MDPW01 0x09 from an unknown worker" },
    { "bad-command-registered","READY echo, then command 0x09" },
    { "reply-unregistered",    "REPLY from a worker that never said READY" },
    { "reply-idle",            "READY echo, then a REPLY while holding no request" },
    { "ready-twice",           "READY echo twice" },
    { "ready-mmi",             "READY mmi.x (reserved)" },
    { "ready-empty",           "READY with an empty service name" },
    { "ready-long",            "READY with a 256-byte service name" },
    { "request-empty-service", "client REQUEST for service \"\"" },
    { "request-long-service",  "client REQUEST for a 256-byte service name" },
    { "big-body",              "client REQUEST echo with a --size byte payload" },
    { "garbage-body",          "client REQUEST echo whose body is not msgpack" },
    { NULL, NULL }
};

static zmsg_t *
s_client_msg (const char *service)
{
    zmsg_t *msg = zmsg_new ();
    zmsg_addstr (msg, "");
    zmsg_addstr (msg, PEER_CLIENT);
    if (service)
        zmsg_addstr (msg, service);
    return msg;
}

static zmsg_t *
s_fake_reply (void)
{
    zmsg_t *msg = peer_worker_msg (3, NULL);
    zmsg_addstr (msg, "no-such-client");
    zmsg_addstr (msg, "");
    zmsg_addstr (msg, "reply body");
    zmsg_addstr (msg, "confirmation body");
    return msg;
}

static void
s_send (zsock_t *sock, zmsg_t *msg)
{
    zmsg_send (&msg, sock);
}

//  Sends the case's messages. Returns false for an unknown case.
static bool
s_send_case (zsock_t *sock, const char *name, size_t size)
{
    char long_name [257];
    memset (long_name, 's', 256);
    long_name [256] = 0;
    zmsg_t *msg = NULL;
    if (streq (name, "one-frame")) {
        msg = zmsg_new ();
        zmsg_addstr (msg, "hello");
    }
    else if (streq (name, "empty-only")) {
        msg = zmsg_new ();
        zmsg_addstr (msg, "");
    }
    else if (streq (name, "bad-header")) {
        msg = zmsg_new ();
        zmsg_addstr (msg, "");
        zmsg_addstr (msg, "MDPX01");
        zmsg_addstr (msg, "echo");
        zmsg_addstr (msg, "body");
    }
    else if (streq (name, "client-short"))
        msg = s_client_msg (NULL);
    else if (streq (name, "request-no-body"))
        msg = s_client_msg ("echo");
    else if (streq (name, "bad-command"))
        msg = peer_worker_msg (9, NULL);
    else if (streq (name, "bad-command-registered")) {
        s_send (sock, peer_worker_msg (1, "echo"));
        msg = peer_worker_msg (9, NULL);
    }
    else if (streq (name, "reply-unregistered"))
        msg = s_fake_reply ();
    else if (streq (name, "reply-idle")) {
        s_send (sock, peer_worker_msg (1, "echo"));
        msg = s_fake_reply ();
    }
    else if (streq (name, "ready-twice")) {
        s_send (sock, peer_worker_msg (1, "echo"));
        msg = peer_worker_msg (1, "echo");
    }
    else if (streq (name, "ready-mmi"))
        msg = peer_worker_msg (1, "mmi.x");
    else if (streq (name, "ready-empty"))
        msg = peer_worker_msg (1, "");
    else if (streq (name, "ready-long"))
        msg = peer_worker_msg (1, long_name);
    else if (streq (name, "request-empty-service")) {
        msg = s_client_msg ("");
        zframe_t *body = peer_request_body (1, "x");
        zmsg_append (msg, &body);
    }
    else if (streq (name, "request-long-service")) {
        msg = s_client_msg (long_name);
        zframe_t *body = peer_request_body (1, "x");
        zmsg_append (msg, &body);
    }
    else if (streq (name, "big-body")) {
        char *payload = malloc (size + 1);
        if (!payload)
            return false;
        memset (payload, 'b', size);
        payload [size] = 0;
        msg = s_client_msg ("echo");
        zframe_t *body = peer_request_body (42, payload);
        zmsg_append (msg, &body);
        free (payload);
    }
    else if (streq (name, "garbage-body")) {
        msg = s_client_msg ("echo");
        //  0xc1 is the one byte msgpack never uses: no decoder accepts this
        zmsg_addmem (msg, "\xc1garbage, not msgpack\xc1", 22);
    }
    else
        return false;
    s_send (sock, msg);
    return true;
}

//  Print the first message that is not a heartbeat, or "got nothing".
static void
s_report (zsock_t *sock, int wait_ms)
{
    int64_t deadline = zclock_mono () + wait_ms;
    zpoller_t *poller = zpoller_new (sock, NULL);
    int heartbeats = 0;
    bool reported = false;
    while (!reported && zclock_mono () < deadline) {
        if (!zpoller_wait (poller, (int) (deadline - zclock_mono ())))
            break;
        zmsg_t *msg = zmsg_recv (sock);
        if (!msg)
            break;
        zframe_t *empty = zmsg_pop (msg);
        zframe_t *header = zmsg_pop (msg);
        zframe_t *third = zmsg_pop (msg);
        if (header && zframe_streq (header, PEER_WORKER)) {
            const char *command = peer_command_name (third);
            if (streq (command, "HEARTBEAT"))
                heartbeats++;
            else {
                printf ("got %s\n", command);
                reported = true;
            }
        }
        else
        if (header && zframe_streq (header, PEER_CLIENT)) {
            printf ("got reply frames=%zu\n", zmsg_size (msg));
            int index = 1;
            for (zframe_t *body = zmsg_first (msg); body; body = zmsg_next (msg)) {
                char label [16];
                snprintf (label, sizeof label, "body%d", index++);
                peer_print_body (stdout, label, body);
            }
            reported = true;
        }
        else {
            printf ("got malformed message\n");
            reported = true;
        }
        zframe_destroy (&empty);
        zframe_destroy (&header);
        zframe_destroy (&third);
        zmsg_destroy (&msg);
    }
    if (!reported)
        printf ("got nothing (heartbeats=%d)\n", heartbeats);
    fflush (stdout);
    zpoller_destroy (&poller);
}

int
main (int argc, char *argv [])
{
    if (argc == 2 && streq (argv [1], "--list")) {
        for (const bad_case_t *c = s_cases; c->name; c++)
            printf ("%-24s %s\n", c->name, c->what);
        return 0;
    }
    if (argc < 3 || (argc - 3) % 2 != 0) {
        fprintf (stderr, "usage: bad_peer ENDPOINT CASE [--size N] [--wait-ms N] | --list\n");
        return 2;
    }
    size_t size = 2048;
    int wait_ms = 1000;
    for (int i = 3; i + 1 < argc; i += 2) {
        if (streq (argv [i], "--size"))
            size = (size_t) atol (argv [i + 1]);
        else
        if (streq (argv [i], "--wait-ms"))
            wait_ms = atoi (argv [i + 1]);
        else {
            fprintf (stderr, "bad_peer: unknown option %s\n", argv [i]);
            return 2;
        }
    }
    zsys_init ();
    zsys_set_linger (200);
    zsock_t *sock = zsock_new (ZMQ_DEALER);
    if (!sock || zsock_connect (sock, "%s", argv [1]) != 0) {
        fprintf (stderr, "bad_peer: cannot connect to %s\n", argv [1]);
        zsock_destroy (&sock);
        return 2;
    }
    int rc = 0;
    if (s_send_case (sock, argv [2], size))
        s_report (sock, wait_ms);
    else {
        fprintf (stderr, "bad_peer: unknown case %s (try --list)\n", argv [2]);
        rc = 2;
    }
    zsock_destroy (&sock);
    return rc;
}
