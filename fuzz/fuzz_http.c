/*  fuzz_http - the /metrics request parser (broker/http.c) on arbitrary
    bytes, whole and as every split a server could see it in.

    Checks what the server relies on: the status is one we can answer, a
    head of BROKER_HTTP_HEAD_MAX bytes or more always gets a verdict, and
    the first verdict on a prefix (where the server stops reading) is the
    verdict on the whole input: bytes after it never change the answer.   */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "http.h"

static void
s_check_status (int status)
{
    if (status != 0 && status != 200 && status != 400 && status != 404 && status != 405
    &&  status != 431 && status != 505)
        abort ();
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    //  A copy of exactly size bytes, so ASan traps any read past the end.
    uint8_t *copy = (uint8_t *) malloc (size ? size : 1);
    if (!copy)
        return 0;
    if (size)
        memcpy (copy, data, size);
    broker_http_request_t whole, part;
    s_check_status (broker_http_parse (copy, size, &whole));
    if (size >= BROKER_HTTP_HEAD_MAX && whole.status == 0)
        abort ();
    //  Every prefix, as the server would parse it after each read.
    for (size_t length = 0; length <= size; length++) {
        int status = broker_http_parse (copy, length, &part);
        s_check_status (status);
        if (status != 0 && (status != whole.status || part.head != whole.head))
            abort ();             //  an early verdict the whole input contradicts
        if (status != 0)
            break;                //  the server stops reading here
    }
    free (copy);
    return 0;
}
