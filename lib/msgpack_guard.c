/*  msgpack_guard.c - see msgpack_guard.h. Format: github.com/msgpack/msgpack
    spec.md. Each element needs at least one byte, so a count larger than
    the bytes left is a lie, whatever it nests.                            */

#include "msgpack_guard.h"

#include <string.h>

//  Read a k-byte big-endian number after the type byte; false if short.
static bool
s_number (const uint8_t *data, size_t size, size_t *pos, int k, uint64_t *value)
{
    if ((size_t) k > size - *pos)
        return false;
    *value = 0;
    for (int index = 0; index < k; index++)
        *value = (*value << 8) | data [(*pos)++];
    return true;
}

//  For a type byte: how many more elements it opens (*items) and how many
//  payload bytes follow (*skip). false for the never-used 0xc1 or a short read.
static bool
s_sizes (const uint8_t *data, size_t size, size_t *pos, uint8_t type,
         uint64_t *items, uint64_t *skip)
{
    static const uint8_t fixed [] = {   //  0xca..0xd8: payload bytes (ext: + type)
        4, 8, 1, 2, 4, 8, 1, 2, 4, 8, 2, 3, 5, 9, 17
    };
    uint64_t n = 0;
    *items = *skip = 0;
    if (type <= 0x7f || type >= 0xe0 || type == 0xc0 || type == 0xc2 || type == 0xc3)
        return true;
    if (type <= 0x8f) { *items = 2 * (uint64_t) (type & 0x0f); return true; }
    if (type <= 0x9f) { *items = type & 0x0f; return true; }
    if (type <= 0xbf) { *skip = type & 0x1f; return true; }
    if (type >= 0xca && type <= 0xd8) { *skip = fixed [type - 0xca]; return true; }
    switch (type) {
        case 0xc4: case 0xd9: if (!s_number (data, size, pos, 1, &n)) return false; *skip = n; return true;
        case 0xc5: case 0xda: if (!s_number (data, size, pos, 2, &n)) return false; *skip = n; return true;
        case 0xc6: case 0xdb: if (!s_number (data, size, pos, 4, &n)) return false; *skip = n; return true;
        case 0xc7: if (!s_number (data, size, pos, 1, &n)) return false; *skip = n + 1; return true;
        case 0xc8: if (!s_number (data, size, pos, 2, &n)) return false; *skip = n + 1; return true;
        case 0xc9: if (!s_number (data, size, pos, 4, &n)) return false; *skip = n + 1; return true;
        case 0xdc: if (!s_number (data, size, pos, 2, &n)) return false; *items = n; return true;
        case 0xdd: if (!s_number (data, size, pos, 4, &n)) return false; *items = n; return true;
        case 0xde: if (!s_number (data, size, pos, 2, &n)) return false; *items = 2 * n; return true;
        case 0xdf: if (!s_number (data, size, pos, 4, &n)) return false; *items = 2 * n; return true;
        default:   return false;        //  0xc1: never used
    }
}

//  Step over one whole object at *pos (containers with all they hold)
//  without allocating; false if it does not fit in size bytes.
static bool
s_skip (const uint8_t *data, size_t size, size_t *pos)
{
    uint64_t pending = 1;               //  objects still to read
    while (pending > 0) {
        if (!data || *pos >= size)
            return false;
        pending--;
        uint8_t type = data [(*pos)++];
        uint64_t items, skip;
        if (!s_sizes (data, size, pos, type, &items, &skip) || skip > size - *pos)
            return false;
        *pos += (size_t) skip;
        pending += items;
        if (pending > size - *pos)
            return false;               //  more elements than bytes left
    }
    return true;
}

bool
zlb_msgpack_bounded (const uint8_t *data, size_t size)
{
    size_t pos = 0;
    return s_skip (data, size, &pos);
}

//  A str at *pos: its bytes and length; false for anything else.
static bool
s_str (const uint8_t *data, size_t size, size_t *pos, const uint8_t **text, uint64_t *length)
{
    uint8_t type = data [*pos];
    uint64_t items;
    if (!((type >= 0xa0 && type <= 0xbf) || (type >= 0xd9 && type <= 0xdb)))
        return false;
    (*pos)++;
    if (!s_sizes (data, size, pos, type, &items, length) || *length > size - *pos)
        return false;
    *text = data + *pos;
    *pos += (size_t) *length;
    return true;
}

//  A positive integer at pos (< size) into *value; false for anything else.
static bool
s_uint (const uint8_t *data, size_t size, size_t pos, uint64_t *value)
{
    uint8_t type = data [pos++];
    if (type <= 0x7f) {
        *value = type;
        return true;
    }
    //  0xcc..0xcf: uint 8, 16, 32 and 64
    return type >= 0xcc && type <= 0xcf
        && s_number (data, size, &pos, 1 << (type - 0xcc), value);
}

bool
zlb_msgpack_peek_uint (const uint8_t *data, size_t size, size_t limit, const char *key,
                       uint64_t *value)
{
    if (!data || size == 0)
        return false;
    size = size < limit ? size : limit;
    uint8_t type = data [0];
    if ((type < 0x80 || type > 0x8f) && type != 0xde && type != 0xdf)
        return false;                   //  not a map
    size_t pos = 1;
    uint64_t items, skip;
    if (!s_sizes (data, size, &pos, type, &items, &skip))
        return false;
    size_t key_size = strlen (key);
    for (uint64_t pair = 0; pair < items / 2 && pos < size; pair++) {
        size_t at = pos;
        const uint8_t *text;
        uint64_t length;
        bool named = s_str (data, size, &at, &text, &length)
                  && length == key_size && memcmp (text, key, key_size) == 0;
        if (!s_skip (data, size, &pos))     //  the key
            return false;
        if (named)
            return pos < size && s_uint (data, size, pos, value);
        if (!s_skip (data, size, &pos))     //  its value
            return false;
    }
    return false;
}
