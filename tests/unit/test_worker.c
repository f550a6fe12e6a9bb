/*  test_worker.c - the worker API against a fake broker (a raw ROUTER over
    inproc://), single-threaded: the worker only acts inside zlb_worker_recv
    and zlb_worker_idle, so each test drives it, then reads what the fake
    broker got. The worker runs on a fake clock that only the test moves
    (s_tick), so heartbeats, silences and backoffs happen at exact steps
    however loaded the machine is; real time only bounds a hang.            */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <string.h>

#include "zlb/zlb.h"
#include "mdp.h"

#define S_HEARTBEAT_MS 50
#define S_LIVENESS     3
#define S_WAIT_MS      10000      //  real-time bound on every wait (a hang)
#define S_MS           1000000LL  //  ns in a ms, for the fake clock

typedef struct {
    zsock_t *router;              //  the fake broker
    zlb_worker_t *worker;         //  the worker under test
    zlb_log_t *log;               //  debug log to stderr, to see what happens
    int64_t now;                  //  the fake clock, ns
} s_fixture_t;

static int64_t
s_clock (void *arg)
{
    return ((s_fixture_t *) arg)->now;
}

//  credit: options.credit (1: strict MDP 0.1, what most tests are about;
//  0: the default, adaptive).
static int
s_fixture_new (void **state, bool fake_clock, int credit)
{
    static int counter = 0;
    s_fixture_t *fx = (s_fixture_t *) calloc (1, sizeof (s_fixture_t));
    char endpoint [64];
    snprintf (endpoint, sizeof endpoint, "inproc://test-worker-%d", ++counter);
    fx->router = zsock_new_router (endpoint);
    assert_non_null (fx->router);
    zsock_set_rcvtimeo (fx->router, S_WAIT_MS);
    zsock_set_sndtimeo (fx->router, S_WAIT_MS);
    fx->log = zlb_log_new ("-", "worker", "tw",
                           getenv ("ZLB_TEST_DEBUG") ? ZLB_LOG_DEBUG : ZLB_LOG_ERROR);
    zlb_worker_options_t options;
    zlb_worker_options_defaults (&options);
    options.id = "tw";
    options.heartbeat_ms = S_HEARTBEAT_MS;
    options.liveness = S_LIVENESS;
    options.log = fx->log;
    options.credit = credit;
    if (fake_clock) {
        fx->now = 1000 * S_MS;        //  not 0: the worker treats 0 as "never"
        options.clock_ns = s_clock;
        options.clock_arg = fx;
    }
    fx->worker = zlb_worker_new (endpoint, &options);
    assert_non_null (fx->worker);
    *state = fx;
    return 0;
}

static int
s_setup (void **state)
{
    return s_fixture_new (state, true, 1);
}

//  A worker with the default settings: adaptive credit.
static int
s_setup_adaptive (void **state)
{
    return s_fixture_new (state, true, 0);
}

//  For the one test that needs real time to pass inside the worker.
static int
s_setup_real (void **state)
{
    return s_fixture_new (state, false, 1);
}

static int
s_teardown (void **state)
{
    s_fixture_t *fx = (s_fixture_t *) *state;
    zlb_worker_destroy (&fx->worker);
    zsock_destroy (&fx->router);
    zlb_log_destroy (&fx->log);
    free (fx);
    zsys_interrupted = 0;
    return 0;
}

//  The worker's routing ids are ID#N.RANDOM: tests name them ID#N, and the
//  full id is learned from the READY it sends on each fresh socket.
#define S_IDS 8
static char s_ids [S_IDS][2][96];           //  short name, full routing id

static bool
s_id_is (zframe_t *frame, const char *name)
{
    size_t size = strlen (name);
    return mdp_frame_is (frame, name)
        || (zframe_size (frame) > size && memcmp (zframe_data (frame), name, size) == 0
            && zframe_data (frame) [size] == '.');
}

static void
s_learn_id (const char *name, zframe_t *frame)
{
    for (int index = 0; index < S_IDS; index++)
        if (!*s_ids [index][0] || streq (s_ids [index][0], name)) {
            snprintf (s_ids [index][0], sizeof (s_ids [index][0]), "%s", name);
            snprintf (s_ids [index][1], sizeof (s_ids [index][1]), "%.*s",
                      (int) zframe_size (frame), (const char *) zframe_data (frame));
            return;
        }
}

static const char *
s_full_id (const char *name)
{
    for (int index = 0; index < S_IDS; index++)
        if (streq (s_ids [index][0], name))
            return s_ids [index][1];
    return name;
}

