/*  http.h - the request parser of the /metrics endpoint (HTTP/1.x).

    A pure function of the bytes a connection has sent so far: no state,
    no allocation, no I/O, so the fuzzer (fuzz/fuzz_http.c) and the unit
    tests (tests/unit/test_http.c) call it directly, and the server simply
    calls it again with everything it has after each read.

    It answers as soon as it can: a bad request line is refused before the
    headers arrive, a head that has not ended within BROKER_HTTP_HEAD_MAX
    bytes is 431, and only GET or HEAD of /metrics (any query string) is
    200. Header values are not interpreted: we close after one answer.     */

#ifndef ZLB_BROKER_HTTP_H_INCLUDED
#define ZLB_BROKER_HTTP_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>

#define BROKER_HTTP_HEAD_MAX 8192     //  bytes of a request head we read at most

typedef struct {
    int status;                   //  0: need more bytes; else the status to
                                  //  answer (200, 400, 404, 405, 431, 505)
    bool head;                    //  a HEAD request: answer without the body
} broker_http_request_t;

//  Parse the first size bytes a connection sent. Fills *request and
//  returns request->status. Never reads beyond data [size - 1]; data may
//  hold any bytes (NUL included).
int broker_http_parse (const void *data, size_t size, broker_http_request_t *request);

//  The reason phrase of a status we answer with ("OK", "Not Found", ...).
const char *broker_http_reason (int status);

#endif
