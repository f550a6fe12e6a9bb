/*  count.h - zlb-worker --count N: one process per worker.               */

#ifndef ZLB_WORKER_COUNT_H_INCLUDED
#define ZLB_WORKER_COUNT_H_INCLUDED

#include <signal.h>

//  Fork count worker processes. Returns in each child with its index
//  (1..count); the parent never returns: it forwards SIGINT, SIGTERM and
//  SIGHUP to the children, waits for all of them, and exits 0 when all
//  exited 0, else 1. Call before anything creates a ZeroMQ context.
int zlb_worker_fork (int count);

//  Set by SIGHUP in a worker process (installed by zlb_worker_hup_install).
extern volatile sig_atomic_t zlb_worker_hup;
void zlb_worker_hup_install (void);

#endif