//  Move the fake clock, then let the (idle) worker act on it once.
static void
s_tick (s_fixture_t *fx, int64_t ms)
{
    fx->now += ms * S_MS;
    zlb_work_t work;
    assert_int_equal (zlb_worker_recv (fx->worker, &work, 0), 0);
}

//  The next request: call recv without waiting (the clock stands still)
//  until one comes in over inproc.
static void
s_recv_work (s_fixture_t *fx, zlb_work_t *work)
{
    int64_t deadline = zclock_mono () + S_WAIT_MS;
    while (zlb_worker_recv (fx->worker, work, 0) == 0) {
        assert_true (zclock_mono () < deadline);
        zclock_sleep (1);
    }
}

//  Let the idle worker read what the fake broker sent until one of its
//  counters (a field of zlb_worker_stats_t) reaches n; the clock stands still.
#define s_pump_until(fx, field, n) \
    s_pump ((fx), offsetof (zlb_worker_stats_t, field), (n))

static void
s_pump (s_fixture_t *fx, size_t field, uint64_t n)
{
    int64_t deadline = zclock_mono () + S_WAIT_MS;
    zlb_worker_stats_t stats;
    while (true) {
        s_tick (fx, 0);
        zlb_worker_stats (fx->worker, &stats);
        if (*(const uint64_t *) ((const char *) &stats + field) >= n)
            return;
        assert_true (zclock_mono () < deadline);
        zclock_sleep (1);
    }
}

//  Next message from `identity` with this command, skipping everything else
//  (heartbeats, a stale socket's leftovers); NULL after S_WAIT_MS.
static zmsg_t *
s_expect (zsock_t *router, const char *identity, int command)
{
    int64_t deadline = zclock_mono () + S_WAIT_MS;
    while (zclock_mono () < deadline) {
        zmsg_t *msg = zmsg_recv (router);
        if (!msg)
            return NULL;
        if (zmsg_size (msg) < 4) {
            zmsg_destroy (&msg);
            continue;
        }
        zframe_t *id = zmsg_first (msg);
        zmsg_next (msg);
        zframe_t *protocol = zmsg_next (msg);
        zframe_t *cmd = zmsg_next (msg);
        if (s_id_is (id, identity) && mdp_frame_is (protocol, MDP_WORKER)
        &&  cmd && zframe_size (cmd) == 1 && zframe_data (cmd) [0] == command)
            return msg;
        zmsg_destroy (&msg);
    }
    return NULL;
}

//  Send frames to the worker: identity, then NULL-terminated strings
//  ("\x02" style single bytes work since they are strings too).
static void
s_send (zsock_t *router, const char *identity, ...)
{
    zmsg_t *msg = zmsg_new ();
    zmsg_addstr (msg, s_full_id (identity));
    va_list args;
    va_start (args, identity);
    for (const char *frame = va_arg (args, const char *); frame;
         frame = va_arg (args, const char *))
        zmsg_addstr (msg, frame);
    va_end (args);
    assert_int_equal (zmsg_send (&msg, router), 0);
}

//  A REQUEST carrying a zlb request body.
static void
s_send_request (zsock_t *router, const char *identity, uint64_t id,
                const char *payload, uint32_t attempt)
{
    zlb_request_t request = { .id = id, .ts = (uint64_t) zlb_time_ns (), .attempt = attempt,
                              .payload = (const uint8_t *) payload,
                              .payload_size = strlen (payload) };
    zmsg_t *msg = zmsg_new ();
    zmsg_addstr (msg, s_full_id (identity));
    zmsg_addstr (msg, "");
    zmsg_addstr (msg, MDP_WORKER);
    zmsg_addstr (msg, "\x02");
    zmsg_addstr (msg, "client-7");
    zmsg_addstr (msg, "");
    zframe_t *body = zlb_request_encode (&request);
    zmsg_append (msg, &body);
    assert_int_equal (zmsg_send (&msg, router), 0);
}

static void
s_expect_ready (s_fixture_t *fx, const char *identity)
{
    zmsg_t *ready = s_expect (fx->router, identity, MDP_READY);
    assert_non_null (ready);
    s_learn_id (identity, zmsg_first (ready));
    assert_int_equal (zmsg_size (ready), 5);
    zframe_t *service = zmsg_last (ready);
    assert_true (mdp_frame_is (service, "echo"));
    zmsg_destroy (&ready);
}

