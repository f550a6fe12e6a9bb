/*  codec.c - msgpack bodies: request, reply and confirmation maps.

    Encoders pack twice: once into a counter to learn the exact size, then
    straight into a frame of that size, so a body costs one allocation and
    one copy of the payload. Decoders use msgpack-c's unpacker, whose str
    and bin objects point into the input, so payloads are not copied.     */

#include "codec_msg.h"
#include "msgpack_guard.h"
#include "msgpack_put.h"
#include "zlb/zlb.h"

#include <msgpack.h>
#include <errno.h>
#include <string.h>

//  --------------------------------------------------------------------------
//  Encoding

typedef struct {
    uint8_t *data;                //  destination, NULL while only counting
    size_t size;                  //  bytes written (or counted) so far
} s_sink_t;

static int
s_sink_write (void *data, const char *buf, size_t len)
{
    s_sink_t *sink = (s_sink_t *) data;
    if (sink->data)
        memcpy (sink->data + sink->size, buf, len);
    sink->size += len;
    return 0;
}

typedef void (s_pack_fn) (msgpack_packer *pk, const void *body);

//  Runs pack to count the bytes of the body.
static size_t
s_encoded_size (s_pack_fn *pack, const void *body)
{
    s_sink_t sink = {NULL, 0};
    msgpack_packer packer;
    msgpack_packer_init (&packer, &sink, s_sink_write);
    pack (&packer, body);
    return sink.size;
}

//  Runs pack again into data, which holds exactly the counted bytes.
static void
s_encode_into (s_pack_fn *pack, const void *body, void *data)
{
    s_sink_t sink = {(uint8_t *) data, 0};
    msgpack_packer packer;
    msgpack_packer_init (&packer, &sink, s_sink_write);
    pack (&packer, body);
}

//  Runs pack once to count and once to fill an exact-size frame.
static zframe_t *
s_encode (s_pack_fn *pack, const void *body)
{
    if (!body) {
        errno = EINVAL;
        return NULL;
    }
    zframe_t *frame = zframe_new (NULL, s_encoded_size (pack, body));
    if (frame)
        s_encode_into (pack, body, zframe_data (frame));
    return frame;
}

//  The same into a zmq_msg_t (left empty on failure).
static int
s_encode_msg (zmq_msg_t *frame, s_pack_fn *pack, const void *body)
{
    zmq_msg_init (frame);
    if (!body) {
        errno = EINVAL;
        return -1;
    }
    if (zmq_msg_init_size (frame, s_encoded_size (pack, body)) == -1) {
        zmq_msg_init (frame);
        errno = ENOMEM;
        return -1;
    }
    s_encode_into (pack, body, zmq_msg_data (frame));
    return 0;
}

static void
s_pack_request (msgpack_packer *pk, const void *body)
{
    const zlb_request_t *request = (const zlb_request_t *) body;
    msgpack_pack_map (pk, 4);
    zlb_put_key (pk, "id");       msgpack_pack_uint64 (pk, request->id);
    zlb_put_key (pk, "ts");       msgpack_pack_uint64 (pk, request->ts);
    zlb_put_key (pk, "attempt");  msgpack_pack_uint32 (pk, request->attempt);
    zlb_put_bin (pk, "payload", request->payload, request->payload_size);
}

static void
s_pack_reply (msgpack_packer *pk, const void *body)
{
    const zlb_reply_t *reply = (const zlb_reply_t *) body;
    msgpack_pack_map (pk, reply->payload ? 2 : 1);
    zlb_put_key (pk, "id");
    msgpack_pack_uint64 (pk, reply->id);
    if (reply->payload)
        zlb_put_bin (pk, "payload", reply->payload, reply->payload_size);
}

static void
s_pack_confirm (msgpack_packer *pk, const void *body)
{
    const zlb_confirm_t *confirm = (const zlb_confirm_t *) body;
    bool has_error = confirm->error && confirm->status != ZLB_STATUS_OK;
    msgpack_pack_map (pk, has_error ? 7 : 6);
    zlb_put_key (pk, "id");       msgpack_pack_uint64 (pk, confirm->id);
    zlb_put_key (pk, "status");   msgpack_pack_int (pk, confirm->status);
    zlb_put_text (pk, "worker", confirm->worker ? confirm->worker : "");
    zlb_put_key (pk, "t_recv");   msgpack_pack_int64 (pk, confirm->t_recv);
    zlb_put_key (pk, "t_send");   msgpack_pack_int64 (pk, confirm->t_send);
    zlb_put_key (pk, "attempt");  msgpack_pack_uint32 (pk, confirm->attempt);
    if (has_error)
        zlb_put_text (pk, "error", confirm->error);
}

