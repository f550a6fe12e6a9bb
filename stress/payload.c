/*  payload.c - deterministic payload bytes (see payload.h).

    splitmix64 seeds from (stream, seq), then each 8 bytes are the next
    splitmix64 output: fast, and different requests differ everywhere, so
    a reply carrying another request's payload cannot pass the check.    */

#include "payload.h"

#include <string.h>

static inline uint64_t
s_splitmix64 (uint64_t *state)
{
    uint64_t z = (*state += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

static inline uint64_t
s_seed (uint64_t stream, uint64_t seq)
{
    uint64_t state = stream * 0xD1B54A32D192ED03ULL ^ seq;
    return s_splitmix64 (&state);
}

void
zlb_payload_fill (uint8_t *buf, size_t size, uint64_t stream, uint64_t seq)
{
    uint64_t state = s_seed (stream, seq);
    size_t at = 0;
    for (; at + 8 <= size; at += 8) {
        uint64_t word = s_splitmix64 (&state);
        memcpy (buf + at, &word, 8);
    }
    if (at < size) {
        uint64_t word = s_splitmix64 (&state);
        memcpy (buf + at, &word, size - at);
    }
}

bool
zlb_payload_check (const uint8_t *data, size_t size, size_t expected_size,
                   uint64_t stream, uint64_t seq)
{
    if (size != expected_size)
        return false;
    if (size == 0)
        return true;
    if (!data)
        return false;
    uint64_t state = s_seed (stream, seq);
    size_t at = 0;
    for (; at + 8 <= size; at += 8) {
        uint64_t word = s_splitmix64 (&state);
        if (memcmp (data + at, &word, 8))
            return false;
    }
    if (at < size) {
        uint64_t word = s_splitmix64 (&state);
        if (memcmp (data + at, &word, size - at))
            return false;
    }
    return true;
}