//  Read a REPLY from tw#1 and decode its two body frames.
static void
s_expect_reply (s_fixture_t *fx, const char *identity, zlb_reply_t *reply,
                zlb_confirm_t *confirm, zmsg_t **msg_p)
{
    zmsg_t *msg = s_expect (fx->router, identity, MDP_REPLY);
    assert_non_null (msg);
    assert_int_equal (zmsg_size (msg), 8);
    zmsg_first (msg);                    //  identity
    zmsg_next (msg);                     //  ""
    zmsg_next (msg);                     //  MDPW01
    zmsg_next (msg);                     //  0x03
    assert_true (mdp_frame_is (zmsg_next (msg), "client-7"));
    assert_int_equal (zframe_size (zmsg_next (msg)), 0);
    assert_int_equal (zlb_reply_decode (zmsg_next (msg), reply, NULL), 0);
    assert_int_equal (zlb_confirm_decode (zmsg_next (msg), confirm, NULL), 0);
    *msg_p = msg;                        //  reply points into it
}

static void
test_ready_on_connect (void **state)
{
    s_fixture_t *fx = (s_fixture_t *) *state;
    s_expect_ready (fx, "tw#1");
    assert_string_equal (zlb_worker_id (fx->worker), "tw");
}

static void
test_heartbeats_both_ways (void **state)
{
    s_fixture_t *fx = (s_fixture_t *) *state;
    s_expect_ready (fx, "tw#1");
    s_send (fx->router, "tw#1", "", MDP_WORKER, "\x04", NULL);
    s_pump_until (fx, heartbeats_received, 1);
    s_tick (fx, S_HEARTBEAT_MS - 1);
    s_tick (fx, 1);                                  //  one interval since READY
    zmsg_t *heartbeat = s_expect (fx->router, "tw#1", MDP_HEARTBEAT);
    assert_non_null (heartbeat);
    assert_int_equal (zmsg_size (heartbeat), 4);
    zmsg_destroy (&heartbeat);
    zlb_worker_stats_t stats;
    zlb_worker_stats (fx->worker, &stats);
    assert_int_equal (stats.heartbeats_received, 1);
    assert_int_equal (stats.heartbeats_sent, 1);
    assert_int_equal (stats.reconnects, 0);
}

//  An answer the worker made itself: an empty reply map with this id and
//  a confirmation with this status (and this error text, unless NULL).
static void
s_expect_error (s_fixture_t *fx, uint64_t id, int status, const char *error)
{
    zlb_reply_t reply;
    zlb_confirm_t confirm;
    zmsg_t *msg;
    s_expect_reply (fx, "tw#1", &reply, &confirm, &msg);
    assert_int_equal (reply.id, id);
    assert_int_equal (reply.payload_size, 0);
    assert_int_equal (confirm.status, status);
    assert_string_equal (confirm.worker, "tw");
    assert_non_null (confirm.error);
    if (error)
        assert_string_equal (confirm.error, error);
    zmsg_destroy (&msg);
}

//  The worker still serves: a request with this id is handed out and answered.
static void
s_serve_one (s_fixture_t *fx, uint64_t id)
{
    s_send_request (fx->router, "tw#1", id, "still here", 1);
    zlb_work_t work;
    s_recv_work (fx, &work);
    assert_int_equal (work.id, id);
    assert_int_equal (zlb_worker_reply (fx->worker, &work, ZLB_STATUS_OK, "ok", 2, NULL), 0);
    zlb_reply_t reply;
    zlb_confirm_t confirm;
    zmsg_t *msg;
    s_expect_reply (fx, "tw#1", &reply, &confirm, &msg);
    assert_int_equal (reply.id, id);
    zmsg_destroy (&msg);
}

//  RFC 7: a REPLY proves the worker alive, so the next HEARTBEAT is an
//  interval after the reply, not after the last heartbeat.
static void
test_no_heartbeat_after_reply (void **state)
{
    s_fixture_t *fx = (s_fixture_t *) *state;
    s_expect_ready (fx, "tw#1");
    s_tick (fx, S_HEARTBEAT_MS / 2);
    s_serve_one (fx, 5);                             //  the reply, half-way
    s_tick (fx, S_HEARTBEAT_MS / 2);                 //  one interval since READY
    zlb_worker_stats_t stats;
    zlb_worker_stats (fx->worker, &stats);
    assert_int_equal (stats.heartbeats_sent, 0);
    s_tick (fx, S_HEARTBEAT_MS / 2);                 //  one interval since the reply
    zlb_worker_stats (fx->worker, &stats);
    assert_int_equal (stats.heartbeats_sent, 1);
    zmsg_t *heartbeat = s_expect (fx->router, "tw#1", MDP_HEARTBEAT);
    assert_non_null (heartbeat);
    zmsg_destroy (&heartbeat);
}

