/*  test_client_brokers.c - one zlb_client_t over several brokers: fake
    brokers are ROUTER sockets over inproc:// that the test drives frame by
    frame, and the client runs on a fake clock that only the test moves, so
    spreading, failover, duplicates and probes happen at exact steps.     */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <errno.h>
#include <string.h>

#include "zlb/zlb.h"

#define S_WAIT_MS   10000               //  real-time bound on every wait (a hang)
#define S_MS        1000000LL           //  ns in a ms, for the fake clock
#define S_BROKERS   3                   //  most fake brokers in one test

typedef struct {
    zsock_t *router [S_BROKERS];        //  the fake brokers
    char endpoint [S_BROKERS][64];
    size_t count;
    zframe_t *peer [S_BROKERS];         //  who sent the last message to each
    zlb_client_t *client;
    int64_t now;                        //  the fake clock, ns
} s_fixture_t;

static int s_endpoint_seq;

static int64_t
s_clock (void *arg)
{
    return ((s_fixture_t *) arg)->now;
}

static s_fixture_t *
s_fixture_new (size_t count, int timeout_ms, int retries)
{
    s_fixture_t *fixture = (s_fixture_t *) zmalloc (sizeof (s_fixture_t));
    const char *endpoints [S_BROKERS];
    fixture->count = count;
    for (size_t index = 0; index < count; index++) {
        snprintf (fixture->endpoint [index], sizeof fixture->endpoint [index],
                  "inproc://test-brokers-%d-%d", getpid (), ++s_endpoint_seq);
        endpoints [index] = fixture->endpoint [index];
        zsock_t *router = zsock_new (ZMQ_ROUTER);
        assert_non_null (router);
        zsock_set_linger (router, 0);
        zsock_set_rcvtimeo (router, S_WAIT_MS);
        zsock_set_sndtimeo (router, S_WAIT_MS);
        assert_int_equal (zsock_bind (router, "%s", endpoints [index]), 0);
        fixture->router [index] = router;
    }
    zlb_client_options_t options;
    zlb_client_options_defaults (&options);
    options.timeout_ms = timeout_ms;
    options.retries = retries;
    fixture->now = 1000 * S_MS;
    options.clock_ns = s_clock;
    options.clock_arg = fixture;
    fixture->client = zlb_client_new_multi (endpoints, count, &options);
    assert_non_null (fixture->client);
    assert_int_equal (zlb_client_brokers (fixture->client), count);
    return fixture;
}

static void
s_fixture_destroy (s_fixture_t **fixture_p)
{
    s_fixture_t *fixture = *fixture_p;
    zlb_client_destroy (&fixture->client);
    for (size_t index = 0; index < fixture->count; index++) {
        zsock_destroy (&fixture->router [index]);
        zframe_destroy (&fixture->peer [index]);
    }
    free (fixture);
    *fixture_p = NULL;
}

//  The next message at broker index: checks the client envelope and the
//  service, remembers the sender, returns the body frame (caller destroys).
static zframe_t *
s_take (s_fixture_t *fixture, size_t index, const char *service)
{
    zmsg_t *msg = zmsg_recv (fixture->router [index]);
    assert_non_null (msg);
    assert_int_equal (zmsg_size (msg), 5);
    zframe_destroy (&fixture->peer [index]);
    fixture->peer [index] = zmsg_pop (msg);
    char *empty = zmsg_popstr (msg), *header = zmsg_popstr (msg), *name = zmsg_popstr (msg);
    assert_string_equal (empty, "");
    assert_string_equal (header, "MDPC01");
    assert_string_equal (name, service);
    zstr_free (&empty);
    zstr_free (&header);
    zstr_free (&name);
    zframe_t *body = zmsg_pop (msg);
    zmsg_destroy (&msg);
    return body;
}

//  Broker index got request id, attempt number attempt.
static void
s_expect (s_fixture_t *fixture, size_t index, uint64_t id, uint32_t attempt)
{
    zframe_t *body = s_take (fixture, index, "echo");
    zlb_request_t request;
    assert_int_equal (zlb_request_decode (body, &request, NULL), 0);
    assert_int_equal (request.id, id);
    assert_int_equal (request.attempt, attempt);
    zframe_destroy (&body);
}