zframe_t *
zlb_request_encode (const zlb_request_t *request)
{
    return s_encode (s_pack_request, request);
}

zframe_t *
zlb_reply_encode (const zlb_reply_t *reply)
{
    return s_encode (s_pack_reply, reply);
}

zframe_t *
zlb_confirm_encode (const zlb_confirm_t *confirm)
{
    return s_encode (s_pack_confirm, confirm);
}

int
zlb_request_encode_msg (zmq_msg_t *frame, const zlb_request_t *request)
{
    return s_encode_msg (frame, s_pack_request, request);
}

int
zlb_reply_encode_msg (zmq_msg_t *frame, const zlb_reply_t *reply)
{
    return s_encode_msg (frame, s_pack_reply, reply);
}

int
zlb_confirm_encode_msg (zmq_msg_t *frame, const zlb_confirm_t *confirm)
{
    return s_encode_msg (frame, s_pack_confirm, confirm);
}

int
zlb_error_reply_msg (zmq_msg_t frames [2], uint64_t id, int status, const char *worker,
                     const char *error)
{
    zlb_reply_t reply = {id, NULL, 0};
    zlb_confirm_t confirm = {.id = id, .status = status, .worker = worker,
                             .attempt = 0, .error = error};
    int rc_reply = zlb_reply_encode_msg (&frames [0], &reply);
    int rc_confirm = zlb_confirm_encode_msg (&frames [1], &confirm);
    if (rc_reply == 0 && rc_confirm == 0)
        return 0;
    zmq_msg_close (&frames [0]);
    zmq_msg_close (&frames [1]);
    zmq_msg_init (&frames [0]);
    zmq_msg_init (&frames [1]);
    errno = ENOMEM;
    return -1;
}

zmsg_t *
zlb_error_reply_new (uint64_t id, int status, const char *worker, const char *error)
{
    zlb_reply_t reply = {id, NULL, 0};
    zlb_confirm_t confirm = {.id = id, .status = status, .worker = worker,
                             .attempt = 0, .error = error};
    zmsg_t *msg = zmsg_new ();
    zframe_t *reply_frame = zlb_reply_encode (&reply);
    zframe_t *confirm_frame = zlb_confirm_encode (&confirm);
    if (!msg || !reply_frame || !confirm_frame) {
        zmsg_destroy (&msg);
        zframe_destroy (&reply_frame);
        zframe_destroy (&confirm_frame);
        return NULL;
    }
    zmsg_append (msg, &reply_frame);
    zmsg_append (msg, &confirm_frame);
    return msg;
}

//  --------------------------------------------------------------------------
//  Decoding

//  A decoder given nowhere to decode to: -1, errno EINVAL.
static int
s_no_output (const void *out, const char **err)
{
    if (out)
        return 0;
    if (err)
        *err = "no output structure";
    errno = EINVAL;
    return -1;
}

//  Calls visit for each key/value of a map that fills the whole frame.
typedef int (s_visit_fn) (void *out, const msgpack_object_str *key,
                          const msgpack_object *value, const char **err);

static int
s_decode_map (const uint8_t *data, size_t size, s_visit_fn *visit, void *out, const char **err)
{
    const char *dummy;
    if (!err)
        err = &dummy;
    if (!data || size == 0) {
        *err = "empty body";
        return -1;
    }
    //  Sizes first: msgpack-c allocates from header counts before reading.
    if (!zlb_msgpack_bounded (data, size)) {
        *err = "not msgpack (or sizes larger than the body)";
        return -1;
    }
    msgpack_unpacked unpacked;
    msgpack_unpacked_init (&unpacked);
    size_t offset = 0;
    int rc = -1;
    msgpack_unpack_return ret = msgpack_unpack_next (
        &unpacked, (const char *) data, size, &offset);
    if (ret != MSGPACK_UNPACK_SUCCESS)
        *err = "not msgpack";
    else
    if (offset != size)
        *err = "trailing bytes after the map";
    else
    if (unpacked.data.type != MSGPACK_OBJECT_MAP)
        *err = "body is not a map";
    else {
        rc = 0;
        msgpack_object_map *map = &unpacked.data.via.map;
        for (uint32_t index = 0; index < map->size && rc == 0; index++) {
            msgpack_object *key = &map->ptr [index].key;
            if (key->type != MSGPACK_OBJECT_STR)
                continue;          //  not ours: ignore, as with unknown names
            rc = visit (out, &key->via.str, &map->ptr [index].val, err);
        }
    }
    msgpack_unpacked_destroy (&unpacked);
    return rc;
}