static void
test_request_and_reply (void **state)
{
    s_fixture_t *fx = (s_fixture_t *) *state;
    s_expect_ready (fx, "tw#1");
    s_send_request (fx->router, "tw#1", 77, "hello", 2);
    zlb_work_t work;
    s_recv_work (fx, &work);
    assert_int_equal (work.id, 77);
    assert_int_equal (work.attempt, 2);
    assert_int_equal (work.payload_size, 5);
    assert_memory_equal (work.payload, "hello", 5);
    assert_string_equal (work.client, "client-7");
    assert_int_equal (zlb_worker_reply (fx->worker, &work, ZLB_STATUS_OK,
                                        work.payload, work.payload_size, NULL), 0);
    //  Nothing left to answer.
    assert_int_equal (zlb_worker_reply (fx->worker, &work, ZLB_STATUS_OK, "x", 1, NULL), -1);

    zlb_reply_t reply;
    zlb_confirm_t confirm;
    zmsg_t *msg;
    s_expect_reply (fx, "tw#1", &reply, &confirm, &msg);
    assert_int_equal (reply.id, 77);
    assert_int_equal (reply.payload_size, 5);
    assert_memory_equal (reply.payload, "hello", 5);
    assert_int_equal (confirm.id, 77);
    assert_int_equal (confirm.status, ZLB_STATUS_OK);
    assert_string_equal (confirm.worker, "tw");
    assert_int_equal (confirm.attempt, 2);
    assert_true (confirm.t_recv > 0 && confirm.t_send >= confirm.t_recv);
    zmsg_destroy (&msg);
    zlb_worker_stats_t stats;
    zlb_worker_stats (fx->worker, &stats);
    assert_int_equal (stats.served, 1);
}

static void
test_garbage_body_answered_400 (void **state)
{
    s_fixture_t *fx = (s_fixture_t *) *state;
    s_expect_ready (fx, "tw#1");
    s_send (fx->router, "tw#1", "", MDP_WORKER, "\x02", "client-7", "", "not msgpack", NULL);
    s_pump_until (fx, bad_requests, 1);              //  answered inside recv
    s_expect_error (fx, 0, ZLB_STATUS_BAD_REQUEST, NULL);
    zlb_worker_stats_t stats;
    zlb_worker_stats (fx->worker, &stats);
    assert_int_equal (stats.bad_requests, 1);
    assert_int_equal (stats.served, 0);
}

//  options.raw: a body that is not a zlb request is handed over as it came
//  and answered with the frames the handler gives; a zlb request is still
//  a zlb request, and zlb_worker_reply on a raw one sends one plain frame.
static void
test_raw_body_handed_over (void **state)
{
    (void) state;
    zsock_t *router = zsock_new_router ("inproc://test-worker-raw");
    assert_non_null (router);
    zsock_set_rcvtimeo (router, S_WAIT_MS);
    zlb_worker_options_t options;
    zlb_worker_options_defaults (&options);
    options.id = "rw";
    options.heartbeat_ms = S_HEARTBEAT_MS;
    options.raw = true;
    zlb_worker_t *worker = zlb_worker_new ("inproc://test-worker-raw", &options);
    assert_non_null (worker);
    zmsg_t *ready = s_expect (router, "rw#1", MDP_READY);
    assert_non_null (ready);
    s_learn_id ("rw#1", zmsg_first (ready));
    zmsg_destroy (&ready);
    s_send (router, "rw#1", "", MDP_WORKER, "\x02", "c1", "", "plain", "two", NULL);
    zlb_work_t work;
    assert_int_equal (zlb_worker_recv (worker, &work, 1000), 1);
    assert_non_null (work.frames);
    assert_int_equal (zmsg_size (work.frames), 2);
    assert_int_equal (work.id, 0);
    assert_memory_equal (work.payload, "plain", 5);
    zmsg_t *echo = zmsg_dup (work.frames);
    assert_int_equal (zlb_worker_reply_raw (worker, &work, &echo), 0);
    assert_null (echo);
    zmsg_t *msg = s_expect (router, "rw#1", MDP_REPLY);
    assert_non_null (msg);
    assert_int_equal (zmsg_size (msg), 8);          //  id "" MDPW01 REPLY c1 "" plain two
    assert_true (mdp_frame_is (zmsg_last (msg), "two"));
    zmsg_destroy (&msg);
    //  zlb_worker_reply on a raw request: the payload as one frame.
    s_send (router, "rw#1", "", MDP_WORKER, "\x02", "c1", "", "text", NULL);
    assert_int_equal (zlb_worker_recv (worker, &work, 1000), 1);
    assert_int_equal (zlb_worker_reply (worker, &work, ZLB_STATUS_OK, "ok", 2, NULL), 0);
    msg = s_expect (router, "rw#1", MDP_REPLY);
    assert_int_equal (zmsg_size (msg), 7);
    assert_true (mdp_frame_is (zmsg_last (msg), "ok"));
    zmsg_destroy (&msg);
    zlb_worker_stats_t stats;
    zlb_worker_stats (worker, &stats);
    assert_int_equal (stats.raw_requests, 2);
    assert_int_equal (stats.served, 2);
    assert_int_equal (stats.bad_requests, 0);
    zlb_worker_destroy (&worker);
    zsock_destroy (&router);
}

