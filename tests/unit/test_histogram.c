/*  test_histogram.c - the zlb-stress HDR histogram against a sorted-array
    reference: percentiles, bounds and clamping, merging across threads.  */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "histogram.h"

#define LOWEST  1000LL              //  1 us in ns, as zlb-stress uses it
#define HIGHEST 60000000000LL       //  60 s in ns

static uint64_t s_rng = 0x12345678abcdefULL;

static uint64_t
s_random (void)
{
    //  xorshift64*: reproducible across runs and platforms.
    s_rng ^= s_rng >> 12;
    s_rng ^= s_rng << 25;
    s_rng ^= s_rng >> 27;
    return s_rng * 0x2545F4914F6CDD1DULL;
}

//  Log-uniform over [1 us, 60 s]: exercises every magnitude.
static int64_t
s_random_value (void)
{
    double u = (double) (s_random () >> 11) / (double) (1ULL << 53);
    return (int64_t) exp (log ((double) LOWEST) + u * (log ((double) HIGHEST) - log ((double) LOWEST)));
}

static int
s_cmp (const void *a, const void *b)
{
    int64_t x = *(const int64_t *) a, y = *(const int64_t *) b;
    return (x > y) - (x < y);
}

//  The value at percentile p of a sorted array, by the same rank rule.
static int64_t
s_reference (const int64_t *sorted, size_t n, double p)
{
    size_t rank = (size_t) ceil (p / 100.0 * (double) n);
    if (rank < 1)
        rank = 1;
    return sorted [rank - 1];
}

static void
s_check_percentiles (zlb_histogram_t *hist, int64_t *values, size_t n)
{
    qsort (values, n, sizeof (int64_t), s_cmp);
    const double ps [] = { 0, 1, 10, 25, 50, 75, 90, 99, 99.9, 99.99, 99.999, 100 };
    for (size_t i = 0; i < sizeof (ps) / sizeof (ps [0]); i++) {
        int64_t want = s_reference (values, n, ps [i]);
        int64_t got = zlb_histogram_percentile (hist, ps [i]);
        //  Never below the true value, at most 1 % above it.
        assert_true (got >= want);
        assert_true ((double) (got - want) <= 0.01 * (double) want);
    }
    assert_int_equal (zlb_histogram_min (hist), values [0]);
    assert_int_equal (zlb_histogram_max (hist), values [n - 1]);
}

static void
test_percentiles_random (void **state)
{
    (void) state;
    enum { N = 200000 };
    int64_t *values = (int64_t *) malloc (N * sizeof (int64_t));
    assert_non_null (values);
    zlb_histogram_t *hist = zlb_histogram_new (LOWEST, HIGHEST);
    assert_non_null (hist);
    double sum = 0;
    for (size_t i = 0; i < N; i++) {
        values [i] = s_random_value ();
        sum += (double) values [i];
        zlb_histogram_record (hist, values [i]);
    }
    assert_int_equal (zlb_histogram_count (hist), N);
    assert_true (fabs (zlb_histogram_mean (hist) - sum / N) <= 1e-6 * sum / N);
    s_check_percentiles (hist, values, N);
    free (values);
    zlb_histogram_destroy (&hist);
    assert_null (hist);
    zlb_histogram_destroy (&hist);          //  safe twice
}

static void
test_percentiles_narrow (void **state)
{
    //  Realistic latencies: 200..2000 us with a few 50 ms stalls.
    (void) state;
    enum { N = 50000 };
    int64_t values [N];
    zlb_histogram_t *hist = zlb_histogram_new (LOWEST, HIGHEST);
    for (size_t i = 0; i < N; i++) {
        values [i] = 200000 + (int64_t) (s_random () % 1800000);
        if (i % 997 == 0)
            values [i] = 50000000 + (int64_t) (s_random () % 1000000);
        zlb_histogram_record (hist, values [i]);
    }
    s_check_percentiles (hist, values, N);
    zlb_histogram_destroy (&hist);
}

static void
test_exact_small_values (void **state)
{
    (void) state;
    zlb_histogram_t *hist = zlb_histogram_new (1, 1000);
    for (int64_t v = 1; v <= 255; v++)
        zlb_histogram_record (hist, v);
    //  Below 256 every value has its own bucket.
    for (int64_t v = 1; v <= 255; v++)
        assert_int_equal (zlb_histogram_percentile (hist, (100.0 * (double) v - 50) / 255.0), v);
    zlb_histogram_destroy (&hist);
}

