/*  msgpack_put.h - write one map entry (a string key and its value) with
    msgpack-c's packer, the way every zlb map is written: bodies (codec.c)
    and the broker's MMI answers (internal). Inline: they sit on the
    request path.                                                           */

#ifndef ZLB_MSGPACK_PUT_H_INCLUDED
#define ZLB_MSGPACK_PUT_H_INCLUDED

#include <msgpack.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

static inline void
zlb_put_key (msgpack_packer *pk, const char *key)
{
    size_t size = strlen (key);
    msgpack_pack_str (pk, size);
    msgpack_pack_str_body (pk, key, size);
}

//  key: a string of size bytes (not NUL-terminated).
static inline void
zlb_put_str (msgpack_packer *pk, const char *key, const char *value, size_t size)
{
    zlb_put_key (pk, key);
    msgpack_pack_str (pk, size);
    if (size)
        msgpack_pack_str_body (pk, value, size);
}

static inline void
zlb_put_text (msgpack_packer *pk, const char *key, const char *text)
{
    zlb_put_str (pk, key, text, strlen (text));
}

static inline void
zlb_put_bin (msgpack_packer *pk, const char *key, const void *data, size_t size)
{
    zlb_put_key (pk, key);
    msgpack_pack_bin (pk, size);
    if (size)
        msgpack_pack_bin_body (pk, data, size);
}

static inline void
zlb_put_uint (msgpack_packer *pk, const char *key, uint64_t value)
{
    zlb_put_key (pk, key);
    msgpack_pack_uint64 (pk, value);
}

static inline void
zlb_put_double (msgpack_packer *pk, const char *key, double value)
{
    zlb_put_key (pk, key);
    msgpack_pack_double (pk, value);
}

static inline void
zlb_put_bool (msgpack_packer *pk, const char *key, bool value)
{
    zlb_put_key (pk, key);
    if (value)
        msgpack_pack_true (pk);
    else
        msgpack_pack_false (pk);
}

#endif