//  Hostile frames from the "broker" are dropped; the worker keeps serving.
static void
test_malformed_frames_dropped (void **state)
{
    s_fixture_t *fx = (s_fixture_t *) *state;
    s_expect_ready (fx, "tw#1");
    s_send (fx->router, "tw#1", "x", NULL);
    s_send (fx->router, "tw#1", "", "MDPC01", "\x02", NULL);
    s_send (fx->router, "tw#1", "", MDP_WORKER, "\x09", NULL);
    s_send (fx->router, "tw#1", "", MDP_WORKER, "\x02\x02", NULL);
    s_send (fx->router, "tw#1", "", MDP_WORKER, "\x02", "client", NULL);
    s_send (fx->router, "tw#1", "", MDP_WORKER, "\x02", "", "", "body", NULL);
    s_send (fx->router, "tw#1", "", MDP_WORKER, "\x02", "client", "x", "body", NULL);
    s_send (fx->router, "tw#1", "", MDP_WORKER, "\x04", "extra", NULL);
    s_send (fx->router, "tw#1", "", MDP_WORKER, "\x01", "echo", NULL);
    s_send (fx->router, "tw#1", "x", MDP_WORKER, "\x04", NULL);
    s_serve_one (fx, 5);
}

//  A message of `frames` frames: the envelope of `command`, then copies of
//  body (a zlb request with this id) until the count is reached.
static void
s_send_many (zsock_t *router, const char *identity, const char *command, uint64_t id,
             size_t frames)
{
    zlb_request_t request = { .id = id, .payload = (const uint8_t *) "x", .payload_size = 1 };
    zframe_t *body = zlb_request_encode (&request);
    zmsg_t *msg = zmsg_new ();
    zmsg_addstr (msg, s_full_id (identity));
    zmsg_addstr (msg, "");
    zmsg_addstr (msg, MDP_WORKER);
    zmsg_addstr (msg, command);
    if (streq (command, "\x02")) {
        zmsg_addstr (msg, "client-7");
        zmsg_addstr (msg, "");
    }
    while (zmsg_size (msg) < frames + 1) {
        zframe_t *copy = zframe_dup (body);
        zmsg_append (msg, &copy);
    }
    zframe_destroy (&body);
    assert_int_equal (zmsg_send (&msg, router), 0);
}

//  More frames than the worker reads: a heartbeat is dropped, a REQUEST is
//  answered 400 (its broker slot must not stay taken); a REQUEST with no
//  body is dropped. The worker keeps serving.
static void
test_too_many_frames (void **state)
{
    s_fixture_t *fx = (s_fixture_t *) *state;
    s_expect_ready (fx, "tw#1");
    s_send_many (fx->router, "tw#1", "\x04", 0, 40);
    s_send (fx->router, "tw#1", "", MDP_WORKER, "\x02", "client-7", "", NULL);
    s_send_many (fx->router, "tw#1", "\x02", 9, 40);
    s_pump_until (fx, bad_requests, 1);
    s_expect_error (fx, 9, ZLB_STATUS_BAD_REQUEST, "too many body frames");
    s_serve_one (fx, 10);
    zlb_worker_stats_t stats;
    zlb_worker_stats (fx->worker, &stats);
    assert_int_equal (stats.heartbeats_received, 0);
    assert_int_equal (stats.bad_requests, 1);
}

