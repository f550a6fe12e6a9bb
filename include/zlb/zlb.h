/*  zlb.h - the public API of zlb, a ZeroMQ load-balancing broker system.

    Include this one header to embed a zlb client or worker in a program.
    Everything here is prefixed zlb_ / ZLB_; nothing else is exported.

    NULL arguments, one rule for every function in these headers (tests/
    unit/test_null.c calls each one with NULL):
    - a function returning int: -1 with errno EINVAL when self or a
      required pointer is NULL;
    - a constructor (*_new): NULL with errno EINVAL;
    - a destructor (*_destroy): accepts NULL and a pointer to NULL, and
      sets *self_p to NULL;
    - a getter or a void function given a NULL self: does nothing and
      returns a neutral value (0, -1 for "no timeout", NULL; stats zeroed).
    Arguments that may be NULL on purpose say so at the function, and a NULL
    zlb_log_t is a silent log (every zlb_log_* call accepts it).           */

#ifndef ZLB_H_INCLUDED
#define ZLB_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ZLB_VERSION_MAJOR 0
#define ZLB_VERSION_MINOR 1
#define ZLB_VERSION_PATCH 0
#define ZLB_VERSION_STRING "0.1.0"

//  Status codes carried in the confirmation frame (docs/protocol.md).
//  HTTP-like on purpose: 2xx ok, 4xx the request was wrong, 5xx it failed.
#define ZLB_STATUS_OK           200   //  the worker served the request
#define ZLB_STATUS_BAD_REQUEST  400   //  body was not a valid zlb request
#define ZLB_STATUS_TIMEOUT      408   //  client-side only: no answer after all retries
#define ZLB_STATUS_TOO_LARGE    413   //  body over the broker's --max-body
#define ZLB_STATUS_NOT_ZLB      415   //  client-side only: the reply is not in zlb's
                                      //  format (a plain MDP worker; send it raw)
#define ZLB_STATUS_WORKER_ERROR 500   //  the worker failed to serve it
#define ZLB_STATUS_FAILED       502   //  workers died holding it --max-redeliveries times
#define ZLB_STATUS_BUSY         503   //  service queue (or service table) is full
#define ZLB_STATUS_NO_WORKER    504   //  no worker for the service within the deadline

//  Short text for a status code ("ok", "busy", ...); never NULL.
const char *zlb_status_text (int status);

//  Longest worker id we put on the wire or in a confirmation.
#define ZLB_WORKER_ID_MAX 64

//  Wall-clock time in nanoseconds (CLOCK_REALTIME): what goes on the wire
//  as `ts`, `t_recv`, `t_send`.
int64_t zlb_time_ns (void);

//  Monotonic time in nanoseconds: for measuring intervals locally.
int64_t zlb_mono_ns (void);

#include "zlb/log.h"
#include "zlb/codec.h"
#include "zlb/client.h"
#include "zlb/worker.h"

#endif
