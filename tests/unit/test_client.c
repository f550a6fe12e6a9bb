/*  test_client.c - zlb_client_t against a fake broker: a ROUTER over
    inproc:// that this test drives frame by frame, so every case (lost
    replies, duplicates, garbage, broker errors, mmi) is exact and quick.
    The client runs on a fake clock that only the test moves (s_tick):
    resends and timeouts happen at exact steps however loaded the machine
    is; real time only bounds a hang.                                       */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <errno.h>
#include <string.h>

#include "zlb/zlb.h"

#define S_WAIT_MS 10000                 //  real-time bound on every wait (a hang)
#define S_MS      1000000LL             //  ns in a ms, for the fake clock

typedef struct {
    zsock_t *router;                    //  the fake broker
    zlb_client_t *client;               //  the client under test
    zframe_t *peer;                     //  the client's identity, from its last request
    int64_t now;                        //  the fake clock, ns
} s_fixture_t;

static int s_endpoint_seq;

static int64_t
s_clock (void *arg)
{
    return ((s_fixture_t *) arg)->now;
}

//  A fake broker and a client connected to it with these limits, on the
//  fake clock or (for blocking calls, which wait in real time) the real one.
static s_fixture_t *
s_fixture_make (int timeout_ms, int retries, size_t max_inflight, size_t max_payload,
                bool fake_clock)
{
    s_fixture_t *fixture = (s_fixture_t *) zmalloc (sizeof (s_fixture_t));
    char endpoint [64];
    snprintf (endpoint, sizeof endpoint, "inproc://test-client-%d-%d", getpid (), ++s_endpoint_seq);
    fixture->router = zsock_new (ZMQ_ROUTER);
    assert_non_null (fixture->router);
    zsock_set_linger (fixture->router, 0);
    zsock_set_rcvtimeo (fixture->router, S_WAIT_MS);
    zsock_set_sndtimeo (fixture->router, S_WAIT_MS);
    assert_int_equal (zsock_bind (fixture->router, "%s", endpoint), 0);

    zlb_client_options_t options;
    zlb_client_options_defaults (&options);
    options.timeout_ms = timeout_ms;
    options.retries = retries;
    if (max_inflight)
        options.max_inflight = max_inflight;
    if (max_payload)
        options.max_payload = max_payload;
    if (fake_clock) {
        fixture->now = 1000 * S_MS;
        options.clock_ns = s_clock;
        options.clock_arg = fixture;
    }
    fixture->client = zlb_client_new (endpoint, &options);
    assert_non_null (fixture->client);
    return fixture;
}

static s_fixture_t *
s_fixture_new (int timeout_ms, int retries, size_t max_inflight, size_t max_payload)
{
    return s_fixture_make (timeout_ms, retries, max_inflight, max_payload, true);
}

static void
s_fixture_destroy (s_fixture_t **fixture_p)
{
    s_fixture_t *fixture = *fixture_p;
    zlb_client_destroy (&fixture->client);
    zsock_destroy (&fixture->router);
    zframe_destroy (&fixture->peer);
    free (fixture);
    *fixture_p = NULL;
}