//  A broker that sends more REQUESTs than the credit (1 here) allows gets
//  the extra one answered busy; the first is still served.
static void
test_over_credit_answered_busy (void **state)
{
    s_fixture_t *fx = (s_fixture_t *) *state;
    s_expect_ready (fx, "tw#1");
    s_send_request (fx->router, "tw#1", 1, "first", 1);
    s_send_request (fx->router, "tw#1", 2, "second", 1);
    int64_t deadline = zclock_mono () + S_WAIT_MS;
    while (!(zsock_events (fx->router) & ZMQ_POLLIN)) {
        zlb_worker_idle (fx->worker, 0);            //  reads, hands out nothing
        assert_true (zclock_mono () < deadline);
    }
    s_expect_error (fx, 2, ZLB_STATUS_BUSY, "worker busy");
    zlb_work_t work;
    s_recv_work (fx, &work);
    assert_int_equal (work.id, 1);
    assert_memory_equal (work.payload, "first", 5);
}

static void
test_disconnect_reregisters_on_fresh_socket (void **state)
{
    s_fixture_t *fx = (s_fixture_t *) *state;
    s_expect_ready (fx, "tw#1");
    s_send (fx->router, "tw#1", "", MDP_WORKER, "\x05", NULL);
    s_pump_until (fx, reconnects, 1);                //  the clock never moved:
    s_expect_ready (fx, "tw#2");                     //  at once, no backoff
    zlb_work_t work;
    //  The fresh socket serves.
    s_send_request (fx->router, "tw#2", 9, "again", 1);
    s_recv_work (fx, &work);
    assert_int_equal (zlb_worker_reply (fx->worker, &work, ZLB_STATUS_OK, "a", 1, NULL), 0);
    zlb_reply_t reply;
    zlb_confirm_t confirm;
    zmsg_t *msg;
    s_expect_reply (fx, "tw#2", &reply, &confirm, &msg);
    assert_int_equal (reply.id, 9);
    zmsg_destroy (&msg);
}

//  Step the clock to 1 ms short of `window_ms`: still on the same socket;
//  then 1 ms more: a fresh socket, `reconnects` in all.
static void
s_check_silence (s_fixture_t *fx, int64_t window_ms, uint64_t reconnects)
{
    zlb_worker_stats_t stats;
    s_tick (fx, window_ms - 1);
    zlb_worker_stats (fx->worker, &stats);
    assert_int_equal (stats.reconnects, reconnects - 1);
    s_tick (fx, 1);
    zlb_worker_stats (fx->worker, &stats);
    assert_int_equal (stats.reconnects, reconnects);
}

//  A silent broker: new socket after liveness x heartbeat, plus backoff.
static void
test_silent_broker_reconnects (void **state)
{
    s_fixture_t *fx = (s_fixture_t *) *state;
    s_expect_ready (fx, "tw#1");
    //  Silence of liveness x heartbeat (150 ms): socket 2 at once. Each
    //  silence doubles the backoff (from 50 ms) and a fresh socket's
    //  window is the silence plus that backoff: 250 ms, then 350 ms.
    s_check_silence (fx, 150, 1);
    s_expect_ready (fx, "tw#2");
    s_check_silence (fx, 250, 2);
    s_expect_ready (fx, "tw#3");
    s_check_silence (fx, 350, 3);
    s_expect_ready (fx, "tw#4");
    //  Heard from again: the backoff resets, the next silence is 150 ms.
    s_send (fx->router, "tw#4", "", MDP_WORKER, "\x04", NULL);
    s_pump_until (fx, heartbeats_received, 1);
    s_check_silence (fx, 150, 4);
    s_expect_ready (fx, "tw#5");
}

//  While the caller holds a request the worker heartbeats but does not
//  give up on a silent broker, so the reply goes out on the same socket.
static void
test_busy_worker_keeps_socket (void **state)
{
    s_fixture_t *fx = (s_fixture_t *) *state;
    s_expect_ready (fx, "tw#1");
    s_send_request (fx->router, "tw#1", 3, "slow", 1);
    zlb_work_t work;
    s_recv_work (fx, &work);
    //  8 heartbeat intervals of silence, far past liveness x heartbeat.
    for (int interval = 0; interval < 8; interval++) {
        fx->now += S_HEARTBEAT_MS * S_MS;
        zlb_worker_idle (fx->worker, 0);
    }
    zlb_worker_stats_t stats;
    zlb_worker_stats (fx->worker, &stats);
    assert_int_equal (stats.heartbeats_sent, 8);  //  one each interval: they go on
    assert_int_equal (stats.reconnects, 0);
    assert_int_equal (zlb_worker_reply (fx->worker, &work, ZLB_STATUS_OK, "s", 1, NULL), 0);
    zlb_reply_t reply;
    zlb_confirm_t confirm;
    zmsg_t *msg;
    s_expect_reply (fx, "tw#1", &reply, &confirm, &msg);
    assert_int_equal (reply.id, 3);
    zmsg_destroy (&msg);
}

