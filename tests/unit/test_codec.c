/*  test_codec.c - msgpack bodies round-trip, and hostile bytes are refused. */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <msgpack.h>
#include <string.h>

#include "zlb/zlb.h"

static zframe_t *
s_frame_from (const void *data, size_t size)
{
    return zframe_new (data, size);
}

//  Packs whatever the callback writes into a frame.
static zframe_t *
s_packed (void (*fill) (msgpack_packer *pk))
{
    msgpack_sbuffer buffer;
    msgpack_sbuffer_init (&buffer);
    msgpack_packer packer;
    msgpack_packer_init (&packer, &buffer, msgpack_sbuffer_write);
    fill (&packer);
    zframe_t *frame = zframe_new (buffer.data, buffer.size);
    msgpack_sbuffer_destroy (&buffer);
    return frame;
}

static void
s_key (msgpack_packer *pk, const char *key)
{
    msgpack_pack_str (pk, strlen (key));
    msgpack_pack_str_body (pk, key, strlen (key));
}

static void
test_request_round_trip (void **state)
{
    (void) state;
    uint8_t payload [300];
    for (size_t index = 0; index < sizeof payload; index++)
        payload [index] = (uint8_t) index;
    zlb_request_t in = {.id = 42, .ts = 1234567890123ULL, .attempt = 2,
                        .payload = payload, .payload_size = sizeof payload};
    zframe_t *frame = zlb_request_encode (&in);
    assert_non_null (frame);

    zlb_request_t out;
    assert_int_equal (zlb_request_decode (frame, &out, NULL), 0);
    assert_int_equal (out.id, 42);
    assert_int_equal (out.ts, 1234567890123ULL);
    assert_int_equal (out.attempt, 2);
    assert_int_equal (out.payload_size, sizeof payload);
    assert_memory_equal (out.payload, payload, sizeof payload);
    //  Zero copy: the payload points into the frame.
    assert_true (out.payload >= zframe_data (frame)
              && out.payload < zframe_data (frame) + zframe_size (frame));
    assert_int_equal (zlb_request_peek_id (frame), 42);
    zframe_destroy (&frame);
}

static void
test_request_empty_payload (void **state)
{
    (void) state;
    zlb_request_t in = {.id = 1, .ts = 0, .attempt = 1};
    zframe_t *frame = zlb_request_encode (&in);
    zlb_request_t out;
    assert_int_equal (zlb_request_decode (frame, &out, NULL), 0);
    assert_int_equal (out.payload_size, 0);
    zframe_destroy (&frame);
}

static void
test_reply_and_confirm_round_trip (void **state)
{
    (void) state;
    zlb_reply_t reply = {.id = 7, .payload = (const uint8_t *) "hello", .payload_size = 5};
    zframe_t *frame = zlb_reply_encode (&reply);
    zlb_reply_t reply_out;
    assert_int_equal (zlb_reply_decode (frame, &reply_out, NULL), 0);
    assert_int_equal (reply_out.id, 7);
    assert_int_equal (reply_out.payload_size, 5);
    assert_memory_equal (reply_out.payload, "hello", 5);
    zframe_destroy (&frame);

    zlb_confirm_t confirm = {.id = 7, .status = 200, .worker = "host-12#1",
                             .t_recv = 1000, .t_send = 2500, .attempt = 3,
                             .error = "ignored when ok"};
    frame = zlb_confirm_encode (&confirm);
    zlb_confirm_t out;
    assert_int_equal (zlb_confirm_decode (frame, &out, NULL), 0);
    assert_int_equal (out.id, 7);
    assert_int_equal (out.status, 200);
    assert_string_equal (out.worker, "host-12#1");
    assert_int_equal (out.t_recv, 1000);
    assert_int_equal (out.t_send, 2500);
    assert_int_equal (out.attempt, 3);
    assert_null (out.error);
    zframe_destroy (&frame);
}

