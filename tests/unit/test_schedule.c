/*  test_schedule.c - the open-loop rate schedule and the payload check of
    zlb-stress (pure functions: no clock, no sockets).                    */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>
#include "schedule.h"
#include "payload.h"

static void
test_init_rejects_nonsense (void **state)
{
    (void) state;
    zlb_schedule_t s;
    assert_int_equal (zlb_schedule_init (&s, 0, 4, 0), -1);
    assert_int_equal (zlb_schedule_init (&s, -1, 4, 0), -1);
    assert_int_equal (zlb_schedule_init (&s, 100, 0, 0), -1);
    assert_int_equal (zlb_schedule_init (&s, 1.0 / 0.0, 4, 0), -1);
    assert_int_equal (zlb_schedule_init (&s, 100, 4, 0), 0);
}

static void
test_times_interleave_evenly (void **state)
{
    //  1000 req/s over 4 streams: one send every 1 ms in total, stream i at
    //  i ms, then every 4 ms.
    (void) state;
    zlb_schedule_t s;
    int64_t start = 5000000000LL;
    assert_int_equal (zlb_schedule_init (&s, 1000, 4, start), 0);
    assert_int_equal (zlb_schedule_time_ns (&s, 0, 0), start);
    assert_int_equal (zlb_schedule_time_ns (&s, 1, 0), start + 1000000);
    assert_int_equal (zlb_schedule_time_ns (&s, 3, 0), start + 3000000);
    assert_int_equal (zlb_schedule_time_ns (&s, 0, 1), start + 4000000);
    assert_int_equal (zlb_schedule_time_ns (&s, 2, 10), start + 42000000);
    //  Merged over streams, the sends are exactly 1 ms apart.
    int64_t last = -1;
    for (uint64_t k = 0; k < 100; k++)
        for (size_t i = 0; i < 4; i++) {
            int64_t t = zlb_schedule_time_ns (&s, i, k);
            if (last >= 0)
                assert_int_equal (t - last, 1000000);
            last = t;
        }
}

static void
test_due_counts (void **state)
{
    (void) state;
    zlb_schedule_t s;
    int64_t start = 1000;
    assert_int_equal (zlb_schedule_init (&s, 1000, 4, start), 0);
    assert_int_equal (zlb_schedule_due (&s, 0, start - 1), 0);
    assert_int_equal (zlb_schedule_due (&s, 0, start), 1);           //  due at exactly start
    assert_int_equal (zlb_schedule_due (&s, 1, start), 0);
    assert_int_equal (zlb_schedule_due (&s, 1, start + 999999), 0);
    assert_int_equal (zlb_schedule_due (&s, 1, start + 1000000), 1);
    assert_int_equal (zlb_schedule_due (&s, 0, start + 4000000 - 1), 1);
    assert_int_equal (zlb_schedule_due (&s, 0, start + 4000000), 2);
    //  One second in: 1000 sends in total, 250 per stream (+1 for stream 0 at t = 1 s).
    uint64_t total = 0;
    for (size_t i = 0; i < 4; i++)
        total += zlb_schedule_due (&s, i, start + 1000000000LL - 1);
    assert_int_equal (total, 1000);
}

static void
test_due_agrees_with_time (void **state)
{
    //  Odd rates and stream counts: due () and time_ns () never disagree,
    //  and the total rate holds over a long run.
    (void) state;
    const double rates [] = { 1, 7.5, 333, 12345.678, 250000 };
    const size_t streams [] = { 1, 3, 16, 7, 64 };
    for (size_t r = 0; r < 5; r++) {
        zlb_schedule_t s;
        assert_int_equal (zlb_schedule_init (&s, rates [r], streams [r], 123456789), 0);
        for (size_t i = 0; i < streams [r]; i++)
            for (uint64_t k = 0; k < 50; k++) {
                uint64_t kk = k * 977;
                int64_t t = zlb_schedule_time_ns (&s, i, kk);
                assert_int_equal (zlb_schedule_due (&s, i, t), kk + 1);
                assert_int_equal (zlb_schedule_due (&s, i, t - 1), kk);
                assert_true (zlb_schedule_time_ns (&s, i, kk + 1) > t);
            }
        //  Over 100 s the streams together are due rate * 100 (+-streams).
        int64_t until = 123456789 + 100000000000LL;
        uint64_t total = 0;
        for (size_t i = 0; i < streams [r]; i++)
            total += zlb_schedule_due (&s, i, until);
        double want = rates [r] * 100;
        assert_true ((double) total >= want - (double) streams [r] - 1);
        assert_true ((double) total <= want + (double) streams [r] + 1);
    }
}

static void
test_long_run_precision (void **state)
{
    //  A day at 1 M req/s: no drift from floating point.
    (void) state;
    zlb_schedule_t s;
    assert_int_equal (zlb_schedule_init (&s, 1000000, 10, 0), 0);
    uint64_t k = 8640000000ULL;            //  86.4 e9 requests over 10 streams
    assert_int_equal (zlb_schedule_time_ns (&s, 0, k), 86400LL * 1000000000LL);
    assert_int_equal (zlb_schedule_due (&s, 0, 86400LL * 1000000000LL), k + 1);
}

static void
test_payload_roundtrip (void **state)
{
    (void) state;
    uint8_t a [1031], b [1031];
    for (size_t size = 0; size <= sizeof (a); size += 13) {
        zlb_payload_fill (a, size, 3, 77);
        zlb_payload_fill (b, size, 3, 77);
        assert_memory_equal (a, b, size);            //  deterministic
        assert_true (zlb_payload_check (a, size, size, 3, 77));
        assert_false (zlb_payload_check (a, size, size + 1, 3, 77));   //  wrong length
        if (size >= 8) {
            assert_false (zlb_payload_check (a, size, size, 3, 78));   //  another request
            assert_false (zlb_payload_check (a, size, size, 4, 77));   //  another stream
            a [size - 1] ^= 0x01;                                      //  one flipped bit
            assert_false (zlb_payload_check (a, size, size, 3, 77));
        }
    }
    assert_true (zlb_payload_check (NULL, 0, 0, 1, 1));
    assert_false (zlb_payload_check (NULL, 5, 5, 1, 1));
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_init_rejects_nonsense),
        cmocka_unit_test (test_times_interleave_evenly),
        cmocka_unit_test (test_due_counts),
        cmocka_unit_test (test_due_agrees_with_time),
        cmocka_unit_test (test_long_run_precision),
        cmocka_unit_test (test_payload_roundtrip),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
