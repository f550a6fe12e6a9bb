/*  test_credit_window.c - the adaptive worker's window rule (credit_window.h)
    with made-up service times and round trips: fast workers ask for as many
    as hide the round trip, slow ones stay strict, the window only moves
    after a few requests, and idle gaps never shrink it below what the
    round trip needs.                                                       */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include "credit_window.h"

#define US 1000LL                 //  ns

//  Serve `count` requests of service_ns each, each followed by a round
//  trip of rtt_ns (the worker held nothing else); the window after them.
static int
s_run (zlb_credit_window_t *window, int count, int64_t service_ns, int64_t rtt_ns)
{
    for (int index = 0; index < count; index++) {
        zlb_credit_window_served (window, service_ns);
        zlb_credit_window_update (window);
        zlb_credit_window_gap (window, rtt_ns);
    }
    return zlb_credit_window_update (window);
}

static void
test_starts_strict (void **state)
{
    (void) state;
    zlb_credit_window_t window;
    zlb_credit_window_init (&window, 8);
    assert_int_equal (zlb_credit_window_update (&window), 1);
    //  Measured a little: not enough to change.
    assert_int_equal (s_run (&window, 3, 5 * US, 100 * US), 1);
    //  A zero or negative ceiling still means one.
    zlb_credit_window_init (&window, 0);
    assert_int_equal (window.max, 1);
    assert_int_equal (s_run (&window, 50, 1 * US, 100 * US), 1);
}

static void
test_fast_worker_fills_to_max (void **state)
{
    (void) state;
    zlb_credit_window_t window;
    zlb_credit_window_init (&window, 8);
    //  5 us of work against a 100 us round trip: 1 + 20 wanted, 8 allowed.
    assert_int_equal (s_run (&window, 40, 5 * US, 100 * US), 8);
    zlb_credit_window_init (&window, 16);
    assert_int_equal (s_run (&window, 40, 5 * US, 100 * US), 16);
}

static void
test_hides_the_round_trip (void **state)
{
    (void) state;
    zlb_credit_window_t window;
    zlb_credit_window_init (&window, 8);
    //  40 us of work, 100 us round trip: 1 + ceil (100 / 40) = 4.
    assert_int_equal (s_run (&window, 40, 40 * US, 100 * US), 4);
    //  300 us of work, 100 us round trip: 1 + 1 = 2.
    zlb_credit_window_init (&window, 8);
    assert_int_equal (s_run (&window, 40, 300 * US, 100 * US), 2);
}

static void
test_slow_worker_stays_strict (void **state)
{
    (void) state;
    zlb_credit_window_t window;
    zlb_credit_window_init (&window, 8);
    //  30 ms of work, 100 us round trip: the trip costs 0.3 %: strict.
    assert_int_equal (s_run (&window, 100, 30000 * US, 100 * US), 1);
    //  Exactly a twentieth: still strict; a bit more: two.
    zlb_credit_window_init (&window, 8);
    assert_int_equal (s_run (&window, 40, 2000 * US, 100 * US), 1);
    zlb_credit_window_init (&window, 8);
    assert_int_equal (s_run (&window, 40, 1900 * US, 100 * US), 2);
}

static void
test_degraded_worker_shrinks (void **state)
{
    (void) state;
    zlb_credit_window_t window;
    zlb_credit_window_init (&window, 8);
    assert_int_equal (s_run (&window, 40, 5 * US, 100 * US), 8);
    //  It slows down to 30 ms per request: back to strict within a few
    //  dozen requests (the average must catch up first).
    assert_int_equal (s_run (&window, 40, 30000 * US, 100 * US), 1);
}

static void
test_no_round_trip_no_change (void **state)
{
    (void) state;
    zlb_credit_window_t window;
    zlb_credit_window_init (&window, 8);
    //  Requests served, but never a round-trip sample (always something
    //  queued): nothing to go on, the window stays.
    for (int index = 0; index < 100; index++) {
        zlb_credit_window_served (&window, 5 * US);
        zlb_credit_window_update (&window);
    }
    assert_int_equal (zlb_credit_window_update (&window), 1);
    assert_int_equal (zlb_credit_window_rtt (&window), 0);
}

static void
test_idle_gaps_do_not_lower_the_estimate (void **state)
{
    (void) state;
    zlb_credit_window_t window;
    zlb_credit_window_init (&window, 8);
    //  Strict, some samples are long idle waits for clients: the estimate
    //  keeps the smallest.
    for (int index = 0; index < 40; index++) {
        zlb_credit_window_gap (&window, 5000000 * US);
        zlb_credit_window_gap (&window, 100 * US);
    }
    assert_int_equal (zlb_credit_window_rtt (&window), 100 * US);
    assert_int_equal (s_run (&window, 20, 40 * US, 100 * US), 4);
    //  Ignored samples.
    zlb_credit_window_gap (&window, 0);
    zlb_credit_window_gap (&window, -5);
    assert_int_equal (zlb_credit_window_rtt (&window), 100 * US);
}