static void
test_error_reply (void **state)
{
    (void) state;
    zmsg_t *msg = zlb_error_reply_new (99, ZLB_STATUS_BUSY, "broker", "queue full");
    assert_non_null (msg);
    assert_int_equal (zmsg_size (msg), 2);
    zframe_t *reply_frame = zmsg_first (msg);
    zframe_t *confirm_frame = zmsg_next (msg);
    zlb_reply_t reply;
    zlb_confirm_t confirm;
    assert_int_equal (zlb_reply_decode (reply_frame, &reply, NULL), 0);
    assert_int_equal (reply.id, 99);
    assert_null (reply.payload);
    assert_int_equal (zlb_confirm_decode (confirm_frame, &confirm, NULL), 0);
    assert_int_equal (confirm.status, 503);
    assert_string_equal (confirm.worker, "broker");
    assert_string_equal (confirm.error, "queue full");
    zmsg_destroy (&msg);
}

//  Hostile inputs: each must be refused with a reason, never crash.
static void
s_expect_request_refused (const void *data, size_t size)
{
    zframe_t *frame = s_frame_from (data, size);
    zlb_request_t request;
    const char *err = NULL;
    assert_int_equal (zlb_request_decode (frame, &request, &err), -1);
    assert_non_null (err);
    assert_int_equal (zlb_request_peek_id (frame), 0);
    zframe_destroy (&frame);
}

static void
test_garbage_refused (void **state)
{
    (void) state;
    s_expect_request_refused ("", 0);
    s_expect_request_refused ("hello world", 11);
    s_expect_request_refused ("\xc1", 1);                 //  never-used byte
    s_expect_request_refused ("\x81\xa2id", 4);           //  truncated map
    s_expect_request_refused ("\xdf\xff\xff\xff\xff", 5); //  map claiming 4G pairs
    s_expect_request_refused ("\x2a", 1);                 //  a bare integer
    s_expect_request_refused ("\x80", 1);                 //  empty map: no id
    s_expect_request_refused ("\xc6\xff\xff\xff\xff", 5); //  bin claiming 4 GiB
    zframe_t *null_frame = NULL;
    zlb_request_t request;
    assert_int_equal (zlb_request_decode (null_frame, &request, NULL), -1);
}

static void
s_fill_wrong_types (msgpack_packer *pk)
{
    msgpack_pack_map (pk, 2);
    s_key (pk, "id");      msgpack_pack_str (pk, 2); msgpack_pack_str_body (pk, "42", 2);
    s_key (pk, "payload"); msgpack_pack_bin (pk, 1); msgpack_pack_bin_body (pk, "x", 1);
}

static void
s_fill_negative_id (msgpack_packer *pk)
{
    msgpack_pack_map (pk, 1);
    s_key (pk, "id"); msgpack_pack_int64 (pk, -5);
}

static void
s_fill_trailing (msgpack_packer *pk)
{
    msgpack_pack_map (pk, 1);
    s_key (pk, "id"); msgpack_pack_uint64 (pk, 5);
    msgpack_pack_nil (pk);                 //  a second object after the map
}

//  Unknown keys, non-string keys and str payloads are tolerated.
static void
s_fill_tolerated (msgpack_packer *pk)
{
    msgpack_pack_map (pk, 4);
    s_key (pk, "id");      msgpack_pack_uint64 (pk, 9);
    s_key (pk, "payload"); msgpack_pack_str (pk, 3); msgpack_pack_str_body (pk, "abc", 3);
    s_key (pk, "extra");   msgpack_pack_array (pk, 0);
    msgpack_pack_int (pk, 17); msgpack_pack_true (pk);
}