//  The next request at the broker; checks the MDP client envelope and
//  returns the body frame (caller destroys), remembering the peer.
static zframe_t *
s_broker_take (s_fixture_t *fixture, const char *service)
{
    zmsg_t *msg = zmsg_recv (fixture->router);
    assert_non_null (msg);
    assert_int_equal (zmsg_size (msg), 5);
    zframe_destroy (&fixture->peer);
    fixture->peer = zmsg_pop (msg);
    char *empty = zmsg_popstr (msg);
    char *header = zmsg_popstr (msg);
    char *name = zmsg_popstr (msg);
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

//  Move the fake clock, then let the client act on it once, without
//  waiting: 1 with a result, 0 without.
static int
s_tick (s_fixture_t *fixture, int64_t ms, zlb_result_t *result)
{
    fixture->now += ms * S_MS;
    int rc = zlb_client_recv (fixture->client, result, 0);
    assert_true (rc >= 0);
    return rc;
}

//  The next result: call recv without waiting (the clock stands still)
//  until a reply comes in over inproc.
static void
s_result (s_fixture_t *fixture, zlb_result_t *result)
{
    int64_t deadline = zclock_mono () + S_WAIT_MS;
    while (s_tick (fixture, 0, result) == 0) {
        assert_true (zclock_mono () < deadline);
        zclock_sleep (1);
    }
}

//  Read until the client has dropped `n` duplicates, with no result.
static void
s_until_duplicates (s_fixture_t *fixture, uint64_t n)
{
    int64_t deadline = zclock_mono () + S_WAIT_MS;
    zlb_client_stats_t stats;
    zlb_result_t result;
    while (true) {
        assert_int_equal (s_tick (fixture, 0, &result), 0);
        zlb_client_stats (fixture->client, &stats);
        if (stats.duplicates >= n)
            return;
        assert_true (zclock_mono () < deadline);
        zclock_sleep (1);
    }
}

//  Like s_broker_take for zlb bodies: decodes and checks id and attempt.
static void
s_broker_expect (s_fixture_t *fixture, uint64_t id, uint32_t attempt, const char *payload)
{
    zframe_t *body = s_broker_take (fixture, "echo");
    zlb_request_t request;
    assert_int_equal (zlb_request_decode (body, &request, NULL), 0);
    assert_int_equal (request.id, id);
    assert_int_equal (request.attempt, attempt);
    assert_true (request.ts > 0);
    assert_int_equal (request.payload_size, strlen (payload));
    assert_memory_equal (request.payload, payload, strlen (payload));
    zframe_destroy (&body);
}

//  Send peer "" "MDPC01" service + the frames of body (consumed) to the client.
static void
s_broker_send (s_fixture_t *fixture, const char *service, zmsg_t **body_p)
{
    zmsg_t *msg = *body_p;
    zmsg_pushstr (msg, service);
    zmsg_pushstr (msg, "MDPC01");
    zmsg_pushstr (msg, "");
    zframe_t *peer = zframe_dup (fixture->peer);
    zmsg_prepend (msg, &peer);
    assert_int_equal (zmsg_send (&msg, fixture->router), 0);
    *body_p = NULL;
}

//  A worker's answer: reply {id, payload} and confirmation.
static void
s_broker_reply (s_fixture_t *fixture, uint64_t id, const char *payload)
{
    zlb_reply_t reply = {.id = id, .payload = (const uint8_t *) payload,
                         .payload_size = strlen (payload)};
    zlb_confirm_t confirm = {.id = id, .status = ZLB_STATUS_OK, .worker = "w1",
                             .t_recv = 1000000, .t_send = 1004000, .attempt = 1};
    zmsg_t *msg = zmsg_new ();
    zframe_t *frame = zlb_reply_encode (&reply);
    zmsg_append (msg, &frame);
    frame = zlb_confirm_encode (&confirm);
    zmsg_append (msg, &frame);
    s_broker_send (fixture, "echo", &msg);
}

static void
s_broker_raw (s_fixture_t *fixture, int frames, ...)
{
    zmsg_t *msg = zmsg_new ();
    zframe_t *peer = zframe_dup (fixture->peer);
    zmsg_append (msg, &peer);
    va_list args;
    va_start (args, frames);
    for (int index = 0; index < frames; index++)
        zmsg_addstr (msg, va_arg (args, const char *));
    va_end (args);
    assert_int_equal (zmsg_send (&msg, fixture->router), 0);
}

static void
s_send (s_fixture_t *fixture, const char *payload, uint64_t expected_id)
{
    uint64_t id = 0;
    assert_int_equal (zlb_client_send (fixture->client, "echo", payload, strlen (payload), &id), 0);
    assert_int_equal (id, expected_id);
}

//  --------------------------------------------------------------------------

static void
test_request_frames (void **state)
{
    (void) state;
    s_fixture_t *fixture = s_fixture_new (1000, 3, 0, 0);
    s_send (fixture, "hello", 1);
    s_send (fixture, "", 2);
    s_broker_expect (fixture, 1, 1, "hello");
    s_broker_expect (fixture, 2, 1, "");
    assert_int_equal (zlb_client_inflight (fixture->client), 2);
    assert_int_equal (zlb_client_next_timeout_ms (fixture->client), 1000);
    fixture->now += 400 * S_MS;
    assert_int_equal (zlb_client_next_timeout_ms (fixture->client), 600);
    zlb_client_stats_t stats;
    zlb_client_stats (fixture->client, &stats);
    assert_int_equal (stats.sent, 2);
    s_fixture_destroy (&fixture);
}

static void
test_reply_delivered (void **state)
{
    (void) state;
    s_fixture_t *fixture = s_fixture_new (1000, 3, 0, 0);
    assert_int_equal (zlb_client_next_timeout_ms (fixture->client), -1);
    s_send (fixture, "hello", 1);
    s_broker_expect (fixture, 1, 1, "hello");
    s_broker_reply (fixture, 1, "hello");
    fixture->now += 5 * S_MS;                   //  the round trip, 5 ms

    zlb_result_t result;
    s_result (fixture, &result);
    assert_int_equal (result.id, 1);
    assert_int_equal (result.status, ZLB_STATUS_OK);
    assert_int_equal (result.attempts, 1);
    assert_string_equal (result.service, "echo");
    assert_string_equal (result.worker, "w1");
    assert_string_equal (result.error, "");
    assert_int_equal (result.payload_size, 5);
    assert_memory_equal (result.payload, "hello", 5);
    assert_int_equal (result.service_ns, 4000);
    assert_int_equal (result.rtt_ns, 5 * S_MS);
    assert_int_equal (result.latency_ns, (5 * S_MS - 4000) / 2);
    assert_true (result.sent_ns > 0);
    assert_int_equal (zlb_client_inflight (fixture->client), 0);
    assert_int_equal (zlb_client_next_timeout_ms (fixture->client), -1);
    //  Nothing more: a wait returns 0.
    assert_int_equal (s_tick (fixture, 0, &result), 0);
    zlb_client_stats_t stats;
    zlb_client_stats (fixture->client, &stats);
    assert_int_equal (stats.replies, 1);
    assert_int_equal (stats.retries, 0);
    s_fixture_destroy (&fixture);
}

static void
test_retry_same_id (void **state)
{
    (void) state;
    s_fixture_t *fixture = s_fixture_new (200, 3, 0, 0);
    s_send (fixture, "again", 1);
    s_broker_expect (fixture, 1, 1, "again");       //  "lost": no answer
    zlb_result_t result;
    assert_int_equal (s_tick (fixture, 199, &result), 0);    //  not yet
    zlb_client_stats_t stats;
    zlb_client_stats (fixture->client, &stats);
    assert_int_equal (stats.retries, 0);
    assert_int_equal (s_tick (fixture, 1, &result), 0);      //  resent at 200 ms
    s_broker_expect (fixture, 1, 2, "again");       //  same id, attempt 2
    s_broker_reply (fixture, 1, "again");
    s_result (fixture, &result);
    assert_int_equal (result.id, 1);
    assert_int_equal (result.status, ZLB_STATUS_OK);
    assert_int_equal (result.attempts, 2);
    assert_int_equal (result.rtt_ns, 200 * S_MS);     //  from the first send
    zlb_client_stats (fixture->client, &stats);
    assert_int_equal (stats.retries, 1);
    s_fixture_destroy (&fixture);
}

static void
test_duplicate_dropped (void **state)
{
    (void) state;
    s_fixture_t *fixture = s_fixture_new (1000, 3, 0, 0);
    s_send (fixture, "once", 1);
    s_broker_expect (fixture, 1, 1, "once");
    s_broker_reply (fixture, 1, "once");
    s_broker_reply (fixture, 1, "once");
    zlb_result_t result;
    s_result (fixture, &result);
    assert_int_equal (result.id, 1);
    s_until_duplicates (fixture, 1);
    zlb_client_stats_t stats;
    zlb_client_stats (fixture->client, &stats);
    assert_int_equal (stats.duplicates, 1);
    assert_int_equal (stats.replies, 1);
    assert_int_equal (stats.malformed, 0);
    s_fixture_destroy (&fixture);
}

//  Attempts, then a 408 result; the broker saw exactly retries + 1 sends.
static void
s_check_give_up (int retries)
{
    s_fixture_t *fixture = s_fixture_new (20, retries, 0, 0);
    s_send (fixture, "void", 1);
    zlb_result_t result;
    for (int attempt = 1; attempt <= retries; attempt++) {
        assert_int_equal (s_tick (fixture, 19, &result), 0);
        assert_int_equal (s_tick (fixture, 1, &result), 0);     //  resent
    }
    assert_int_equal (s_tick (fixture, 19, &result), 0);
    assert_int_equal (s_tick (fixture, 1, &result), 1);         //  given up
    assert_int_equal (result.id, 1);
    assert_int_equal (result.status, ZLB_STATUS_TIMEOUT);
    assert_int_equal (result.attempts, retries + 1);
    assert_string_equal (result.service, "echo");
    assert_true (strlen (result.error) > 0);
    assert_null (result.payload);
    assert_int_equal (zlb_client_inflight (fixture->client), 0);
    for (int attempt = 1; attempt <= retries + 1; attempt++)
        s_broker_expect (fixture, 1, (uint32_t) attempt, "void");
    zsock_set_rcvtimeo (fixture->router, 50);
    zmsg_t *extra = zmsg_recv (fixture->router);
    assert_null (extra);                             //  nothing after giving up
    zlb_client_stats_t stats;
    zlb_client_stats (fixture->client, &stats);
    assert_int_equal (stats.timeouts, 1);
    assert_int_equal (stats.retries, retries);
    //  A late reply for a forgotten id is a duplicate, not a second result.
    s_broker_reply (fixture, 1, "void");
    s_until_duplicates (fixture, 1);
    s_fixture_destroy (&fixture);
}

static void
test_give_up_after_retries (void **state)
{
    (void) state;
    s_check_give_up (2);
}

static void
test_zero_retries_one_attempt (void **state)
{
    (void) state;
    s_check_give_up (0);
}

//  After garbage: request 1 is still answered, `malformed` replies were
//  counted and dropped (no duplicates, no other result). Ends the fixture.
static void
s_check_survived (s_fixture_t *fixture, uint64_t malformed)
{
    s_broker_reply (fixture, 1, "ok");
    zlb_result_t result;
    s_result (fixture, &result);
    assert_int_equal (result.id, 1);
    assert_int_equal (result.status, ZLB_STATUS_OK);
    assert_memory_equal (result.payload, "ok", 2);
    zlb_client_stats_t stats;
    zlb_client_stats (fixture->client, &stats);
    assert_int_equal (stats.malformed, malformed);
    assert_int_equal (stats.duplicates, 0);
    assert_int_equal (stats.replies, 1);
    s_fixture_destroy (&fixture);
}

static void
test_garbage_counted (void **state)
{
    (void) state;
    s_fixture_t *fixture = s_fixture_new (1000, 3, 0, 0);
    s_send (fixture, "ok", 1);
    s_broker_expect (fixture, 1, 1, "ok");
    s_broker_raw (fixture, 1, "");                                       //  too short
    s_broker_raw (fixture, 5, "x", "MDPC01", "echo", "a", "b");          //  no delimiter
    s_broker_raw (fixture, 5, "", "MDPW01", "echo", "a", "b");           //  wrong header
    s_broker_reply (fixture, 999, "ok");                                 //  never issued
    s_check_survived (fixture, 4);
}

//  Replies the client must drop, counted: more frames than it reads, no
//  body, an empty service name, a reply for another service. The real one
//  after them still arrives.
static void
test_hostile_replies (void **state)
{
    (void) state;
    s_fixture_t *fixture = s_fixture_new (1000, 3, 0, 0);
    s_send (fixture, "ok", 1);
    s_broker_expect (fixture, 1, 1, "ok");
    zmsg_t *many = zmsg_new ();
    for (int index = 0; index < 40; index++)
        zmsg_addstr (many, "frame");
    s_broker_send (fixture, "echo", &many);                              //  too many
    s_broker_raw (fixture, 3, "", "MDPC01", "echo");                     //  no body
    s_broker_raw (fixture, 4, "", "MDPC01", "", "a");                    //  empty service
    zmsg_t *other = zmsg_new ();
    zlb_reply_t reply = {.id = 1, .payload = (const uint8_t *) "x", .payload_size = 1};
    zlb_confirm_t confirm = {.id = 1, .status = ZLB_STATUS_OK, .worker = "w1"};
    zframe_t *frame = zlb_reply_encode (&reply);
    zmsg_append (other, &frame);
    frame = zlb_confirm_encode (&confirm);
    zmsg_append (other, &frame);
    s_broker_send (fixture, "other", &other);                            //  wrong service
    s_check_survived (fixture, 4);
}

//  A plain MDP worker's answer (not zlb's two frames) is reported at once
//  as 415 with its frames, and not retried: every retry would get the same.
static void
test_not_zlb_reply (void **state)
{
    (void) state;
    s_fixture_t *fixture = s_fixture_new (1000, 3, 0, 0);
    s_send (fixture, "hello", 1);
    s_broker_expect (fixture, 1, 1, "hello");
    s_broker_raw (fixture, 4, "", "MDPC01", "echo", "hello");
    zlb_result_t result;
    assert_int_equal (zlb_client_recv (fixture->client, &result, S_WAIT_MS), 1);
    assert_int_equal (result.id, 1);
    assert_int_equal (result.status, ZLB_STATUS_NOT_ZLB);
    assert_int_equal (result.attempts, 1);
    assert_true (strstr (result.error, "plain MDP") != NULL);
    assert_non_null (result.frames);
    assert_int_equal (zmsg_size (result.frames), 1);
    assert_memory_equal (result.payload, "hello", 5);
    //  Two frames that are not a confirmation: the same.
    s_send (fixture, "again", 2);
    s_broker_expect (fixture, 2, 1, "again");
    s_broker_raw (fixture, 5, "", "MDPC01", "echo", "not", "msgpack");
    assert_int_equal (zlb_client_recv (fixture->client, &result, S_WAIT_MS), 1);
    assert_int_equal (result.status, ZLB_STATUS_NOT_ZLB);
    assert_int_equal (zmsg_size (result.frames), 2);
    zlb_client_stats_t stats;
    zlb_client_stats (fixture->client, &stats);
    assert_int_equal (stats.not_zlb, 2);
    assert_int_equal (stats.retries, 0);
    assert_int_equal (zlb_client_inflight (fixture->client), 0);
    s_fixture_destroy (&fixture);
}

//  zlb_client_send_raw: frames out as given, frames back as they came; a
//  broker error (id 0) keeps its status.
static void
test_raw_request (void **state)
{
    (void) state;
    s_fixture_t *fixture = s_fixture_new (1000, 3, 0, 0);
    zmsg_t *body = zmsg_new ();
    zmsg_addstr (body, "one");
    zmsg_addmem (body, "\x00\x01", 2);
    uint64_t id;
    assert_int_equal (zlb_client_send_raw (fixture->client, "plain", &body, &id), 0);
    assert_null (body);
    zmsg_t *msg = zmsg_recv (fixture->router);
    assert_non_null (msg);
    assert_int_equal (zmsg_size (msg), 6);
    zframe_destroy (&fixture->peer);
    fixture->peer = zmsg_pop (msg);
    zframe_t *frame = zmsg_last (msg);
    assert_int_equal (zframe_size (frame), 2);
    zmsg_destroy (&msg);
    s_broker_raw (fixture, 5, "", "MDPC01", "plain", "two", "frames");
    zlb_result_t result;
    assert_int_equal (zlb_client_recv (fixture->client, &result, S_WAIT_MS), 1);
    assert_int_equal (result.id, id);
    assert_int_equal (result.status, ZLB_STATUS_OK);
    assert_int_equal (zmsg_size (result.frames), 2);
    assert_memory_equal (result.payload, "two", 3);
    //  The broker's own error (no worker): its status, no frames.
    body = zmsg_new ();
    zmsg_addstr (body, "x");
    assert_int_equal (zlb_client_send_raw (fixture->client, "plain", &body, &id), 0);
    zframe_t *raw = s_broker_take (fixture, "plain");
    zframe_destroy (&raw);
    zmsg_t *error = zlb_error_reply_new (0, ZLB_STATUS_NO_WORKER, "broker", "no worker");
    s_broker_send (fixture, "plain", &error);
    assert_int_equal (zlb_client_recv (fixture->client, &result, S_WAIT_MS), 1);
    assert_int_equal (result.status, ZLB_STATUS_NO_WORKER);
    assert_null (result.frames);
    //  Bad arguments: the body is taken all the same.
    body = zmsg_new ();
    assert_int_equal (zlb_client_send_raw (fixture->client, "plain", &body, &id), -1);
    assert_null (body);
    s_fixture_destroy (&fixture);
}

static void
test_broker_error_reply (void **state)
{
    (void) state;
    s_fixture_t *fixture = s_fixture_new (1000, 3, 0, 0);
    int statuses [] = { ZLB_STATUS_BUSY, ZLB_STATUS_NO_WORKER, ZLB_STATUS_FAILED,
                        ZLB_STATUS_TOO_LARGE, ZLB_STATUS_BAD_REQUEST };
    for (uint64_t index = 0; index < 5; index++) {
        s_send (fixture, "x", index + 1);
        s_broker_expect (fixture, index + 1, 1, "x");
        zmsg_t *msg = zlb_error_reply_new (index + 1, statuses [index], "broker", "no luck");
        assert_non_null (msg);
        s_broker_send (fixture, "echo", &msg);
        zlb_result_t result;
        s_result (fixture, &result);
        assert_int_equal (result.id, index + 1);
        assert_int_equal (result.status, statuses [index]);
        assert_string_equal (result.error, "no luck");
        assert_string_equal (result.worker, "broker");
        assert_int_equal (result.payload_size, 0);
        assert_int_equal (result.service_ns, 0);
    }
    zlb_client_stats_t stats;
    zlb_client_stats (fixture->client, &stats);
    assert_int_equal (stats.replies, 5);
    assert_int_equal (stats.malformed, 0);
    s_fixture_destroy (&fixture);
}

static void
test_send_refused (void **state)
{
    (void) state;
    s_fixture_t *fixture = s_fixture_new (1000, 3, 2, 10);
    uint64_t id;
    assert_int_equal (zlb_client_send (fixture->client, "echo", "a", 1, &id), 0);
    //  EMSGSIZE over max_payload, EINVAL for bad service names.
    errno = 0;
    assert_int_equal (zlb_client_send (fixture->client, "echo", "0123456789x", 11, &id), -1);
    assert_int_equal (errno, EMSGSIZE);
    char long_name [300];
    memset (long_name, 'a', sizeof long_name);
    long_name [256] = 0;
    const char *bad [] = { "", long_name, "two words", NULL };
    for (size_t index = 0; index < 4; index++) {
        errno = 0;
        assert_int_equal (zlb_client_send (fixture->client, bad [index], "a", 1, &id), -1);
        assert_int_equal (errno, EINVAL);
    }
    long_name [255] = 0;                                 //  255 bytes is fine
    assert_int_equal (zlb_client_send (fixture->client, long_name, "a", 1, &id), 0);
    //  EBUSY at max_inflight (2).
    errno = 0;
    assert_int_equal (zlb_client_send (fixture->client, "echo", "a", 1, &id), -1);
    assert_int_equal (errno, EBUSY);
    assert_int_equal (zlb_client_inflight (fixture->client), 2);
    zlb_client_stats_t stats;
    zlb_client_stats (fixture->client, &stats);
    assert_int_equal (stats.sent, 2);
    s_fixture_destroy (&fixture);
}

static void
test_mmi_reply (void **state)
{
    (void) state;
    s_fixture_t *fixture = s_fixture_new (1000, 3, 0, 0);
    uint64_t first, second;
    assert_int_equal (zlb_client_send (fixture->client, "mmi.service", "echo", 4, &first), 0);
    assert_int_equal (zlb_client_send (fixture->client, "mmi.service", "nope", 4, &second), 0);
    //  RFC 8: the body is the raw service name, not a zlb request map.
    zframe_t *body = s_broker_take (fixture, "mmi.service");
    assert_true (zframe_streq (body, "echo"));
    zframe_destroy (&body);
    body = s_broker_take (fixture, "mmi.service");
    assert_true (zframe_streq (body, "nope"));
    zframe_destroy (&body);
    s_broker_raw (fixture, 4, "", "MDPC01", "mmi.service", "200");
    s_broker_raw (fixture, 4, "", "MDPC01", "mmi.service", "404");
    zlb_result_t result;
    s_result (fixture, &result);
    assert_int_equal (result.id, first);                 //  oldest first
    assert_int_equal (result.status, ZLB_STATUS_OK);
    assert_int_equal (result.payload_size, 3);
    assert_memory_equal (result.payload, "200", 3);
    assert_string_equal (result.service, "mmi.service");
    s_result (fixture, &result);
    assert_int_equal (result.id, second);
    assert_memory_equal (result.payload, "404", 3);
    //  One more answer with nothing asked: dropped.
    s_broker_raw (fixture, 4, "", "MDPC01", "mmi.service", "200");
    s_until_duplicates (fixture, 1);
    zlb_client_stats_t stats;
    zlb_client_stats (fixture->client, &stats);
    assert_int_equal (stats.replies, 2);
    assert_int_equal (stats.duplicates, 1);
    s_fixture_destroy (&fixture);
}

static void
test_blocking_request (void **state)
{
    (void) state;
    //  No broker answers: the blocking call still returns, with 408.
    //  It waits in real time, so the real clock.
    s_fixture_t *fixture = s_fixture_make (20, 1, 0, 0, false);
    zlb_result_t result;
    assert_int_equal (zlb_client_request (fixture->client, "echo", "hi", 2, &result), 0);
    assert_int_equal (result.status, ZLB_STATUS_TIMEOUT);
    assert_int_equal (result.attempts, 2);
    assert_int_equal (zlb_client_request (fixture->client, "", "hi", 2, &result), -1);
    s_fixture_destroy (&fixture);
}

//  Nobody listens: the pipe fills to the high-water mark (600 requests,
//  then their resends). Sends and resends must never block; every request
//  still ends as exactly one 408, at the third timeout of the fake clock.
static void
test_full_pipe_never_blocks (void **state)
{
    (void) state;
    char endpoint [96];
    snprintf (endpoint, sizeof endpoint, "ipc:///tmp/zlb-test-client-%d-nobody.ipc", getpid ());
    s_fixture_t clock = { .now = 1000 * S_MS };
    zlb_client_options_t options;
    zlb_client_options_defaults (&options);
    options.timeout_ms = 30;
    options.retries = 2;
    options.max_inflight = 600;          //  HWM 1200: resends overflow it
    options.clock_ns = s_clock;
    options.clock_arg = &clock;
    zlb_client_t *client = zlb_client_new (endpoint, &options);
    assert_non_null (client);
    for (uint64_t index = 1; index <= 600; index++) {
        uint64_t id;
        assert_int_equal (zlb_client_send (client, "echo", "x", 1, &id), 0);
        assert_int_equal (id, index);
    }
    zlb_result_t result;
    for (int attempt = 2; attempt <= 3; attempt++) {
        clock.now += 30 * S_MS;          //  600 resends in one call
        assert_int_equal (zlb_client_recv (client, &result, 0), 0);
    }
    clock.now += 30 * S_MS;              //  then 600 results, one a call
    for (size_t results = 0; results < 600; results++) {
        assert_int_equal (zlb_client_recv (client, &result, 0), 1);
        assert_int_equal (result.status, ZLB_STATUS_TIMEOUT);
        assert_int_equal (result.attempts, 3);
    }
    assert_int_equal (zlb_client_inflight (client), 0);
    zlb_client_stats_t stats;
    zlb_client_stats (client, &stats);
    assert_int_equal (stats.timeouts, 600);
    assert_int_equal (stats.retries, 1200);
    zlb_client_destroy (&client);
}

static void
test_new_refuses_bad_arguments (void **state)
{
    (void) state;
    assert_null (zlb_client_new ("nonsense://x", NULL));
    assert_null (zlb_client_new ("", NULL));
    zlb_client_options_t options;
    zlb_client_options_defaults (&options);
    assert_int_equal (options.timeout_ms, 3000);
    assert_int_equal (options.retries, 3);
    assert_int_equal (options.max_inflight, 1024);
    assert_int_equal (options.max_payload, 1024 * 1024);
    options.timeout_ms = 0;
    errno = 0;
    assert_null (zlb_client_new ("inproc://unused", &options));
    assert_int_equal (errno, EINVAL);
    zlb_client_t *client = zlb_client_new ("inproc://unused", NULL);
    assert_non_null (client);
    zlb_client_destroy (&client);
    zlb_client_destroy (&client);                        //  safe twice
    assert_null (client);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_request_frames),
        cmocka_unit_test (test_reply_delivered),
        cmocka_unit_test (test_retry_same_id),
        cmocka_unit_test (test_duplicate_dropped),
        cmocka_unit_test (test_give_up_after_retries),
        cmocka_unit_test (test_zero_retries_one_attempt),
        cmocka_unit_test (test_garbage_counted),
        cmocka_unit_test (test_hostile_replies),
        cmocka_unit_test (test_not_zlb_reply),
        cmocka_unit_test (test_raw_request),
        cmocka_unit_test (test_broker_error_reply),
        cmocka_unit_test (test_send_refused),
        cmocka_unit_test (test_mmi_reply),
        cmocka_unit_test (test_blocking_request),
        cmocka_unit_test (test_full_pipe_never_blocks),
        cmocka_unit_test (test_new_refuses_bad_arguments),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
