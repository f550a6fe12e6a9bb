/*  test_metrics.c - the /metrics text (broker/metrics_text.c) from a
    snapshot made by hand: label escaping, cumulative histogram buckets,
    the busy/ready split, and a snapshot of a real in-process broker.     */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "broker_impl.h"
#include "metrics.h"

//  True when text (size bytes, not NUL-terminated) has line as a whole line.
static bool
s_has_line (const char *text, size_t size, const char *line)
{
    size_t length = strlen (line);
    for (const char *at = text; at + length <= text + size; ) {
        const char *end = (const char *) memchr (at, '\n', (size_t) (text + size - at));
        if (!end)
            end = text + size;
        if ((size_t) (end - at) == length && memcmp (at, line, length) == 0)
            return true;
        at = end + 1;
    }
    return false;
}

static void
s_expect (const char *text, size_t size, const char *line)
{
    if (!s_has_line (text, size, line))
        fail_msg ("no line '%s' in:\n%.*s", line, (int) (size < 3000 ? size : 3000), text);
}

static void
test_text_from_snapshot (void **state)
{
    (void) state;
    broker_metrics_service_t services [2] = {
        {.name = "echo", .queued = 3, .ready = 1, .workers = 4, .oldest_s = 1.5},
        {.name = "we\"ird\\name"}
    };
    services [0].stats.requests = 10;
    services [0].stats.errors [BROKER_ERR_BUSY] = 2;
    services [0].stats.timing.counts [0] = 5;
    services [0].stats.timing.counts [BROKER_TIME_BUCKETS] = 1;
    services [0].stats.timing.total = 6;
    services [0].stats.timing.sum_us = 2500000;
    broker_metrics_snapshot_t snapshot = {.count = 2, .services = services, .uptime_s = 12.5};
    snapshot.broker.requests = 18446744073709551615ULL;    //  the widest counter
    snapshot.broker.deadline = 7;
    size_t size = 0;
    char *text = broker_metrics_text (&snapshot, &size);
    assert_non_null (text);
    s_expect (text, size, "zlb_requests_total 18446744073709551615");
    s_expect (text, size, "zlb_errors_total{status=\"504\"} 7");
    s_expect (text, size, "zlb_uptime_seconds 12.500");
    s_expect (text, size, "zlb_service_requests_total{service=\"echo\"} 10");
    s_expect (text, size, "zlb_service_queue_depth{service=\"echo\"} 3");
    s_expect (text, size, "zlb_service_oldest_request_seconds{service=\"echo\"} 1.500");
    s_expect (text, size, "zlb_service_workers{service=\"echo\",state=\"busy\"} 3");
    s_expect (text, size, "zlb_service_errors_total{service=\"echo\",status=\"503\"} 2");
    s_expect (text, size, "zlb_service_time_seconds_bucket{service=\"echo\",le=\"0.0001\"} 5");
    s_expect (text, size, "zlb_service_time_seconds_bucket{service=\"echo\",le=\"+Inf\"} 6");
    s_expect (text, size, "zlb_service_time_seconds_sum{service=\"echo\"} 2.500000");
    s_expect (text, size, "zlb_service_requests_total{service=\"we\\\"ird\\\\name\"} 0");
    s_expect (text, size, "# TYPE zlb_service_time_seconds histogram");
    assert_int_equal (text [size - 1], '\n');
    free (text);
}

//  A snapshot of a broker with a few services copies their figures.
static void
test_snapshot_of_broker (void **state)
{
    (void) state;
    zlb_broker_t *broker = zlb_broker_new (NULL, NULL);
    assert_non_null (broker);
    char name [32];
    for (int index = 0; index < 50; index++) {
        snprintf (name, sizeof (name), "svc-%d", index);
        broker_service_t *service = broker_service_require (broker, name, strlen (name));
        assert_non_null (service);
        service->stats.requests = (uint64_t) index;
    }
    broker_metrics_snapshot_t *snapshot = broker_metrics_snapshot_new (broker);
    assert_non_null (snapshot);
    assert_int_equal (snapshot->count, 50);
    size_t size = 0;
    char *text = broker_metrics_text (snapshot, &size);
    assert_non_null (text);
    s_expect (text, size, "zlb_services 50");
    s_expect (text, size, "zlb_service_requests_total{service=\"svc-49\"} 49");
    free (text);
    broker_metrics_snapshot_destroy (&snapshot);
    broker_metrics_snapshot_destroy (&snapshot);   //  safe twice
    zlb_broker_destroy (&broker);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_text_from_snapshot),
        cmocka_unit_test (test_snapshot_of_broker),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
