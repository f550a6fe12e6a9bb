/*  msgpack_guard.h - reject msgpack whose sizes lie, before unpacking it.

    msgpack-c's unpacker allocates a map's or array's elements from the
    count in its header, before it has seen them: a 5-byte body claiming
    2^32 map entries asks for 64 GiB. A peer must not be able to do that
    to a worker, a client or the broker, so decoders call this first: it
    walks the bytes without allocating and checks that every count and
    length fits in what is actually there (internal). The same walk reads
    one field from a bounded prefix, for answers that must stay cheap.                     */

#ifndef ZLB_MSGPACK_GUARD_H_INCLUDED
#define ZLB_MSGPACK_GUARD_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

//  True if data starts with one whole msgpack object whose every container
//  count and string/bin/ext length fits in size bytes.
bool zlb_msgpack_bounded (const uint8_t *data, size_t size);

//  The positive integer under key in the msgpack map that data starts
//  with, read from the first limit bytes only (a key or value that ends
//  after them is not found): the cost is bounded by limit whatever size is.
//  true and *value when found. Nothing is allocated.
bool zlb_msgpack_peek_uint (const uint8_t *data, size_t size, size_t limit, const char *key,
                            uint64_t *value);

#endif
