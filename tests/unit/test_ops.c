/*  test_ops.c - operations helpers: the service-time histogram and its
    quantiles (broker/stats.c), and JSON log lines (lib/log.c).           */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "stats.h"
#include "zlb/zlb.h"

static void
test_timing_empty (void **state)
{
    (void) state;
    broker_timing_t timing = {0};
    assert_true (broker_timing_quantile (&timing, 0.5) == 0);
}

static void
test_timing_buckets (void **state)
{
    (void) state;
    broker_timing_t timing = {0};
    broker_timing_record (&timing, -5);          //  counts as 0: first bucket
    broker_timing_record (&timing, 10);          //  bounds are inclusive
    broker_timing_record (&timing, 11);
    broker_timing_record (&timing, 200000000);   //  over the last bound
    assert_int_equal (timing.counts [0], 2);
    assert_int_equal (timing.counts [1], 1);
    assert_int_equal (timing.counts [BROKER_TIME_BUCKETS], 1);
    assert_int_equal (timing.total, 4);
    assert_int_equal (timing.sum_us, 200000021);
}

static void
test_timing_quantiles (void **state)
{
    (void) state;
    broker_timing_t timing = {0};
    //  90 samples of ~150 us (bucket 100-200), 10 of ~3 ms (bucket 2-5 ms)
    for (int index = 0; index < 90; index++)
        broker_timing_record (&timing, 150);
    for (int index = 0; index < 10; index++)
        broker_timing_record (&timing, 3000);
    double p50 = broker_timing_quantile (&timing, 0.50);
    double p99 = broker_timing_quantile (&timing, 0.99);
    assert_true (p50 > 100e-6 && p50 <= 200e-6);
    assert_true (p99 > 2e-3 && p99 <= 5e-3);
    assert_true (broker_timing_quantile (&timing, 0.999) <= 5e-3);
}

static void
test_err_index (void **state)
{
    (void) state;
    assert_int_equal (broker_err_index (ZLB_STATUS_BUSY), BROKER_ERR_BUSY);
    assert_int_equal (broker_err_index (ZLB_STATUS_NO_WORKER), BROKER_ERR_NO_WORKER);
    assert_int_equal (broker_err_index (200), -1);
}

//  One JSON log line written through the public API, read back.
static char *
s_json_line (const char *event, const char *fields)
{
    char path [64];
    snprintf (path, sizeof path, "/tmp/zlb-test-ops-%d.log", (int) getpid ());
    unlink (path);
    zlb_log_t *log = zlb_log_new (path, "broker", "main", ZLB_LOG_INFO);
    assert_non_null (log);
    zlb_log_set_format (log, ZLB_LOG_JSON);
    zlb_log (log, ZLB_LOG_INFO, event, "%s", fields);
    zlb_log_destroy (&log);
    FILE *file = fopen (path, "r");
    assert_non_null (file);
    static char line [8192];
    assert_non_null (fgets (line, sizeof line, file));
    fclose (file);
    unlink (path);
    return line;
}

static void
test_json_fields (void **state)
{
    (void) state;
    char *line = s_json_line ("worker_join",
        "worker=w1#1 service=echo workers=3 age_ms=1.5 reason=\"peer gone\" code=007");
    assert_non_null (strstr (line, "\"level\":\"info\",\"component\":\"broker\","
                                   "\"instance\":\"main\",\"event\":\"worker_join\""));
    assert_non_null (strstr (line, "\"worker\":\"w1#1\",\"service\":\"echo\",\"workers\":3,"
                                   "\"age_ms\":1.5,\"reason\":\"peer gone\",\"code\":\"007\"}\n"));
}

static void
test_json_escapes (void **state)
{
    (void) state;
    char *line = s_json_line ("odd", "reason=\"say \"hi\"\" path=\"C:\\dir\" next=1 tail words");
    //  The closing quote is the one before a space or the end; quotes and
    //  backslashes inside are escaped; text that is not key=value is kept.
    assert_non_null (strstr (line, "\"reason\":\"say \\\"hi\\\"\",\"path\":\"C:\\\\dir\","
                                   "\"next\":1,\"text\":\"tail words\"}"));
}

static void
test_json_cut (void **state)
{
    (void) state;
    char fields [3000];
    memset (fields, 'x', sizeof fields);
    memcpy (fields, "big=", 4);
    fields [sizeof fields - 1] = 0;
    char *line = s_json_line ("long", fields);
    size_t size = strlen (line);
    assert_true (size < 4200);
    assert_int_equal (line [size - 1], '\n');
    assert_int_equal (line [size - 2], '}');
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_timing_empty),
        cmocka_unit_test (test_timing_buckets),
        cmocka_unit_test (test_timing_quantiles),
        cmocka_unit_test (test_err_index),
        cmocka_unit_test (test_json_fields),
        cmocka_unit_test (test_json_escapes),
        cmocka_unit_test (test_json_cut),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