static bool
s_key_is (const msgpack_object_str *key, const char *name)
{
    return key->size == strlen (name) && memcmp (key->ptr, name, key->size) == 0;
}

static int
s_get_uint (const msgpack_object *value, uint64_t max, uint64_t *out)
{
    if (value->type != MSGPACK_OBJECT_POSITIVE_INTEGER || value->via.u64 > max)
        return -1;
    *out = value->via.u64;
    return 0;
}

static int
s_get_int (const msgpack_object *value, int64_t *out)
{
    if (value->type == MSGPACK_OBJECT_NEGATIVE_INTEGER)
        *out = value->via.i64;
    else
    if (value->type == MSGPACK_OBJECT_POSITIVE_INTEGER && value->via.u64 <= INT64_MAX)
        *out = (int64_t) value->via.u64;
    else
        return -1;
    return 0;
}

//  Payloads may be bin (ours) or str (what many msgpack writers emit).
static int
s_get_bytes (const msgpack_object *value, const uint8_t **data, size_t *size)
{
    if (value->type == MSGPACK_OBJECT_BIN) {
        *data = (const uint8_t *) value->via.bin.ptr;
        *size = value->via.bin.size;
    }
    else
    if (value->type == MSGPACK_OBJECT_STR) {
        *data = (const uint8_t *) value->via.str.ptr;
        *size = value->via.str.size;
    }
    else
    if (value->type == MSGPACK_OBJECT_NIL) {
        *data = NULL;
        *size = 0;
    }
    else
        return -1;
    return 0;
}

//  Copies a str value into buf (NUL-terminated); too long is an error.
static int
s_get_text (const msgpack_object *value, char *buf, size_t bufsize)
{
    if (value->type != MSGPACK_OBJECT_STR || value->via.str.size >= bufsize)
        return -1;
    memcpy (buf, value->via.str.ptr, value->via.str.size);
    buf [value->via.str.size] = 0;
    return 0;
}

#define S_FAIL(text) do { *err = (text); return -1; } while (0)

//  s_decode_map, with errno EINVAL when the frame is not what it should be.
static int
s_decode (const void *data, size_t size, s_visit_fn *visit, void *out, const char **err)
{
    int rc = s_decode_map ((const uint8_t *) data, size, visit, out, err);
    if (rc)
        errno = EINVAL;
    return rc;
}

static int
s_visit_request (void *out, const msgpack_object_str *key,
                 const msgpack_object *value, const char **err)
{
    zlb_request_t *request = (zlb_request_t *) out;
    uint64_t number;
    if (s_key_is (key, "id")) {
        if (s_get_uint (value, UINT64_MAX, &request->id) || request->id == 0)
            S_FAIL ("id must be a positive integer");
    }
    else
    if (s_key_is (key, "ts")) {
        if (s_get_uint (value, UINT64_MAX, &request->ts))
            S_FAIL ("ts must be an unsigned integer");
    }
    else
    if (s_key_is (key, "attempt")) {
        if (s_get_uint (value, UINT32_MAX, &number))
            S_FAIL ("attempt must be an unsigned integer");
        request->attempt = (uint32_t) number;
    }
    else
    if (s_key_is (key, "payload")) {
        if (s_get_bytes (value, &request->payload, &request->payload_size))
            S_FAIL ("payload must be bin or str");
    }
    return 0;
}

int
zlb_request_decode_mem (const void *data, size_t size, zlb_request_t *request,
                        const char **err)
{
    const char *dummy;
    if (!err)
        err = &dummy;
    if (s_no_output (request, err))
        return -1;
    memset (request, 0, sizeof *request);
    request->attempt = 1;
    if (s_decode (data, size, s_visit_request, request, err))
        return -1;
    if (request->id == 0) {
        errno = EINVAL;
        S_FAIL ("missing id");
    }
    return 0;
}

