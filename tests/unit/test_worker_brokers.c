/*  test_worker_brokers.c - a worker on several brokers (zlb_worker_new_multi)
    against two fake brokers (raw ROUTERs over inproc://), on a fake clock.

    What is checked: it registers with each (READY with a credit frame), a
    zlb broker's grant (HEARTBEAT "credit=N") lets it pause that broker
    while it is full and hand back a request that raced in; a broker that
    never granted (plain MDP) is never paused and what it sends is served;
    one broker's silence replaces only that broker's socket; bad endpoint
    lists are refused.                                                      */

#include <errno.h>
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
#define S_QUIET_MS     50         //  real time to wait for a message we don't expect
#define S_MS           1000000LL  //  ns in a ms, for the fake clock

typedef struct {
    zsock_t *broker [2];          //  fake brokers A and B
    zframe_t *peer [2];           //  the worker's routing id at each
    zlb_worker_t *worker;
    zlb_log_t *log;
    int64_t now;                  //  the fake clock, ns
} s_fixture_t;

static int64_t
s_clock (void *arg)
{
    return ((s_fixture_t *) arg)->now;
}

//  Next message at fake broker `which` within wait_ms, routing id first.
static zmsg_t *
s_recv (s_fixture_t *fx, int which, int wait_ms)
{
    zsock_set_rcvtimeo (fx->broker [which], wait_ms);
    return zmsg_recv (fx->broker [which]);
}

//  The command byte of a message a fake broker received (routing id first).
static int
s_command (zmsg_t *msg)
{
    zmsg_first (msg);                     //  routing id
    zmsg_next (msg);                      //  ""
    zmsg_next (msg);                      //  MDPW01
    return zframe_data (zmsg_next (msg)) [0];
}

//  Let the worker read and act without waiting or moving the clock.
static void
s_pump (s_fixture_t *fx)
{
    zlb_worker_idle (fx->worker, 0);
}

//  Expect READY at broker `which`; remember the worker's routing id there.
static void
s_expect_ready (s_fixture_t *fx, int which, const char *credit)
{
    zmsg_t *msg = s_recv (fx, which, S_WAIT_MS);
    assert_non_null (msg);
    zframe_destroy (&fx->peer [which]);
    fx->peer [which] = zmsg_pop (msg);
    assert_int_equal (zmsg_size (msg), 5);
    zmsg_first (msg);                     //  ""
    zmsg_next (msg);                      //  MDPW01
    assert_int_equal (zframe_data (zmsg_next (msg)) [0], MDP_READY);
    assert_true (mdp_frame_is (zmsg_last (msg), credit));
    zmsg_destroy (&msg);
}

//  Send frames (NULL-terminated strings) from broker `which` to the worker.
static void
s_send (s_fixture_t *fx, int which, ...)
{
    zmsg_t *msg = zmsg_new ();
    zmsg_append (msg, &(zframe_t *) { zframe_dup (fx->peer [which]) });
    zmsg_addstr (msg, "");
    zmsg_addstr (msg, MDP_WORKER);
    va_list args;
    va_start (args, which);
    const char *text;
    while ((text = va_arg (args, const char *)))
        zmsg_addstr (msg, text);
    va_end (args);
    assert_int_equal (zmsg_send (&msg, fx->broker [which]), 0);
}

//  A zlb broker's grant after READY: HEARTBEAT "credit=N".
static void
s_grant (s_fixture_t *fx, int which, const char *credit)
{
    s_send (fx, which, "\x04", credit, NULL);
}

static void
s_send_request (s_fixture_t *fx, int which, const char *client, uint64_t id)
{
    zlb_request_t request = { .id = id, .ts = 1, .payload = (const uint8_t *) "p",
                              .payload_size = 1 };
    zframe_t *body = zlb_request_encode (&request);
    assert_non_null (body);
    zmsg_t *msg = zmsg_new ();
    zmsg_append (msg, &(zframe_t *) { zframe_dup (fx->peer [which]) });
    zmsg_addstr (msg, "");
    zmsg_addstr (msg, MDP_WORKER);
    zmsg_addmem (msg, "\x02", 1);
    zmsg_addstr (msg, client);
    zmsg_addstr (msg, "");
    zmsg_append (msg, &body);
    assert_int_equal (zmsg_send (&msg, fx->broker [which]), 0);
}