//  Nothing (more) is waiting at broker index.
static void
s_expect_nothing (s_fixture_t *fixture, size_t index)
{
    zsock_set_rcvtimeo (fixture->router [index], 50);
    zmsg_t *msg = zmsg_recv (fixture->router [index]);
    assert_null (msg);
    zsock_set_rcvtimeo (fixture->router [index], S_WAIT_MS);
}

//  Broker index sends "" MDPC01 service body to its last sender.
static void
s_send_to_client (s_fixture_t *fixture, size_t index, const char *service, zmsg_t *msg)
{
    zmsg_pushstr (msg, service);
    zmsg_pushstr (msg, "MDPC01");
    zmsg_pushstr (msg, "");
    zframe_t *peer = zframe_dup (fixture->peer [index]);
    zmsg_prepend (msg, &peer);
    assert_int_equal (zmsg_send (&msg, fixture->router [index]), 0);
}

//  A worker's answer to id through broker index.
static void
s_reply (s_fixture_t *fixture, size_t index, uint64_t id)
{
    zlb_reply_t reply = {.id = id, .payload = (const uint8_t *) "ok", .payload_size = 2};
    zlb_confirm_t confirm = {.id = id, .status = ZLB_STATUS_OK, .worker = "w1",
                             .t_recv = 1000000, .t_send = 1004000, .attempt = 1};
    zmsg_t *msg = zmsg_new ();
    zframe_t *frame = zlb_reply_encode (&reply);
    zmsg_append (msg, &frame);
    frame = zlb_confirm_encode (&confirm);
    zmsg_append (msg, &frame);
    s_send_to_client (fixture, index, "echo", msg);
}

static void
s_send (s_fixture_t *fixture, uint64_t expected_id)
{
    uint64_t id = 0;
    assert_int_equal (zlb_client_send (fixture->client, "echo", "hi", 2, &id), 0);
    assert_int_equal (id, expected_id);
}

//  Move the fake clock, then let the client act once: 1 with a result.
static int
s_tick (s_fixture_t *fixture, int64_t ms, zlb_result_t *result)
{
    fixture->now += ms * S_MS;
    int rc = zlb_client_recv (fixture->client, result, 0);
    assert_true (rc >= 0);
    return rc;
}

//  The next result, the clock standing still.
static void
s_result (s_fixture_t *fixture, zlb_result_t *result)
{
    int64_t deadline = zclock_mono () + S_WAIT_MS;
    while (s_tick (fixture, 0, result) == 0) {
        assert_true (zclock_mono () < deadline);
        zclock_sleep (1);
    }
}

static zlb_client_broker_t
s_info (s_fixture_t *fixture, size_t index)
{
    zlb_client_broker_t info;
    assert_int_equal (zlb_client_broker_info (fixture->client, index, &info), 0);
    return info;
}

//  --------------------------------------------------------------------------

static void
test_spread (void **state)
{
    (void) state;
    s_fixture_t *fixture = s_fixture_new (2, 1000, 3);
    for (uint64_t id = 1; id <= 4; id++)
        s_send (fixture, id);
    //  Fewest outstanding, ties in turn: 1 and 3 to the first, 2 and 4 to the second.
    s_expect (fixture, 0, 1, 1);
    s_expect (fixture, 0, 3, 1);
    s_expect (fixture, 1, 2, 1);
    s_expect (fixture, 1, 4, 1);
    assert_int_equal (s_info (fixture, 0).attempts, 2);
    assert_int_equal (s_info (fixture, 1).outstanding, 2);
    s_reply (fixture, 0, 1);
    s_reply (fixture, 0, 3);
    zlb_result_t result;
    s_result (fixture, &result);
    s_result (fixture, &result);
    assert_int_equal (s_info (fixture, 0).outstanding, 0);
    //  The first broker now has fewer outstanding: both new ones go there.
    s_send (fixture, 5);
    s_send (fixture, 6);
    s_expect (fixture, 0, 5, 1);
    s_expect (fixture, 0, 6, 1);
    s_expect_nothing (fixture, 1);
    assert_string_equal (s_info (fixture, 1).endpoint, fixture->endpoint [1]);
    s_fixture_destroy (&fixture);
}