static int
s_visit_reply (void *out, const msgpack_object_str *key,
               const msgpack_object *value, const char **err)
{
    zlb_reply_t *reply = (zlb_reply_t *) out;
    if (s_key_is (key, "id")) {
        if (s_get_uint (value, UINT64_MAX, &reply->id))
            S_FAIL ("id must be an unsigned integer");
    }
    else
    if (s_key_is (key, "payload")) {
        if (s_get_bytes (value, &reply->payload, &reply->payload_size))
            S_FAIL ("payload must be bin or str");
    }
    return 0;
}

int
zlb_reply_decode_mem (const void *data, size_t size, zlb_reply_t *reply, const char **err)
{
    if (s_no_output (reply, err))
        return -1;
    memset (reply, 0, sizeof *reply);
    return s_decode (data, size, s_visit_reply, reply, err);
}

static int
s_visit_confirm (void *out, const msgpack_object_str *key,
                 const msgpack_object *value, const char **err)
{
    zlb_confirm_t *confirm = (zlb_confirm_t *) out;
    uint64_t number;
    if (s_key_is (key, "id")) {
        if (s_get_uint (value, UINT64_MAX, &confirm->id))
            S_FAIL ("id must be an unsigned integer");
    }
    else
    if (s_key_is (key, "status")) {
        if (s_get_uint (value, 999, &number) || number < 100)
            S_FAIL ("status must be an integer 100..999");
        confirm->status = (int) number;
    }
    else
    if (s_key_is (key, "worker")) {
        if (s_get_text (value, confirm->worker_buf, sizeof confirm->worker_buf))
            S_FAIL ("worker must be a string of at most 64 bytes");
    }
    else
    if (s_key_is (key, "t_recv")) {
        if (s_get_int (value, &confirm->t_recv))
            S_FAIL ("t_recv must be an integer");
    }
    else
    if (s_key_is (key, "t_send")) {
        if (s_get_int (value, &confirm->t_send))
            S_FAIL ("t_send must be an integer");
    }
    else
    if (s_key_is (key, "attempt")) {
        if (s_get_uint (value, UINT32_MAX, &number))
            S_FAIL ("attempt must be an unsigned integer");
        confirm->attempt = (uint32_t) number;
    }
    else
    if (s_key_is (key, "error")) {
        if (s_get_text (value, confirm->error_buf, sizeof confirm->error_buf))
            S_FAIL ("error must be a string of at most 255 bytes");
        confirm->error = confirm->error_buf;
    }
    return 0;
}

int
zlb_confirm_decode_mem (const void *data, size_t size, zlb_confirm_t *confirm,
                        const char **err)
{
    const char *dummy;
    if (!err)
        err = &dummy;
    if (s_no_output (confirm, err))
        return -1;
    memset (confirm, 0, sizeof *confirm);
    confirm->worker = confirm->worker_buf;
    if (s_decode (data, size, s_visit_confirm, confirm, err))
        return -1;
    if (confirm->status == 0) {
        errno = EINVAL;
        S_FAIL ("missing status");
    }
    if (confirm->status == ZLB_STATUS_OK)
        confirm->error = NULL;
    return 0;
}

//  The zframe_t decoders of zlb/codec.h: the same on the frame's bytes.
static const void *
s_data (zframe_t *frame)
{
    return frame ? zframe_data (frame) : NULL;
}

static size_t
s_size (zframe_t *frame)
{
    return frame ? zframe_size (frame) : 0;
}

int
zlb_request_decode (zframe_t *frame, zlb_request_t *request, const char **err)
{
    return zlb_request_decode_mem (s_data (frame), s_size (frame), request, err);
}

int
zlb_reply_decode (zframe_t *frame, zlb_reply_t *reply, const char **err)
{
    return zlb_reply_decode_mem (s_data (frame), s_size (frame), reply, err);
}

int
zlb_confirm_decode (zframe_t *frame, zlb_confirm_t *confirm, const char **err)
{
    return zlb_confirm_decode_mem (s_data (frame), s_size (frame), confirm, err);
}

uint64_t
zlb_request_peek_id (zframe_t *frame)
{
    zlb_request_t request;
    return zlb_request_decode (frame, &request, NULL) == 0 ? request.id : 0;
}
