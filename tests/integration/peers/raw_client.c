/*  raw_client - an MDP/0.1 client written with raw czmq frames (no libzlb).

    raw_client ENDPOINT SERVICE (--text BODY | --request PAYLOAD) [--timeout-ms N]

    Sends one REQUEST: "" · "MDPC01" · SERVICE · body, where body is BODY
    as-is (--text, e.g. a service name for mmi.service) or a zlb msgpack
    request {id, ts, payload} built with msgpack-c (--request). Prints the
    reply's frames one per line so the test can grep them:
        reply service=echo frames=2
        body1: id=7 payload=hello
        body2: id=7 status=200 worker=w1 ...
    Exit: 0 reply received, 3 timeout, 4 malformed reply, 2 usage.         */

#include "peer.h"

static int
s_usage (void)
{
    fprintf (stderr, "usage: raw_client ENDPOINT SERVICE (--text BODY | --request PAYLOAD)"
                     " [--timeout-ms N]\n");
    return 2;
}

//  Check the reply envelope; print it. Returns the exit code.
static int
s_print_reply (zmsg_t *reply, const char *service)
{
    zframe_t *empty = zmsg_pop (reply);
    zframe_t *header = zmsg_pop (reply);
    zframe_t *svc = zmsg_pop (reply);
    int rc = 0;
    if (!empty || zframe_size (empty) != 0 || !header || !zframe_streq (header, PEER_CLIENT)
    ||  !svc || !zframe_streq (svc, service)) {
        printf ("malformed reply envelope\n");
        rc = 4;
    }
    else {
        printf ("reply service=%s frames=%zu\n", service, zmsg_size (reply));
        int index = 1;
        for (zframe_t *body = zmsg_first (reply); body; body = zmsg_next (reply)) {
            char label [16];
            snprintf (label, sizeof label, "body%d", index++);
            peer_print_body (stdout, label, body);
        }
    }
    zframe_destroy (&empty);
    zframe_destroy (&header);
    zframe_destroy (&svc);
    return rc;
}

int
main (int argc, char *argv [])
{
    if (argc < 5)
        return s_usage ();
    const char *endpoint = argv [1];
    const char *service = argv [2];
    const char *text = NULL;
    const char *payload = NULL;
    int timeout_ms = 2000;
    for (int i = 3; i + 1 < argc; i += 2) {
        if (streq (argv [i], "--text"))
            text = argv [i + 1];
        else
        if (streq (argv [i], "--request"))
            payload = argv [i + 1];
        else
        if (streq (argv [i], "--timeout-ms"))
            timeout_ms = atoi (argv [i + 1]);
        else
            return s_usage ();
    }
    if ((text == NULL) == (payload == NULL) || timeout_ms <= 0)
        return s_usage ();

    zsys_init ();
    zsys_set_linger (0);
    zsock_t *sock = zsock_new (ZMQ_DEALER);
    if (!sock || zsock_connect (sock, "%s", endpoint) != 0) {
        fprintf (stderr, "raw_client: cannot connect to %s\n", endpoint);
        zsock_destroy (&sock);
        return 2;
    }
    zsock_set_rcvtimeo (sock, timeout_ms);

    zmsg_t *request = zmsg_new ();
    zmsg_addstr (request, "");
    zmsg_addstr (request, PEER_CLIENT);
    zmsg_addstr (request, service);
    if (text)
        zmsg_addstr (request, text);
    else {
        zframe_t *body = peer_request_body ((uint64_t) getpid (), payload);
        zmsg_append (request, &body);
    }
    zmsg_send (&request, sock);

    int rc = 3;
    zmsg_t *reply = zmsg_recv (sock);
    if (reply) {
        rc = s_print_reply (reply, service);
        zmsg_destroy (&reply);
    }
    else
        printf ("timeout after %d ms\n", timeout_ms);
    fflush (stdout);
    zsock_destroy (&sock);
    return rc;
}
