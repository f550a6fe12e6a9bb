/*  test_msgpack_guard.c - the bounded id peek the broker uses to answer
    errors (zlb_msgpack_peek_uint): it finds an early id, never reads past
    its limit, and survives hostile bytes.                                 */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <msgpack.h>
#include <stdlib.h>
#include <string.h>

#include "msgpack_guard.h"

#define S_LIMIT 256
//  A string literal of bytes and its length (it may hold NULs).
#define S_BYTES(literal) literal, sizeof (literal) - 1

static void
s_key (msgpack_packer *pk, const char *key)
{
    msgpack_pack_str (pk, strlen (key));
    msgpack_pack_str_body (pk, key, strlen (key));
}

//  {pad: bin(pad_size), id: 42} or, when id_first, {id: 42, pad: ...}.
static msgpack_sbuffer
s_body (size_t pad_size, bool id_first)
{
    msgpack_sbuffer sbuf;
    msgpack_packer pk;
    msgpack_sbuffer_init (&sbuf);
    msgpack_packer_init (&pk, &sbuf, msgpack_sbuffer_write);
    msgpack_pack_map (&pk, 2);
    char *pad = calloc (1, pad_size + 1);
    for (int pass = 0; pass < 2; pass++) {
        if ((pass == 0) == id_first) {
            s_key (&pk, "id");
            msgpack_pack_uint64 (&pk, 42);
        }
        else {
            s_key (&pk, "pad");
            msgpack_pack_bin (&pk, pad_size);
            msgpack_pack_bin_body (&pk, pad, pad_size);
        }
    }
    free (pad);
    return sbuf;
}

static bool
s_peek (const void *data, size_t size, uint64_t *id)
{
    *id = 0;
    return zlb_msgpack_peek_uint ((const uint8_t *) data, size, S_LIMIT, "id", id);
}

static void
test_early_id_found (void **state)
{
    (void) state;
    uint64_t id;
    msgpack_sbuffer big = s_body (1 << 20, true);
    assert_true (s_peek (big.data, big.size, &id));
    assert_int_equal (id, 42);
    msgpack_sbuffer_destroy (&big);
    msgpack_sbuffer small = s_body (10, false);          //  late, but inside the limit
    assert_true (s_peek (small.data, small.size, &id));
    assert_int_equal (id, 42);
    msgpack_sbuffer_destroy (&small);
}

static void
test_late_id_not_read (void **state)
{
    (void) state;
    uint64_t id;
    msgpack_sbuffer big = s_body (1 << 20, false);       //  id after 1 MiB
    assert_false (s_peek (big.data, big.size, &id));
    assert_int_equal (id, 0);
    msgpack_sbuffer_destroy (&big);
    //  The id's key ends inside the limit, its value just after: not found.
    for (size_t pad = S_LIMIT - 20; pad < S_LIMIT; pad++) {
        msgpack_sbuffer edge = s_body (pad, false);
        bool found = s_peek (edge.data, edge.size, &id);
        assert_true (found == (edge.size <= S_LIMIT));
        if (found)
            assert_int_equal (id, 42);
        msgpack_sbuffer_destroy (&edge);
    }
}

static void
test_hostile_bytes (void **state)
{
    (void) state;
    uint64_t id;
    static const struct { const char *bytes; size_t size; } cases [] = {
        { S_BYTES ("") },
        { S_BYTES ("\x81") },                                   //  map of 1, nothing after
        { S_BYTES ("\x81\xa2id") },                             //  key, no value
        { S_BYTES ("\x81\xa2id\xcf\x00\x01") },                 //  uint64 cut short
        { S_BYTES ("\x81\xa2id\xa1x") },                        //  id is a string
        { S_BYTES ("\x81\xa2id\xff") },                         //  id is negative
        { S_BYTES ("\x81\xa2id\xc0") },                         //  id is nil
        { S_BYTES ("\x92\xa2id\x01") },                         //  an array, not a map
        { S_BYTES ("\xdf\xff\xff\xff\xff\xa2id\x01") },         //  2^32 entries claimed, the first is id
        { S_BYTES ("\x82\xc6\xff\xff\xff\xff\xa2id\x01") },     //  bin claiming 4 GiB first
        { S_BYTES ("\x82\xdd\xff\xff\xff\xff\xa2id\x01") },     //  array claiming 2^32 items
        { S_BYTES ("\x82\x01\x02\xa2id\x07") },                 //  non-string key first: skipped
        { S_BYTES ("\x81\xc1\x01") },                           //  never-used type byte
        { S_BYTES ("\x81\xd9\xff\x69\x64") },                   //  str8 longer than the body
    };
    //  Only what it reads must be there: a lying count after the id is
    //  never looked at (nothing is allocated from it either way).
    bool expect [] = {false, false, false, false, false, false, false, false,
                      true, false, false, true, false, false};
    for (size_t index = 0; index < sizeof (cases) / sizeof (cases [0]); index++) {
        bool found = s_peek (cases [index].bytes, cases [index].size, &id);
        assert_true (found == expect [index]);
    }
    assert_true (s_peek (S_BYTES ("\x82\x01\x02\xa2id\x07"), &id));
    assert_int_equal (id, 7);
    assert_false (zlb_msgpack_peek_uint (NULL, 10, S_LIMIT, "id", &id));
}

static void
test_integer_widths (void **state)
{
    (void) state;
    uint64_t id;
    assert_true (s_peek (S_BYTES ("\x81\xa2id\xcc\xfe"), &id));
    assert_int_equal (id, 254);
    assert_true (s_peek (S_BYTES ("\x81\xa2id\xcd\x01\x00"), &id));
    assert_int_equal (id, 256);
    assert_true (s_peek (S_BYTES ("\x81\xa2id\xce\x00\x01\x00\x00"), &id));
    assert_int_equal (id, 65536);
    assert_true (s_peek (S_BYTES ("\x81\xa2id\xcf\x01\x00\x00\x00\x00\x00\x00\x00"), &id));
    assert_true (id == (uint64_t) 1 << 56);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_early_id_found),
        cmocka_unit_test (test_late_id_not_read),
        cmocka_unit_test (test_hostile_bytes),
        cmocka_unit_test (test_integer_widths),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
