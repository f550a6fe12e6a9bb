/*  echo_peer.c - a do-nothing MDP peer: a ROUTER that answers every client
    request itself, to measure what zlb-stress alone can generate.

        zlb-bench-echo ENDPOINT

    Each [client, "", MDPC01, service, body] gets [client, "", MDPC01,
    service, reply, confirmation] back at once, with the echo answer a
    worker would give (echo.h). Nothing sits between the load generator and
    its answers but one socket, so the rate this reaches is zlb-stress's
    own ceiling. Runs until SIGINT/SIGTERM.                                  */

#include "echo.h"

#include <string.h>

//  Answer one message; consumes it.
static void
s_answer (zsock_t *router, zmsg_t **msg_p)
{
    zmsg_t *msg = *msg_p;
    //  Keep the envelope and MDP header as they came: client, "", MDPC01, service.
    if (zmsg_size (msg) < 5) {
        zmsg_destroy (msg_p);    //  not a request: nothing to answer on
        return;
    }
    zframe_t *body = zmsg_last (msg);
    zframe_t *taken = body;
    zmsg_remove (msg, taken);
    if (bench_echo_answer (taken, "echo-peer", msg) == 0)
        zmsg_send (msg_p, router);
    zmsg_destroy (msg_p);
    zframe_destroy (&taken);
}

int
main (int argc, char *argv [])
{
    if (argc != 2) {
        fprintf (stderr, "usage: zlb-bench-echo ENDPOINT\n");
        return 2;
    }
    zsock_t *router = zsock_new (ZMQ_ROUTER);
    if (!router || zsock_bind (router, "%s", argv [1]) == -1) {
        fprintf (stderr, "zlb-bench-echo: cannot bind %s\n", argv [1]);
        zsock_destroy (&router);
        return 1;
    }
    zsock_set_linger (router, 0);
    printf ("echo ready\n");
    fflush (stdout);
    while (!zsys_interrupted) {
        zmsg_t *msg = zmsg_recv (router);
        if (!msg)
            break;
        s_answer (router, &msg);
    }
    zsock_destroy (&router);
    return 0;
}