static void
test_unanswered_request_gets_500 (void **state)
{
    s_fixture_t *fx = (s_fixture_t *) *state;
    s_expect_ready (fx, "tw#1");
    s_send_request (fx->router, "tw#1", 11, "forgotten", 1);
    zlb_work_t work;
    s_recv_work (fx, &work);
    assert_int_equal (zlb_worker_recv (fx->worker, &work, 0), 0);
    zlb_reply_t reply;
    zlb_confirm_t confirm;
    zmsg_t *msg;
    s_expect_reply (fx, "tw#1", &reply, &confirm, &msg);
    assert_int_equal (confirm.id, 11);
    assert_int_equal (confirm.status, ZLB_STATUS_WORKER_ERROR);
    zmsg_destroy (&msg);
}

static void
test_interrupted (void **state)
{
    s_fixture_t *fx = (s_fixture_t *) *state;
    s_expect_ready (fx, "tw#1");
    zsys_interrupted = 1;
    zlb_work_t work;
    assert_int_equal (zlb_worker_recv (fx->worker, &work, -1), -1);
    //  idle ignores the signal: the request in hand gets finished
    int64_t start = zclock_mono ();
    zlb_worker_idle (fx->worker, 120 * 1000);
    assert_true (zclock_mono () - start >= 119);
    zsys_interrupted = 0;
}

static void
test_destroy_sends_disconnect (void **state)
{
    s_fixture_t *fx = (s_fixture_t *) *state;
    s_expect_ready (fx, "tw#1");
    zlb_worker_destroy (&fx->worker);
    assert_null (fx->worker);
    zlb_worker_destroy (&fx->worker);          //  safe twice
    zmsg_t *bye = s_expect (fx->router, "tw#1", MDP_DISCONNECT);
    assert_non_null (bye);
    assert_int_equal (zmsg_size (bye), 4);
    zmsg_destroy (&bye);
}

//  The HEARTBEAT that carries a window update ("credit=N"); plain
//  heartbeats on the way are skipped. Returns N.
static int
s_expect_window (s_fixture_t *fx)
{
    int64_t deadline = zclock_mono () + S_WAIT_MS;
    while (zclock_mono () < deadline) {
        zmsg_t *heartbeat = s_expect (fx->router, "tw#1", MDP_HEARTBEAT);
        assert_non_null (heartbeat);
        if (zmsg_size (heartbeat) == 5) {
            char *text = zframe_strdup (zmsg_last (heartbeat));
            int window = 0;
            assert_int_equal (sscanf (text, "credit=%d", &window), 1);
            free (text);
            zmsg_destroy (&heartbeat);
            return window;
        }
        zmsg_destroy (&heartbeat);
    }
    fail_msg ("no window update");
    return 0;
}

//  Serve count requests, each service_ms long on the fake clock, each
//  arriving rtt_ms after the reply to the one before. The replies stay
//  queued at the fake broker (s_expect skips them).
static void
s_serve_timed (s_fixture_t *fx, int count, int64_t service_ms, int64_t rtt_ms)
{
    for (int index = 0; index < count; index++) {
        s_send_request (fx->router, "tw#1", (uint64_t) index + 1, "x", 1);
        fx->now += rtt_ms * S_MS / 10;           //  in tenths of a ms
        zlb_work_t work;
        s_recv_work (fx, &work);
        fx->now += service_ms * S_MS / 10;
        assert_int_equal (zlb_worker_reply (fx->worker, &work, ZLB_STATUS_OK, "ok", 2, NULL), 0);
    }
}

