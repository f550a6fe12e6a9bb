/*  ceiling.c - the physical ceiling for a broker: a plain ROUTER/DEALER
    zmq_proxy and echo workers behind it.

        zlb-bench-ceiling proxy  FRONTEND BACKEND
        zlb-bench-ceiling worker BACKEND ID

    The proxy binds a ROUTER on FRONTEND (clients) and a DEALER on BACKEND
    (workers) and shuffles frames between them in libzmq: no parsing, no
    bookkeeping, no heartbeats. The DEALER round-robins requests to the
    workers and queues them in each worker's pipe, so every worker always
    has the next request waiting.

    A worker is a REP socket. After REP strips the envelope it sees the
    client's MDP frames [MDPC01, service, body] and answers [MDPC01,
    service, reply, confirmation]; REP puts the envelope back, so the
    client receives exactly what a zlb broker would send it and zlb-stress
    drives this unchanged. Both run until SIGINT/SIGTERM.                    */

#include "echo.h"

#include <string.h>

static int
s_proxy (const char *frontend_ep, const char *backend_ep)
{
    zsock_t *frontend = zsock_new_router (frontend_ep);
    zsock_t *backend = zsock_new_dealer (backend_ep);
    if (!frontend || !backend) {
        fprintf (stderr, "zlb-bench-ceiling: cannot bind %s / %s\n", frontend_ep, backend_ep);
        zsock_destroy (&frontend);
        zsock_destroy (&backend);
        return 1;
    }
    printf ("proxy ready\n");
    fflush (stdout);
    //  Returns when a signal interrupts it (czmq's handler sets zsys_interrupted).
    zmq_proxy (zsock_resolve (frontend), zsock_resolve (backend), NULL);
    zsock_destroy (&frontend);
    zsock_destroy (&backend);
    return 0;
}

//  [MDPC01, service, body] -> [MDPC01, service, reply, confirmation]
static void
s_answer (zsock_t *rep, zmsg_t *msg, const char *id)
{
    zmsg_t *answer = zmsg_new ();
    zframe_t *header = zmsg_pop (msg);
    zframe_t *service = zmsg_pop (msg);
    zframe_t *body = zmsg_first (msg);
    bool framed = header && service;
    if (framed) {
        zmsg_append (answer, &header);
        zmsg_append (answer, &service);
    }
    if (!framed || bench_echo_answer (body, id, answer) != 0) {
        //  REP must answer something to stay usable.
        zmsg_destroy (&answer);
        answer = zmsg_new ();
        zmsg_addstr (answer, "");
    }
    zframe_destroy (&header);
    zframe_destroy (&service);
    zmsg_send (&answer, rep);
}

static int
s_worker (const char *backend_ep, const char *id)
{
    zsock_t *rep = zsock_new_rep (backend_ep);
    if (!rep) {
        fprintf (stderr, "zlb-bench-ceiling: cannot connect %s\n", backend_ep);
        return 1;
    }
    zsock_set_linger (rep, 0);
    printf ("worker %s ready\n", id);
    fflush (stdout);
    while (!zsys_interrupted) {
        zmsg_t *msg = zmsg_recv (rep);
        if (!msg)
            break;
        s_answer (rep, msg, id);
        zmsg_destroy (&msg);
    }
    zsock_destroy (&rep);
    return 0;
}

int
main (int argc, char *argv [])
{
    //  Connect endpoints: zsock_new_* binds '@' and connects '>' prefixes.
    if (argc == 4 && streq (argv [1], "proxy")) {
        char frontend [512], backend [512];
        snprintf (frontend, sizeof (frontend), "@%s", argv [2]);
        snprintf (backend, sizeof (backend), "@%s", argv [3]);
        return s_proxy (frontend, backend);
    }
    if (argc == 4 && streq (argv [1], "worker")) {
        char backend [512];
        snprintf (backend, sizeof (backend), ">%s", argv [2]);
        return s_worker (backend, argv [3]);
    }
    fprintf (stderr, "usage: zlb-bench-ceiling proxy FRONTEND BACKEND\n"
                     "       zlb-bench-ceiling worker BACKEND ID\n");
    return 2;
}