//  Expect at broker `which` a command (and, when given, its frames after it).
static void
s_expect (s_fixture_t *fx, int which, int command, const char *frame1, const char *frame2)
{
    zmsg_t *msg = s_recv (fx, which, S_WAIT_MS);
    assert_non_null (msg);
    assert_int_equal (s_command (msg), command);
    if (frame1)
        assert_true (mdp_frame_is (zmsg_next (msg), frame1));
    if (frame2)
        assert_true (mdp_frame_is (zmsg_next (msg), frame2));
    zmsg_destroy (&msg);
}

static void
s_expect_nothing (s_fixture_t *fx, int which)
{
    zmsg_t *msg = s_recv (fx, which, S_QUIET_MS);
    assert_null (msg);
}

static void
s_take (s_fixture_t *fx, zlb_work_t *work, uint64_t id)
{
    int64_t deadline = zclock_mono () + S_WAIT_MS;
    while (zlb_worker_recv (fx->worker, work, 0) == 0) {
        assert_true (zclock_mono () < deadline);
        zclock_sleep (1);
    }
    assert_int_equal (work->id, id);
}

static int
s_fixture_new (void **state, int credit)
{
    static int counter = 0;
    s_fixture_t *fx = (s_fixture_t *) calloc (1, sizeof (s_fixture_t));
    char endpoint [2][64];
    const char *endpoints [2] = { endpoint [0], endpoint [1] };
    counter++;
    for (int which = 0; which < 2; which++) {
        snprintf (endpoint [which], sizeof endpoint [which], "inproc://test-brokers-%d-%c",
                  counter, 'a' + which);
        fx->broker [which] = zsock_new_router (endpoint [which]);
        assert_non_null (fx->broker [which]);
    }
    fx->log = zlb_log_new ("-", "worker", "tw",
                           getenv ("ZLB_TEST_DEBUG") ? ZLB_LOG_DEBUG : ZLB_LOG_ERROR);
    zlb_worker_options_t options;
    zlb_worker_options_defaults (&options);
    options.id = "tw";
    options.heartbeat_ms = S_HEARTBEAT_MS;
    options.liveness = S_LIVENESS;
    options.log = fx->log;
    options.credit = credit;
    fx->now = 1000 * S_MS;
    options.clock_ns = s_clock;
    options.clock_arg = fx;
    fx->worker = zlb_worker_new_multi (endpoints, 2, &options);
    assert_non_null (fx->worker);
    //  Several brokers: the credit frame even for a strict worker.
    char frame [16];
    snprintf (frame, sizeof frame, "credit=%d", credit);
    s_expect_ready (fx, 0, frame);
    s_expect_ready (fx, 1, frame);
    *state = fx;
    return 0;
}

//  Capacity 1: every request fills the worker.
static int
s_setup (void **state)
{
    return s_fixture_new (state, 1);
}

//  A fixed window of 4.
static int
s_setup_four (void **state)
{
    return s_fixture_new (state, 4);
}

static int
s_teardown (void **state)
{
    s_fixture_t *fx = (s_fixture_t *) *state;
    zlb_worker_destroy (&fx->worker);
    for (int which = 0; which < 2; which++) {
        zframe_destroy (&fx->peer [which]);
        zsock_destroy (&fx->broker [which]);
    }
    zlb_log_destroy (&fx->log);
    free (fx);
    return 0;
}

//  --------------------------------------------------------------------------