static void
test_schema_checks (void **state)
{
    (void) state;
    zlb_request_t request;
    const char *err = NULL;
    zframe_t *frame = s_packed (s_fill_wrong_types);
    assert_int_equal (zlb_request_decode (frame, &request, &err), -1);
    assert_string_equal (err, "id must be a positive integer");
    zframe_destroy (&frame);

    frame = s_packed (s_fill_negative_id);
    assert_int_equal (zlb_request_decode (frame, &request, &err), -1);
    zframe_destroy (&frame);

    frame = s_packed (s_fill_trailing);
    assert_int_equal (zlb_request_decode (frame, &request, &err), -1);
    assert_string_equal (err, "trailing bytes after the map");
    zframe_destroy (&frame);

    frame = s_packed (s_fill_tolerated);
    assert_int_equal (zlb_request_decode (frame, &request, &err), 0);
    assert_int_equal (request.id, 9);
    assert_int_equal (request.attempt, 1);
    assert_memory_equal (request.payload, "abc", 3);
    zframe_destroy (&frame);
}

static void
s_fill_long_worker (msgpack_packer *pk)
{
    char name [100];
    memset (name, 'w', sizeof name);
    msgpack_pack_map (pk, 3);
    s_key (pk, "id");     msgpack_pack_uint64 (pk, 1);
    s_key (pk, "status"); msgpack_pack_int (pk, 200);
    s_key (pk, "worker"); msgpack_pack_str (pk, sizeof name);
    msgpack_pack_str_body (pk, name, sizeof name);
}

static void
s_fill_bad_status (msgpack_packer *pk)
{
    msgpack_pack_map (pk, 2);
    s_key (pk, "id");     msgpack_pack_uint64 (pk, 1);
    s_key (pk, "status"); msgpack_pack_int (pk, 42);
}

static void
test_confirm_checks (void **state)
{
    (void) state;
    zlb_confirm_t confirm;
    const char *err = NULL;
    zframe_t *frame = s_packed (s_fill_long_worker);
    assert_int_equal (zlb_confirm_decode (frame, &confirm, &err), -1);
    zframe_destroy (&frame);
    frame = s_packed (s_fill_bad_status);
    assert_int_equal (zlb_confirm_decode (frame, &confirm, &err), -1);
    zframe_destroy (&frame);
    frame = s_frame_from ("\x81\xa2id\x01", 5);   //  no status
    assert_int_equal (zlb_confirm_decode (frame, &confirm, &err), -1);
    assert_string_equal (err, "missing status");
    zframe_destroy (&frame);
}

//  Every prefix and every single-byte corruption of a valid body decodes
//  or fails cleanly (run under valgrind/ASan this proves no overread).
static void
test_truncations_and_flips (void **state)
{
    (void) state;
    zlb_request_t in = {.id = 77, .ts = 5, .attempt = 1,
                        .payload = (const uint8_t *) "payload!", .payload_size = 8};
    zframe_t *good = zlb_request_encode (&in);
    size_t size = zframe_size (good);
    byte *bytes = zframe_data (good);
    for (size_t cut = 0; cut < size; cut++) {
        zframe_t *frame = s_frame_from (bytes, cut);
        zlb_request_t out;
        assert_int_equal (zlb_request_decode (frame, &out, NULL), -1);
        zframe_destroy (&frame);
    }
    for (size_t at = 0; at < size; at++)
        for (int bit = 0; bit < 8; bit++) {
            zframe_t *frame = zframe_dup (good);
            zframe_data (frame) [at] ^= (byte) (1 << bit);
            zlb_request_t out;
            if (zlb_request_decode (frame, &out, NULL) == 0)
                assert_true (out.payload_size <= size);
            zframe_destroy (&frame);
        }
    zframe_destroy (&good);
}

static void
test_status_text (void **state)
{
    (void) state;
    assert_string_equal (zlb_status_text (200), "ok");
    assert_string_equal (zlb_status_text (503), "busy");
    assert_string_equal (zlb_status_text (504), "no worker");
    assert_string_equal (zlb_status_text (123), "unknown");
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_request_round_trip),
        cmocka_unit_test (test_request_empty_payload),
        cmocka_unit_test (test_reply_and_confirm_round_trip),
        cmocka_unit_test (test_error_reply),
        cmocka_unit_test (test_garbage_refused),
        cmocka_unit_test (test_schema_checks),
        cmocka_unit_test (test_confirm_checks),
        cmocka_unit_test (test_truncations_and_flips),
        cmocka_unit_test (test_status_text),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