//  Request 1 to the first broker, which never answers: resent with the
//  same id to the second at the timeout. The first is suspect after that.
static void
s_fail_over_first (s_fixture_t *fixture, int timeout_ms)
{
    s_send (fixture, 1);
    s_expect (fixture, 0, 1, 1);
    zlb_result_t result;
    assert_int_equal (s_tick (fixture, timeout_ms - 1, &result), 0);
    assert_false (s_info (fixture, 0).suspect);
    assert_int_equal (s_tick (fixture, 1, &result), 0);
    s_expect (fixture, 1, 1, 2);
    assert_true (s_info (fixture, 0).suspect);
    assert_int_equal (s_info (fixture, 0).outstanding, 0);
    assert_int_equal (s_info (fixture, 1).outstanding, 1);
}

static void
test_failover (void **state)
{
    (void) state;
    s_fixture_t *fixture = s_fixture_new (2, 200, 3);
    s_fail_over_first (fixture, 200);
    //  New requests avoid the suspect broker.
    s_send (fixture, 2);
    s_expect (fixture, 1, 2, 1);
    s_expect_nothing (fixture, 0);
    s_reply (fixture, 1, 1);
    zlb_result_t result;
    s_result (fixture, &result);
    assert_int_equal (result.id, 1);
    assert_int_equal (result.status, ZLB_STATUS_OK);
    assert_int_equal (result.attempts, 2);
    assert_int_equal (result.rtt_ns, 200 * S_MS);      //  from the first send
    zlb_client_stats_t stats;
    zlb_client_stats (fixture->client, &stats);
    assert_int_equal (stats.retries, 1);
    s_fixture_destroy (&fixture);
}

//  Both brokers answer the same id: one result, one duplicate.
static void
test_duplicate_across_brokers (void **state)
{
    (void) state;
    s_fixture_t *fixture = s_fixture_new (2, 200, 3);
    s_fail_over_first (fixture, 200);
    s_reply (fixture, 1, 1);
    s_reply (fixture, 0, 1);                           //  the late one
    zlb_result_t result;
    s_result (fixture, &result);
    assert_int_equal (result.id, 1);
    int64_t deadline = zclock_mono () + S_WAIT_MS;
    zlb_client_stats_t stats;
    do {
        assert_int_equal (s_tick (fixture, 0, &result), 0);    //  never a second result
        zlb_client_stats (fixture->client, &stats);
        assert_true (zclock_mono () < deadline);
    } while (stats.duplicates < 1);
    assert_int_equal (stats.replies, 1);
    //  A late reply does not make the suspect broker healthy: only a probe does.
    assert_true (s_info (fixture, 0).suspect);
    assert_int_equal (s_info (fixture, 0).replies, 1);
    s_fixture_destroy (&fixture);
}

//  The probe at broker 0: an mmi.service request for "echo" from a socket
//  that is not the client's usual one, answered with code.
static void
s_probe_answer (s_fixture_t *fixture, const char *code)
{
    zframe_t *body = s_take (fixture, 0, "mmi.service");
    assert_true (zframe_streq (body, "echo"));
    zframe_destroy (&body);
    zmsg_t *msg = zmsg_new ();
    zmsg_addstr (msg, code);
    s_send_to_client (fixture, 0, "mmi.service", msg);
}

static void
test_probe_brings_back (void **state)
{
    (void) state;
    s_fixture_t *fixture = s_fixture_new (2, 3000, 3);
    s_fail_over_first (fixture, 3000);
    zlb_result_t result;
    assert_int_equal (s_tick (fixture, 999, &result), 0);
    s_expect_nothing (fixture, 0);
    assert_int_equal (s_tick (fixture, 1, &result), 0);        //  probe due
    s_probe_answer (fixture, "404");                             //  up, no worker yet
    assert_int_equal (s_tick (fixture, 1000, &result), 0);
    assert_true (s_info (fixture, 0).suspect);
    s_probe_answer (fixture, "200");
    int64_t deadline = zclock_mono () + S_WAIT_MS;
    while (s_info (fixture, 0).suspect) {
        assert_int_equal (s_tick (fixture, 0, &result), 0);
        assert_true (zclock_mono () < deadline);
        zclock_sleep (1);
    }
    //  Healthy, and with nothing outstanding it gets the next request.
    s_send (fixture, 2);
    s_expect (fixture, 0, 2, 1);
    assert_int_equal (zlb_client_inflight (fixture->client), 2);
    s_fixture_destroy (&fixture);
}