//  With more than one request in flight, the next one may have left the
//  broker before our reply arrived: a gap of microseconds is no round trip
//  and must not shrink the window (it did, before this rule).
static void
test_wide_window_gaps_ignored (void **state)
{
    (void) state;
    zlb_credit_window_t window;
    zlb_credit_window_init (&window, 8);
    assert_int_equal (s_run (&window, 40, 5 * US, 200 * US), 8);
    assert_int_equal (s_run (&window, 200, 5 * US, 5 * US), 8);
    assert_int_equal (zlb_credit_window_rtt (&window), 200 * US);
}

//  The estimate follows a round trip that grows while the window is 1.
static void
test_estimate_follows_a_slower_broker (void **state)
{
    (void) state;
    zlb_credit_window_t window;
    zlb_credit_window_init (&window, 8);
    //  2 ms of work, 50 us round trip: strict.
    assert_int_equal (s_run (&window, 40, 2000 * US, 50 * US), 1);
    //  The round trip grows to 400 us for good: once a whole epoch saw
    //  nothing smaller, 1 + ceil (400 / 2000) = 2.
    assert_int_equal (s_run (&window, 80, 2000 * US, 400 * US), 2);
    assert_int_equal (zlb_credit_window_rtt (&window), 400 * US);
}

//  Just after the window shrank to 1, requests sent under the old one may
//  still come at once: those gaps do not count either.
static void
test_gaps_after_a_shrink_ignored (void **state)
{
    (void) state;
    zlb_credit_window_t window;
    zlb_credit_window_init (&window, 8);
    assert_int_equal (s_run (&window, 40, 5 * US, 100 * US), 8);
    for (int index = 0; index < 8; index++) {
        zlb_credit_window_served (&window, 30000 * US);
        zlb_credit_window_update (&window);
    }
    assert_int_equal (window.window, 1);
    zlb_credit_window_gap (&window, 5 * US);          //  was already on its way
    assert_int_equal (zlb_credit_window_rtt (&window), 100 * US);
}

//  Small shrinks are not worth a message; to half or less, or to 1, are.
static void
test_small_shrinks_ignored (void **state)
{
    (void) state;
    zlb_credit_window_t window;
    zlb_credit_window_init (&window, 8);
    assert_int_equal (s_run (&window, 40, 5 * US, 200 * US), 8);
    assert_int_equal (s_run (&window, 40, 50 * US, 200 * US), 8);     //  wants 5
    //  Wants 3 at last; on the way the average passes a point where it
    //  wanted 4, half of 8, and took it; 3 is not half of 4.
    assert_int_equal (s_run (&window, 40, 100 * US, 200 * US), 4);
}

//  A worker preempted now and then: every fourth request takes 40x as long.
//  The window stays put instead of following each spike.
static void
test_wobbly_service_does_not_flap (void **state)
{
    (void) state;
    zlb_credit_window_t window;
    zlb_credit_window_init (&window, 8);
    assert_int_equal (s_run (&window, 40, 5 * US, 200 * US), 8);
    int changes = 0, last = 8;
    for (int index = 0; index < 400; index++) {
        int now = s_run (&window, 1, index % 4 == 0 ? 200 * US : 5 * US, 200 * US);
        changes += now != last;
        last = now;
    }
    assert_true (changes <= 2);
}

static void
test_changes_are_spaced (void **state)
{
    (void) state;
    zlb_credit_window_t window;
    zlb_credit_window_init (&window, 8);
    //  The eighth request is the first that may change it.
    assert_int_equal (s_run (&window, 7, 5 * US, 100 * US), 1);
    assert_int_equal (s_run (&window, 1, 5 * US, 100 * US), 8);
    //  It just changed: the next seven requests keep it, however slow;
    //  then eight in a row must want the smaller window.
    for (int index = 0; index < 14; index++) {
        zlb_credit_window_served (&window, 30000 * US);
        assert_int_equal (zlb_credit_window_update (&window), 8);
    }
    zlb_credit_window_served (&window, 30000 * US);
    assert_int_equal (zlb_credit_window_update (&window), 1);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_starts_strict),
        cmocka_unit_test (test_fast_worker_fills_to_max),
        cmocka_unit_test (test_hides_the_round_trip),
        cmocka_unit_test (test_slow_worker_stays_strict),
        cmocka_unit_test (test_degraded_worker_shrinks),
        cmocka_unit_test (test_no_round_trip_no_change),
        cmocka_unit_test (test_idle_gaps_do_not_lower_the_estimate),
        cmocka_unit_test (test_wide_window_gaps_ignored),
        cmocka_unit_test (test_gaps_after_a_shrink_ignored),
        cmocka_unit_test (test_estimate_follows_a_slower_broker),
        cmocka_unit_test (test_small_shrinks_ignored),
        cmocka_unit_test (test_wobbly_service_does_not_flap),
        cmocka_unit_test (test_changes_are_spaced),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
