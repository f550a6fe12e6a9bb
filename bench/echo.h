/*  echo.h - the echo answer shared by the bench peers.

    Both bench programs answer a zlb request body the way zlb-worker's echo
    service does: a reply map {id, payload} and a confirmation {id, status,
    worker, t_recv, t_send, attempt}, encoded with the same codec
    (include/zlb/codec.h), so zlb-stress checks them exactly as it checks
    a real worker's.                                                         */

#ifndef ZLB_BENCH_ECHO_H_INCLUDED
#define ZLB_BENCH_ECHO_H_INCLUDED

#include "zlb/zlb.h"

//  Append the two answer frames for request body `body` to `out`. A body
//  that is not a zlb request gets a 400 confirmation, like a real worker.
//  0 on success, -1 on out of memory.
int bench_echo_answer (zframe_t *body, const char *worker, zmsg_t *out);

#endif