//  No broker answers: attempts alternate, and the request fails after its
//  retries as with one broker.
static void
test_all_down (void **state)
{
    (void) state;
    s_fixture_t *fixture = s_fixture_new (2, 100, 2);
    s_send (fixture, 1);
    zlb_result_t result;
    assert_int_equal (s_tick (fixture, 100, &result), 0);
    assert_int_equal (s_tick (fixture, 100, &result), 0);
    assert_int_equal (s_tick (fixture, 100, &result), 1);
    assert_int_equal (result.status, ZLB_STATUS_TIMEOUT);
    assert_int_equal (result.attempts, 3);
    s_expect (fixture, 0, 1, 1);
    s_expect (fixture, 1, 1, 2);
    s_expect (fixture, 0, 1, 3);
    assert_int_equal (zlb_client_next_timeout_ms (fixture->client), -1);
    s_fixture_destroy (&fixture);
}

//  Every broker suspect: the attempt goes to the one heard from last (slow
//  but alive), even when its previous attempt timed out there.
static void
test_all_suspect_heard_last (void **state)
{
    (void) state;
    s_fixture_t *fixture = s_fixture_new (2, 200, 3);
    s_fail_over_first (fixture, 200);               //  1 on the second broker
    s_send (fixture, 2);
    s_expect (fixture, 1, 2, 1);
    s_reply (fixture, 1, 2);
    zlb_result_t result;
    s_result (fixture, &result);
    assert_int_equal (result.id, 2);
    assert_int_equal (s_tick (fixture, 200, &result), 0);    //  1 times out there too
    assert_true (s_info (fixture, 1).suspect);
    s_expect (fixture, 1, 1, 3);
    s_expect_nothing (fixture, 0);
    s_fixture_destroy (&fixture);
}

static void
test_bad_endpoint_lists (void **state)
{
    (void) state;
    const char *twice [] = { "inproc://a", "inproc://b", "inproc://a" };
    const char *hole [] = { "inproc://a", NULL };
    const char *empty [] = { "inproc://a", "" };
    const char *bad [] = { "inproc://a", "nonsense://x" };
    const char *many [ZLB_CLIENT_MAX_BROKERS + 1];
    char names [ZLB_CLIENT_MAX_BROKERS + 1][32];
    for (size_t index = 0; index <= ZLB_CLIENT_MAX_BROKERS; index++) {
        snprintf (names [index], sizeof names [index], "inproc://many-%zu", index);
        many [index] = names [index];
    }
    struct { const char *const *list; size_t count; } cases [] = {
        { twice, 3 }, { hole, 2 }, { empty, 2 }, { NULL, 1 }, { twice, 0 },
        { many, ZLB_CLIENT_MAX_BROKERS + 1 }
    };
    for (size_t index = 0; index < sizeof cases / sizeof cases [0]; index++) {
        errno = 0;
        assert_null (zlb_client_new_multi (cases [index].list, cases [index].count, NULL));
        assert_int_equal (errno, EINVAL);
    }
    assert_null (zlb_client_new_multi (bad, 2, NULL));
    zlb_client_t *client = zlb_client_new_multi (many, ZLB_CLIENT_MAX_BROKERS, NULL);
    assert_non_null (client);
    assert_non_null (zlb_client_broker_sock (client, ZLB_CLIENT_MAX_BROKERS - 1));
    errno = 0;
    assert_null (zlb_client_broker_sock (client, ZLB_CLIENT_MAX_BROKERS));
    assert_int_equal (errno, EINVAL);
    zlb_client_broker_t info;
    assert_int_equal (zlb_client_broker_info (client, ZLB_CLIENT_MAX_BROKERS, &info), -1);
    assert_int_equal (zlb_client_broker_info (client, 0, NULL), -1);
    zlb_client_destroy (&client);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_spread),
        cmocka_unit_test (test_failover),
        cmocka_unit_test (test_duplicate_across_brokers),
        cmocka_unit_test (test_probe_brings_back),
        cmocka_unit_test (test_all_down),
        cmocka_unit_test (test_all_suspect_heard_last),
        cmocka_unit_test (test_bad_endpoint_lists),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
