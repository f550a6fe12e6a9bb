/*  peer.h - helpers shared by the raw MDP test peers (header only).

    The peers deliberately do NOT use libzlb: they build Majordomo 0.1
    frames by hand with czmq and encode/decode msgpack bodies with msgpack-c
    directly, so a passing test proves wire compatibility with any other
    MDP/0.1 implementation, not just agreement with our own library.        */

#ifndef ZLB_TEST_PEER_H_INCLUDED
#define ZLB_TEST_PEER_H_INCLUDED

#include <czmq.h>
#include <msgpack.h>
#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#define PEER_CLIENT "MDPC01"
#define PEER_WORKER "MDPW01"

static inline int64_t
peer_time_ns (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_REALTIME, &ts);
    return (int64_t) ts.tv_sec * 1000000000 + ts.tv_nsec;
}

//  Append a one-byte frame (a worker command).
static inline void
peer_add_byte (zmsg_t *msg, int byte)
{
    unsigned char b = (unsigned char) byte;
    zmsg_addmem (msg, &b, 1);
}

//  A worker command as a dealer sends it: "", MDPW01, command[, service].
static inline zmsg_t *
peer_worker_msg (int command, const char *service)
{
    zmsg_t *msg = zmsg_new ();
    zmsg_addstr (msg, "");
    zmsg_addstr (msg, PEER_WORKER);
    peer_add_byte (msg, command);
    if (service)
        zmsg_addstr (msg, service);
    return msg;
}

static inline void
peer_pack_str (msgpack_packer *pk, const char *text)
{
    size_t size = strlen (text);
    msgpack_pack_str (pk, size);
    msgpack_pack_str_body (pk, text, size);
}

//  A zlb request body {id, ts, payload} as a new frame.
static inline zframe_t *
peer_request_body (uint64_t id, const char *payload)
{
    msgpack_sbuffer sbuf;
    msgpack_packer pk;
    msgpack_sbuffer_init (&sbuf);
    msgpack_packer_init (&pk, &sbuf, msgpack_sbuffer_write);
    msgpack_pack_map (&pk, 3);
    peer_pack_str (&pk, "id");
    msgpack_pack_uint64 (&pk, id);
    peer_pack_str (&pk, "ts");
    msgpack_pack_uint64 (&pk, (uint64_t) peer_time_ns ());
    peer_pack_str (&pk, "payload");
    msgpack_pack_bin (&pk, strlen (payload));
    msgpack_pack_bin_body (&pk, payload, strlen (payload));
    zframe_t *frame = zframe_new (sbuf.data, sbuf.size);
    msgpack_sbuffer_destroy (&sbuf);
    return frame;
}

//  Print bytes as text when printable, else as hex.
static inline void
peer_print_bytes (FILE *out, const char *data, size_t size)
{
    bool printable = true;
    for (size_t i = 0; i < size; i++)
        if (!isprint ((unsigned char) data [i]))
            printable = false;
    if (printable)
        fprintf (out, "%.*s", (int) size, data);
    else {
        fprintf (out, "hex:");
        for (size_t i = 0; i < size && i < 64; i++)
            fprintf (out, "%02x", (unsigned char) data [i]);
        if (size > 64)
            fprintf (out, "...");
    }
}

static inline void
peer_print_object (FILE *out, const msgpack_object *obj)
{
    switch (obj->type) {
        case MSGPACK_OBJECT_POSITIVE_INTEGER:
            fprintf (out, "%" PRIu64, obj->via.u64);
            break;
        case MSGPACK_OBJECT_NEGATIVE_INTEGER:
            fprintf (out, "%" PRId64, obj->via.i64);
            break;
        case MSGPACK_OBJECT_STR:
            peer_print_bytes (out, obj->via.str.ptr, obj->via.str.size);
            break;
        case MSGPACK_OBJECT_BIN:
            peer_print_bytes (out, obj->via.bin.ptr, obj->via.bin.size);
            break;
        case MSGPACK_OBJECT_NIL:
            fprintf (out, "nil");
            break;
        case MSGPACK_OBJECT_BOOLEAN:
            fprintf (out, "%s", obj->via.boolean ? "true" : "false");
            break;
        default:
            msgpack_object_print (out, *obj);
    }
}

//  Print one body frame as "key=value key=value" when it is a msgpack map
//  (what zlb puts in bodies), else as raw bytes: tests grep these lines.
static inline void
peer_print_body (FILE *out, const char *label, zframe_t *frame)
{
    msgpack_unpacked result;
    msgpack_unpacked_init (&result);
    size_t offset = 0;
    const char *data = (const char *) zframe_data (frame);
    size_t size = zframe_size (frame);
    fprintf (out, "%s:", label);
    if (msgpack_unpack_next (&result, data, size, &offset) == MSGPACK_UNPACK_SUCCESS
    &&  offset == size && result.data.type == MSGPACK_OBJECT_MAP) {
        msgpack_object_map *map = &result.data.via.map;
        if (map->size == 0)
            fprintf (out, " (empty map)");
        for (uint32_t i = 0; i < map->size; i++) {
            fprintf (out, " ");
            peer_print_object (out, &map->ptr [i].key);
            fprintf (out, "=");
            peer_print_object (out, &map->ptr [i].val);
        }
    }
    else {
        fprintf (out, " raw=");
        peer_print_bytes (out, data, size);
    }
    fprintf (out, "\n");
    msgpack_unpacked_destroy (&result);
}

//  The value under string key `key` in msgpack map `obj`, or NULL.
static inline const msgpack_object *
peer_map_get (const msgpack_object *obj, const char *key)
{
    if (obj->type != MSGPACK_OBJECT_MAP)
        return NULL;
    const msgpack_object_map *map = &obj->via.map;
    for (uint32_t i = 0; i < map->size; i++) {
        const msgpack_object *k = &map->ptr [i].key;
        if (k->type == MSGPACK_OBJECT_STR && k->via.str.size == strlen (key)
        &&  memcmp (k->via.str.ptr, key, k->via.str.size) == 0)
            return &map->ptr [i].val;
    }
    return NULL;
}

//  Read unsigned field `key` of a msgpack map body; 0 when absent/not a map.
static inline uint64_t
peer_map_uint (zframe_t *frame, const char *key)
{
    uint64_t value = 0;
    msgpack_unpacked result;
    msgpack_unpacked_init (&result);
    size_t offset = 0;
    if (msgpack_unpack_next (&result, (const char *) zframe_data (frame),
                             zframe_size (frame), &offset) == MSGPACK_UNPACK_SUCCESS) {
        const msgpack_object *field = peer_map_get (&result.data, key);
        if (field && field->type == MSGPACK_OBJECT_POSITIVE_INTEGER)
            value = field->via.u64;
    }
    msgpack_unpacked_destroy (&result);
    return value;
}

//  Name of a worker command byte, for printing.
static inline const char *
peer_command_name (zframe_t *frame)
{
    if (!frame || zframe_size (frame) != 1)
        return "MALFORMED";
    switch (zframe_data (frame) [0]) {
        case 1: return "READY";
        case 2: return "REQUEST";
        case 3: return "REPLY";
        case 4: return "HEARTBEAT";
        case 5: return "DISCONNECT";
        default: return "UNKNOWN";
    }
}

#endif