//  Full with A's request: B (which granted) is paused, and resumed after
//  the reply; A hears nothing but the reply (its window is what it holds).
static void
test_pause_and_resume (void **state)
{
    s_fixture_t *fx = (s_fixture_t *) *state;
    s_grant (fx, 0, "credit=1");
    s_grant (fx, 1, "credit=1");
    s_send_request (fx, 0, "c1", 7);
    zlb_work_t work;
    s_take (fx, &work, 7);
    s_expect (fx, 1, MDP_HEARTBEAT, "credit=0", NULL);
    assert_int_equal (zlb_worker_reply (fx->worker, &work, ZLB_STATUS_OK, "r", 1, NULL), 0);
    s_expect (fx, 0, MDP_REPLY, "c1", "");
    s_expect (fx, 1, MDP_HEARTBEAT, "credit=1", NULL);
    s_expect_nothing (fx, 0);
}

//  A request from B that raced in while A's filled the worker goes back
//  to B unserved, with B paused; B's window comes back after the reply.
static void
test_hand_back (void **state)
{
    s_fixture_t *fx = (s_fixture_t *) *state;
    s_grant (fx, 0, "credit=1");
    s_grant (fx, 1, "credit=1");
    s_pump (fx);
    s_pump (fx);
    s_send_request (fx, 0, "c1", 1);
    zlb_work_t work;
    s_take (fx, &work, 1);
    s_expect (fx, 1, MDP_HEARTBEAT, "credit=0", NULL);
    s_send_request (fx, 1, "c2", 2);      //  sent before B saw the pause
    s_pump (fx);
    s_expect (fx, 1, MDP_HEARTBEAT, "credit=0", "c2");
    zlb_worker_stats_t stats;
    zlb_worker_stats (fx->worker, &stats);
    assert_int_equal (stats.handed_back, 1);
    assert_int_equal (zlb_worker_reply (fx->worker, &work, ZLB_STATUS_OK, "r", 1, NULL), 0);
    s_expect (fx, 0, MDP_REPLY, "c1", "");
    s_expect (fx, 1, MDP_HEARTBEAT, "credit=1", NULL);
    //  Nothing else was queued: the handed-back request is B's again.
    assert_int_equal (zlb_worker_recv (fx->worker, &work, 0), 0);
}

//  A broker that never granted a window (plain MDP 0.1) is not paused,
//  and a request it sends while the worker is full is kept and served
//  next: nothing is handed back to a broker that would not understand.
static void
test_plain_broker_keeps_its_request (void **state)
{
    s_fixture_t *fx = (s_fixture_t *) *state;
    s_grant (fx, 0, "credit=1");          //  A is zlb; B stays silent about it
    s_send_request (fx, 0, "c1", 1);
    zlb_work_t work;
    s_take (fx, &work, 1);
    s_send_request (fx, 1, "c2", 2);
    s_pump (fx);
    s_expect_nothing (fx, 1);
    assert_int_equal (zlb_worker_reply (fx->worker, &work, ZLB_STATUS_OK, "r", 1, NULL), 0);
    s_take (fx, &work, 2);
    assert_int_equal (zlb_worker_reply (fx->worker, &work, ZLB_STATUS_OK, "r", 1, NULL), 0);
    s_expect (fx, 0, MDP_REPLY, "c1", "");
    s_expect (fx, 1, MDP_REPLY, "c2", "");
    zlb_worker_stats_t stats;
    zlb_worker_stats (fx->worker, &stats);
    assert_int_equal (stats.handed_back, 0);
    assert_int_equal (stats.served, 2);
}

//  A broker silent for liveness x heartbeat gets a fresh socket (READY
//  again); the other one, which keeps heartbeating, keeps its socket.
static void
test_one_broker_silent (void **state)
{
    s_fixture_t *fx = (s_fixture_t *) *state;
    zlb_work_t work;
    for (int step = 0; step <= S_LIVENESS; step++) {
        s_send (fx, 1, "\x04", NULL);     //  B heartbeats, A says nothing
        s_pump (fx);
        fx->now += S_HEARTBEAT_MS * S_MS;
        assert_int_equal (zlb_worker_recv (fx->worker, &work, 0), 0);
    }
    zmsg_t *msg;
    bool ready = false;                   //  A: heartbeats, then a fresh READY
    while (!ready && (msg = s_recv (fx, 0, S_WAIT_MS))) {
        ready = s_command (msg) == MDP_READY;
        zmsg_destroy (&msg);
    }
    assert_true (ready);
    zlb_worker_stats_t stats;
    zlb_worker_stats (fx->worker, &stats);
    assert_int_equal (stats.reconnects, 1);
    while ((msg = s_recv (fx, 1, S_QUIET_MS))) {       //  B: heartbeats only
        assert_int_equal (s_command (msg), MDP_HEARTBEAT);
        zmsg_destroy (&msg);
    }
}

