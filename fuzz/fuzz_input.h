/*  fuzz_input.h - turn a fuzzer's byte string into frames and messages.

    Shared by the fuzz targets. The format is small on purpose so that
    libFuzzer's mutations stay meaningful:
      frame := len:1 data:len        (len < 0xF0: literal bytes)
             | 0xF0 + k               (a canned frame: "", "MDPC01", "MDPW01",
                                       command bytes, service names, a valid
                                       msgpack request body, ...)
    Canned frames let the fuzzer reach deep broker states in a few bytes
    instead of having to guess "MDPW01" one byte at a time.                 */

#ifndef ZLB_FUZZ_INPUT_H_INCLUDED
#define ZLB_FUZZ_INPUT_H_INCLUDED

#include <czmq.h>
#include <stddef.h>
#include <stdint.h>

#include "zlb/codec.h"

typedef struct {
    const uint8_t *data;
    size_t size;
    size_t pos;
} fuzz_input_t;

static inline int
fuzz_byte (fuzz_input_t *in)
{
    return in->pos < in->size ? in->data [in->pos++] : -1;
}

//  A valid request body, so that the worker and client paths see good input too.
static inline zframe_t *
fuzz_request_body (uint64_t id)
{
    zlb_request_t request = {.id = id ? id : 1, .ts = 1, .attempt = 1,
                             .payload = (const uint8_t *) "payload", .payload_size = 7};
    return zlb_request_encode (&request);
}

//  The next frame, or NULL when the input is used up.
static inline zframe_t *
fuzz_frame (fuzz_input_t *in)
{
    int len = fuzz_byte (in);
    if (len < 0)
        return NULL;
    if (len >= 0xF0) {
        static const char *canned [] = {"", "MDPC01", "MDPW01", "echo", "mmi.service",
                                        "mmi.workers", "foo", "p0"};
        static const uint8_t commands [] = {1, 2, 3, 4, 5, 0, 6};
        int k = len - 0xF0;
        if (k < 8)
            return zframe_new (canned [k], strlen (canned [k]));
        if (k < 15)
            return zframe_new (&commands [k - 8], 1);
        return fuzz_request_body (in->pos);
    }
    size_t take = (size_t) len;
    if (take > in->size - in->pos)
        take = in->size - in->pos;
    zframe_t *frame = zframe_new (in->data + in->pos, take);
    in->pos += take;
    return frame;
}

#endif
