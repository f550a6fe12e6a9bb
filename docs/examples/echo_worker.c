/*  echo_worker.c - a whole program that embeds a zlb worker: it serves
    "echo" until SIGINT/SIGTERM, then leaves cleanly. Plain MDP clients
    (bodies that are not zlb requests) get their own frames back.

        cc echo_worker.c $(pkg-config --cflags --libs zlb) -o echo_worker
        ./echo_worker tcp://127.0.0.1:5555                                  */

#include <zlb/zlb.h>
#include <stdio.h>

int
main (int argc, char *argv [])
{
    if (argc != 2) {
        fprintf (stderr, "usage: echo_worker ENDPOINT\n");
        return 2;
    }
    zlb_worker_options_t options;
    zlb_worker_options_defaults (&options);
    options.service = "echo";
    options.raw = true;                   //  hand over plain MDP bodies too
    zlb_worker_t *worker = zlb_worker_new (argv [1], &options);
    if (!worker) {
        perror ("zlb_worker_new");
        return 2;
    }
    zlb_work_t work;                      //  points into the worker until the reply
    //  Heartbeats and reconnects happen inside; -1 on SIGINT/SIGTERM.
    while (zlb_worker_recv (worker, &work, -1) == 1) {
        if (work.frames) {                //  plain MDP: the same frames back
            zmsg_t *echo = zmsg_dup (work.frames);
            zlb_worker_reply_raw (worker, &work, &echo);
        }
        else
            zlb_worker_reply (worker, &work, ZLB_STATUS_OK, work.payload,
                              work.payload_size, NULL);
    }
    zlb_worker_destroy (&worker);         //  sends DISCONNECT
    return 0;
}