//  By default a worker is adaptive: READY "credit=1/32", strict at first;
//  fast requests behind a long round trip make it ask for its ceiling, slow
//  ones bring it back to one (HEARTBEAT "credit=N" each time).
static void
test_adaptive_window (void **state)
{
    s_fixture_t *fx = (s_fixture_t *) *state;
    zmsg_t *ready = s_expect (fx->router, "tw#1", MDP_READY);
    assert_non_null (ready);
    s_learn_id ("tw#1", zmsg_first (ready));
    assert_int_equal (zmsg_size (ready), 6);
    assert_true (mdp_frame_is (zmsg_last (ready), "credit=1/32"));
    zmsg_destroy (&ready);
    zlb_worker_stats_t stats;
    zlb_worker_stats (fx->worker, &stats);
    assert_int_equal (stats.credit, 1);
    //  0.01 ms of work, 0.1 ms round trip (times in tenths of a ms).
    s_serve_timed (fx, 10, 0, 1);
    assert_int_equal (s_expect_window (fx), 32);
    zlb_worker_stats (fx->worker, &stats);
    assert_int_equal (stats.credit, 32);
    //  Now 30 ms of work per request, the same round trip: strict again.
    s_serve_timed (fx, 20, 300, 1);
    assert_int_equal (s_expect_window (fx), 1);
    zlb_worker_stats (fx->worker, &stats);
    assert_int_equal (stats.credit, 1);
}

//  Fixed windows and strict MDP send no updates: READY says it all.
static void
test_fixed_credit_never_moves (void **state)
{
    s_fixture_t *fx = (s_fixture_t *) *state;
    s_expect_ready (fx, "tw#1");                     //  plain READY: 5 frames
    s_serve_timed (fx, 20, 0, 1);
    zlb_worker_stats_t stats;
    zlb_worker_stats (fx->worker, &stats);
    assert_int_equal (stats.credit, 1);
    //  Only plain heartbeats, if any, on the wire.
    zsock_set_rcvtimeo (fx->router, 50);
    zmsg_t *msg;
    while ((msg = zmsg_recv (fx->router))) {
        assert_true (zmsg_size (msg) <= 4 || zframe_data (zmsg_last (msg)) [0] != 'c');
        zmsg_destroy (&msg);
    }
}

static void
test_bad_options (void **state)
{
    (void) state;
    zlb_worker_options_t options;
    const char *endpoint = "inproc://test-worker-options";
    zlb_worker_options_defaults (&options);
    options.service = "mmi.service";
    assert_null (zlb_worker_new (endpoint, &options));
    assert_int_equal (errno, EINVAL);
    options.service = "";
    assert_null (zlb_worker_new (endpoint, &options));
    options.service = NULL;
    assert_null (zlb_worker_new (endpoint, &options));
    zlb_worker_options_defaults (&options);
    options.heartbeat_ms = 0;
    assert_null (zlb_worker_new (endpoint, &options));
    zlb_worker_options_defaults (&options);
    options.liveness = 0;
    assert_null (zlb_worker_new (endpoint, &options));
    zlb_worker_options_defaults (&options);
    options.id = "has space";
    assert_null (zlb_worker_new (endpoint, &options));
    zlb_worker_options_defaults (&options);
    options.credit = -1;
    assert_null (zlb_worker_new (endpoint, &options));
    zlb_worker_options_defaults (&options);
    options.credit_max = ZLB_WORKER_CREDIT_MAX + 1;
    assert_null (zlb_worker_new (endpoint, &options));
    zlb_worker_options_defaults (&options);
    assert_null (zlb_worker_new ("no-such-transport", &options));
    assert_null (zlb_worker_new (NULL, &options));
    //  Defaults are fine, and the id is host-pid.
    zlb_worker_t *worker = zlb_worker_new (endpoint, NULL);
    assert_non_null (worker);
    assert_non_null (strchr (zlb_worker_id (worker), '-'));
    zlb_worker_destroy (&worker);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test_setup_teardown (test_ready_on_connect, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_no_heartbeat_after_reply, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_heartbeats_both_ways, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_request_and_reply, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_garbage_body_answered_400, s_setup, s_teardown),
        cmocka_unit_test (test_raw_body_handed_over),
        cmocka_unit_test_setup_teardown (test_malformed_frames_dropped, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_too_many_frames, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_over_credit_answered_busy, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_disconnect_reregisters_on_fresh_socket,
                                         s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_silent_broker_reconnects, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_busy_worker_keeps_socket, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_unanswered_request_gets_500, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_interrupted, s_setup_real, s_teardown),
        cmocka_unit_test_setup_teardown (test_destroy_sends_disconnect, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_adaptive_window, s_setup_adaptive, s_teardown),
        cmocka_unit_test_setup_teardown (test_fixed_credit_never_moves, s_setup, s_teardown),
        cmocka_unit_test (test_bad_options),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