//  A broker that comes back while the worker holds requests from another
//  is offered only what is free, with the ceiling, so that its window
//  can grow again: READY "credit=2/4" with two of four held.
static void
test_reconnect_offers_what_is_free (void **state)
{
    s_fixture_t *fx = (s_fixture_t *) *state;
    s_grant (fx, 0, "credit=4");
    s_grant (fx, 1, "credit=4");
    s_send_request (fx, 0, "c1", 1);
    s_send_request (fx, 0, "c2", 2);
    zlb_work_t work;
    s_take (fx, &work, 1);                //  one in hand, one queued: two held
    //  B goes silent; A keeps talking (its requests keep it alive).
    for (int step = 0; step <= S_LIVENESS; step++) {
        s_send (fx, 0, "\x04", NULL);
        zlb_worker_idle (fx->worker, 0);
        fx->now += S_HEARTBEAT_MS * S_MS;
        zlb_worker_idle (fx->worker, 0);
    }
    zmsg_t *msg;
    bool ready = false;
    while (!ready && (msg = s_recv (fx, 1, S_WAIT_MS))) {
        if (s_command (msg) == MDP_READY) {
            ready = true;
            assert_true (mdp_frame_is (zmsg_last (msg), "credit=2/4"));
        }
        zmsg_destroy (&msg);
    }
    assert_true (ready);
    assert_int_equal (zlb_worker_reply (fx->worker, &work, ZLB_STATUS_OK, "r", 1, NULL), 0);
}

//  Endpoint lists: empty, too long, a NULL or empty endpoint, a duplicate.
static void
test_bad_endpoint_lists (void **state)
{
    (void) state;
    const char *dup [] = { "inproc://x", "inproc://y", "inproc://x" };
    const char *holes [] = { "inproc://x", NULL };
    const char *empty [] = { "inproc://x", "" };
    const char *many [ZLB_WORKER_MAX_BROKERS + 1];
    char names [ZLB_WORKER_MAX_BROKERS + 1][32];
    for (int index = 0; index <= ZLB_WORKER_MAX_BROKERS; index++) {
        snprintf (names [index], sizeof names [index], "inproc://many-%d", index);
        many [index] = names [index];
    }
    errno = 0;
    assert_null (zlb_worker_new_multi (dup, 3, NULL));
    assert_int_equal (errno, EINVAL);
    assert_null (zlb_worker_new_multi (holes, 2, NULL));
    assert_null (zlb_worker_new_multi (empty, 2, NULL));
    assert_null (zlb_worker_new_multi (dup, 0, NULL));
    assert_null (zlb_worker_new_multi (NULL, 1, NULL));
    errno = 0;
    assert_null (zlb_worker_new_multi (many, ZLB_WORKER_MAX_BROKERS + 1, NULL));
    assert_int_equal (errno, EINVAL);
    //  An unreachable endpoint among good ones is not an error: it is a
    //  broker that is not there yet (the worker keeps trying it).
    const char *mixed [] = { "tcp://127.0.0.1:1", "inproc://nobody-yet" };
    zlb_worker_t *worker = zlb_worker_new_multi (mixed, 2, NULL);
    assert_non_null (worker);
    zlb_worker_destroy (&worker);
}

int
main (void)
{
    zsys_init ();
    zsys_set_linger (0);
    const struct CMUnitTest tests [] = {
        cmocka_unit_test_setup_teardown (test_pause_and_resume, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_hand_back, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_plain_broker_keeps_its_request, s_setup,
                                         s_teardown),
        cmocka_unit_test_setup_teardown (test_one_broker_silent, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_reconnect_offers_what_is_free, s_setup_four,
                                         s_teardown),
        cmocka_unit_test (test_bad_endpoint_lists),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