static void
test_bounds_and_clamping (void **state)
{
    (void) state;
    assert_null (zlb_histogram_new (0, 10));        //  lowest must be >= 1
    assert_null (zlb_histogram_new (10, 10));       //  highest must exceed lowest
    zlb_histogram_t *hist = zlb_histogram_new (LOWEST, HIGHEST);
    assert_int_equal (zlb_histogram_percentile (hist, 50), 0);   //  empty
    assert_int_equal (zlb_histogram_mean (hist), 0);
    zlb_histogram_record (hist, 5);                 //  below 1 us
    zlb_histogram_record (hist, -7);                //  nonsense from a bad clock
    zlb_histogram_record (hist, HIGHEST * 10);      //  over 60 s
    zlb_histogram_record (hist, INT64_MAX);
    zlb_histogram_record (hist, 5000);
    assert_int_equal (zlb_histogram_count (hist), 5);
    assert_int_equal (zlb_histogram_clamped_low (hist), 2);
    assert_int_equal (zlb_histogram_clamped_high (hist), 2);
    assert_int_equal (zlb_histogram_min (hist), LOWEST);
    assert_int_equal (zlb_histogram_max (hist), HIGHEST);
    assert_int_equal (zlb_histogram_percentile (hist, 0), LOWEST);
    assert_int_equal (zlb_histogram_percentile (hist, 100), HIGHEST);
    //  Out-of-range percentiles are clipped, not undefined.
    assert_int_equal (zlb_histogram_percentile (hist, -5), LOWEST);
    assert_int_equal (zlb_histogram_percentile (hist, 250), HIGHEST);
    zlb_histogram_reset (hist);
    assert_int_equal (zlb_histogram_count (hist), 0);
    assert_int_equal (zlb_histogram_clamped_high (hist), 0);
    zlb_histogram_destroy (&hist);
}

static void
test_merge_across_threads (void **state)
{
    //  Four "thread" histograms merged must equal one that saw everything.
    (void) state;
    enum { THREADS = 4, N = 20000 };
    zlb_histogram_t *parts [THREADS];
    zlb_histogram_t *all = zlb_histogram_new (LOWEST, HIGHEST);
    zlb_histogram_t *merged = zlb_histogram_new (LOWEST, HIGHEST);
    for (int t = 0; t < THREADS; t++)
        parts [t] = zlb_histogram_new (LOWEST, HIGHEST);
    int64_t *values = (int64_t *) malloc (THREADS * N * sizeof (int64_t));
    for (size_t i = 0; i < THREADS * N; i++) {
        //  Each thread sees a different range, so the merge must combine them.
        int t = (int) (i % THREADS);
        values [i] = s_random_value () / (t + 1);
        if (values [i] < LOWEST)
            values [i] = LOWEST;            //  what the histogram clamps to
        zlb_histogram_record (parts [t], values [i]);
        zlb_histogram_record (all, values [i]);
    }
    for (int t = 0; t < THREADS; t++)
        assert_int_equal (zlb_histogram_merge (merged, parts [t]), 0);
    assert_int_equal (zlb_histogram_count (merged), THREADS * N);
    assert_int_equal (zlb_histogram_min (merged), zlb_histogram_min (all));
    assert_int_equal (zlb_histogram_max (merged), zlb_histogram_max (all));
    for (double p = 0; p <= 100; p += 0.5)
        assert_int_equal (zlb_histogram_percentile (merged, p), zlb_histogram_percentile (all, p));
    assert_true (fabs (zlb_histogram_stddev (merged) - zlb_histogram_stddev (all))
                 <= 1e-9 * zlb_histogram_stddev (all));
    //  Buckets walk identically.
    size_t i1 = 0, i2 = 0;
    int64_t lo1, hi1, lo2, hi2;
    uint64_t c1, c2, total = 0;
    while (zlb_histogram_next_bucket (merged, &i1, &lo1, &hi1, &c1)) {
        assert_true (zlb_histogram_next_bucket (all, &i2, &lo2, &hi2, &c2));
        assert_int_equal (lo1, lo2);
        assert_int_equal (hi1, hi2);
        assert_int_equal (c1, c2);
        assert_true (hi1 >= lo1);
        //  Bucket width within 1/128 of its low edge (the resolution promise).
        assert_true ((double) (hi1 - lo1 + 1) <= (double) lo1 / 128.0 + 1);
        total += c1;
    }
    assert_false (zlb_histogram_next_bucket (all, &i2, &lo2, &hi2, &c2));
    assert_int_equal (total, THREADS * N);
    s_check_percentiles (merged, values, THREADS * N);
    //  Different bounds refuse to merge.
    zlb_histogram_t *other = zlb_histogram_new (1, 1000);
    assert_int_equal (zlb_histogram_merge (merged, other), -1);
    assert_int_equal (zlb_histogram_count (merged), THREADS * N);
    //  Merging an empty one changes nothing.
    zlb_histogram_t *empty = zlb_histogram_new (LOWEST, HIGHEST);
    assert_int_equal (zlb_histogram_merge (merged, empty), 0);
    assert_int_equal (zlb_histogram_min (merged), zlb_histogram_min (all));
    zlb_histogram_destroy (&empty);
    zlb_histogram_destroy (&other);
    for (int t = 0; t < THREADS; t++)
        zlb_histogram_destroy (&parts [t]);
    zlb_histogram_destroy (&all);
    zlb_histogram_destroy (&merged);
    free (values);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_percentiles_random),
        cmocka_unit_test (test_percentiles_narrow),
        cmocka_unit_test (test_exact_small_values),
        cmocka_unit_test (test_bounds_and_clamping),
        cmocka_unit_test (test_merge_across_threads),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
