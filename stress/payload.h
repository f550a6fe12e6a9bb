/*  payload.h - deterministic request payloads (zlb-stress).

    The bytes of a request are a pure function of (stream, seq), so an
    echoed reply can be checked byte for byte without keeping a copy of
    what was sent: the checker regenerates the same stream of bytes.      */

#ifndef ZLB_PAYLOAD_H_INCLUDED
#define ZLB_PAYLOAD_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

//  Fill buf[0..size) with the payload of request seq of stream.
void zlb_payload_fill (uint8_t *buf, size_t size, uint64_t stream, uint64_t seq);

//  True if data[0..size) is exactly the payload zlb_payload_fill would make
//  for (stream, seq) with `expected_size` bytes.
bool zlb_payload_check (const uint8_t *data, size_t size, size_t expected_size,
                        uint64_t stream, uint64_t seq);

#endif
