/*  test_credit.c - the broker's credit extension (docs/protocol.md), driven
    in-process with raw MDP frames and a fake clock, like test_broker.c.

    A worker that sends READY with an extra frame "credit=N" may hold up to
    N requests; the broker never sends it more, tags the client address it
    sends so that replies (in any order) release exactly the request they
    answer, and redelivers every request it held, once each, when it dies. */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <czmq.h>

#include "broker.h"
#include "zlb/zlb.h"

#define T_HEARTBEAT 100          //  fake ms
#define T_LIVENESS 3
#define T_WAIT 500               //  real ms to wait for a message we expect
#define T_QUIET 50               //  real ms to wait for a message we don't
#define T_TAG 4                  //  tag bytes appended to the client address

#include "broker_fixture.h"

static void
s_settings (zlb_broker_options_t *options)
{
    options->heartbeat_ms = T_HEARTBEAT;
    options->liveness = T_LIVENESS;
    //  A busy worker silent for a liveness window counts as dead here, as a
    //  closed inproc peer's pipe goes away only when libzmq gets to it.
    options->busy_timeout_ms = T_HEARTBEAT * T_LIVENESS;
}

static fixture_t *
s_start (void)
{
    return fixture_start ("test_credit", s_settings, NULL);
}


//  Send string frames (NULL-terminated), then pump the broker.
static void
s_send (fixture_t *f, zsock_t *sock, ...)
{
    zmsg_t *msg = zmsg_new ();
    va_list args;
    va_start (args, sock);
    const char *text;
    while ((text = va_arg (args, const char *)))
        zmsg_addstr (msg, text);
    va_end (args);
    assert_int_equal (zmsg_send (&msg, sock), 0);
    fixture_pump (f);
}

//  READY with a credit frame; the broker grants it with HEARTBEAT "credit=N"
//  (how a worker on several brokers knows it may pause and hand back).
static void
s_ready (fixture_t *f, zsock_t *worker, const char *credit)
{
    s_send (f, worker, "", "MDPW01", "\x01", "echo", credit, NULL);
    zmsg_t *msg = fixture_recv (worker, T_WAIT);
    assert_non_null (msg);
    assert_int_equal (zmsg_size (msg), 4);
    zmsg_first (msg);
    zmsg_next (msg);
    assert_int_equal (zframe_data (zmsg_next (msg)) [0], 0x04);
    char *granted = zframe_strdup (zmsg_next (msg));
    int window = -1, ceiling = -1, asked = sscanf (credit, "credit=%d/%d", &window, &ceiling);
    char expected [24];
    snprintf (expected, sizeof expected, "credit=%d", asked >= 1 ? window : -1);
    assert_string_equal (granted, expected);
    free (granted);
    zmsg_destroy (&msg);
}

static void
s_request (fixture_t *f, zsock_t *client, const char *body)
{
    s_send (f, client, "", "MDPC01", "echo", body, NULL);
}

//  Expect a REQUEST; return its client address frame (tag included) and
//  check the body.
static zframe_t *
s_expect_request (zsock_t *worker, const char *client, const char *body)
{
    zmsg_t *msg = fixture_recv (worker, T_WAIT);
    assert_non_null (msg);
    assert_int_equal (zmsg_size (msg), 6);
    zmsg_first (msg);
    zmsg_next (msg);
    zframe_t *command = zmsg_next (msg);
    assert_int_equal (zframe_data (command) [0], 0x02);
    zframe_t *address = zmsg_next (msg);
    zmsg_next (msg);
    char *text = zframe_strdup (zmsg_next (msg));
    assert_string_equal (text, body);
    free (text);
    assert_int_equal (zframe_size (address), strlen (client) + T_TAG);
    assert_memory_equal (zframe_data (address), client, strlen (client));
    zframe_t *copy = zframe_dup (address);
    zmsg_destroy (&msg);
    return copy;
}

static void
s_expect_nothing (zsock_t *sock)
{
    zmsg_t *msg = fixture_recv (sock, T_QUIET);
    assert_null (msg);
}

//  REPLY with the address frame as received (consumed) and one body frame.
static void
s_reply (fixture_t *f, zsock_t *worker, zframe_t **address_p, const char *body)
{
    zmsg_t *msg = zmsg_new ();
    zmsg_addstr (msg, "");
    zmsg_addstr (msg, "MDPW01");
    zmsg_addmem (msg, "\x03", 1);
    zmsg_append (msg, address_p);
    zmsg_addstr (msg, "");
    zmsg_addstr (msg, body);
    assert_int_equal (zmsg_send (&msg, worker), 0);
    fixture_pump (f);
}

static void
s_expect_reply (zsock_t *client, const char *body)
{
    zmsg_t *msg = fixture_recv (client, T_WAIT);
    assert_non_null (msg);
    assert_int_equal (zmsg_size (msg), 4);
    char *text = zframe_strdup (zmsg_last (msg));
    assert_string_equal (text, body);
    free (text);
    zmsg_destroy (&msg);
}

static void
s_expect_disconnect (zsock_t *worker)
{
    zmsg_t *msg = fixture_recv (worker, T_WAIT);
    assert_non_null (msg);
    assert_int_equal (zmsg_size (msg), 3);
    zmsg_first (msg);
    zmsg_next (msg);
    assert_int_equal (zframe_data (zmsg_next (msg)) [0], 0x05);
    zmsg_destroy (&msg);
}

//  --------------------------------------------------------------------------

//  Up to credit requests go out at once; the next one waits for a reply.
static void
test_credit_limit (void **state)
{
    (void) state;
    fixture_t *f = s_start ();
    zsock_t *worker = fixture_peer (f, "W1");
    zsock_t *client = fixture_peer (f, "C1");
    s_ready (f, worker, "credit=3");
    assert_int_equal (zlb_broker_service_workers (f->broker, "echo"), 1);
    s_request (f, client, "r1");
    s_request (f, client, "r2");
    s_request (f, client, "r3");
    s_request (f, client, "r4");
    zframe_t *a1 = s_expect_request (worker, "C1", "r1");
    zframe_t *a2 = s_expect_request (worker, "C1", "r2");
    zframe_t *a3 = s_expect_request (worker, "C1", "r3");
    s_expect_nothing (worker);
    assert_int_equal (zlb_broker_queue_depth (f->broker, "echo"), 1);
    //  Same client, three requests: the tags tell them apart.
    assert_false (zframe_eq (a1, a2));
    assert_false (zframe_eq (a2, a3));
    //  Out of order: the reply to r2 frees one slot, and r4 comes.
    s_reply (f, worker, &a2, "re2");
    s_expect_reply (client, "re2");
    zframe_t *a4 = s_expect_request (worker, "C1", "r4");
    s_reply (f, worker, &a3, "re3");
    s_reply (f, worker, &a1, "re1");
    s_reply (f, worker, &a4, "re4");
    s_expect_reply (client, "re3");
    s_expect_reply (client, "re1");
    s_expect_reply (client, "re4");
    assert_int_equal (fixture_stats (f).replies, 4);
    assert_int_equal (fixture_stats (f).disconnects, 0);
    fixture_stop (&f);
}

//  Requests go round the workers with credit left, not into the first one.
static void
test_credit_round_robin (void **state)
{
    (void) state;
    fixture_t *f = s_start ();
    zsock_t *w1 = fixture_peer (f, "W1");
    zsock_t *w2 = fixture_peer (f, "W2");
    zsock_t *client = fixture_peer (f, "C1");
    s_ready (f, w1, "credit=2");
    s_ready (f, w2, "credit=2");
    s_request (f, client, "r1");
    s_request (f, client, "r2");
    s_request (f, client, "r3");
    s_request (f, client, "r4");
    zframe_t *a [4];
    a [0] = s_expect_request (w1, "C1", "r1");
    a [1] = s_expect_request (w2, "C1", "r2");
    a [2] = s_expect_request (w1, "C1", "r3");
    a [3] = s_expect_request (w2, "C1", "r4");
    for (int index = 0; index < 4; index++)
        zframe_destroy (&a [index]);
    fixture_stop (&f);
}

//  Idle capacity first: a worker that joins while another holds three
//  requests gets the next ones until it holds as many; then the least
//  recently used of the two. A reply moves its worker up among the ready.
static void
test_credit_idle_first (void **state)
{
    (void) state;
    fixture_t *f = s_start ();
    zsock_t *w1 = fixture_peer (f, "W1");
    zsock_t *w2 = fixture_peer (f, "W2");
    zsock_t *client = fixture_peer (f, "C1");
    s_ready (f, w1, "credit=8");
    zframe_t *a [8];
    const char *body [] = {"r1", "r2", "r3", "r4", "r5", "r6", "r7", "r8"};
    for (int index = 0; index < 3; index++) {
        s_request (f, client, body [index]);
        a [index] = s_expect_request (w1, "C1", body [index]);
    }
    s_ready (f, w2, "credit=8");
    for (int index = 3; index < 6; index++) {          //  W2: 0, 1, 2 in flight
        s_request (f, client, body [index]);
        a [index] = s_expect_request (w2, "C1", body [index]);
    }
    s_request (f, client, "r7");                        //  3 and 3: W1 waited longest
    a [6] = s_expect_request (w1, "C1", "r7");
    s_reply (f, w1, &a [0], "re1");                     //  W1 3, W2 3: W1 is newer now
    s_expect_reply (client, "re1");
    s_reply (f, w2, &a [3], "re4");                     //  W1 3, W2 2
    s_expect_reply (client, "re4");
    s_request (f, client, "r8");
    a [7] = s_expect_request (w2, "C1", "r8");
    s_expect_nothing (w1);
    for (int index = 0; index < 8; index++)
        zframe_destroy (&a [index]);
    fixture_stop (&f);
}

//  A credit worker that dies holding several requests: each is redelivered
//  exactly once, none is lost.
static void
test_credit_redelivery (void **state)
{
    (void) state;
    fixture_t *f = s_start ();
    zsock_t *victim = fixture_peer (f, "W1");
    zsock_t *client = fixture_peer (f, "C1");
    s_ready (f, victim, "credit=3");
    s_request (f, client, "r1");
    s_request (f, client, "r2");
    s_request (f, client, "r3");
    zframe_t *a1 = s_expect_request (victim, "C1", "r1");
    zframe_t *a2 = s_expect_request (victim, "C1", "r2");
    zframe_t *a3 = s_expect_request (victim, "C1", "r3");
    //  r1 is answered; then the worker goes silent holding r2 and r3.
    s_reply (f, victim, &a1, "re1");
    s_expect_reply (client, "re1");
    zframe_destroy (&a2);
    zframe_destroy (&a3);
    fixture_peer_close (f, &victim);
    f->now += T_HEARTBEAT * T_LIVENESS + 1;
    fixture_pump (f);
    assert_int_equal (fixture_stats (f).redeliveries, 2);
    assert_int_equal (zlb_broker_queue_depth (f->broker, "echo"), 2);
    zsock_t *rescuer = fixture_peer (f, "W2");
    s_ready (f, rescuer, "credit=5");
    zframe_t *b2 = s_expect_request (rescuer, "C1", "r2");
    zframe_t *b3 = s_expect_request (rescuer, "C1", "r3");
    s_expect_nothing (rescuer);
    s_reply (f, rescuer, &b3, "re3");
    s_reply (f, rescuer, &b2, "re2");
    s_expect_reply (client, "re3");
    s_expect_reply (client, "re2");
    s_expect_nothing (client);
    assert_int_equal (fixture_stats (f).replies, 3);
    fixture_stop (&f);
}

//  A REPLY whose tag matches nothing in flight is a protocol error: the
//  worker is told to go and what it held is redelivered.
static void
test_credit_unknown_tag (void **state)
{
    (void) state;
    fixture_t *f = s_start ();
    zsock_t *worker = fixture_peer (f, "W1");
    zsock_t *client = fixture_peer (f, "C1");
    s_ready (f, worker, "credit=2");
    s_request (f, client, "r1");
    zframe_t *a1 = s_expect_request (worker, "C1", "r1");
    zframe_t *forged = zframe_new ("C1\xff\xff\xff\xff", 6);
    s_reply (f, worker, &forged, "bogus");
    s_expect_disconnect (worker);
    s_expect_nothing (client);
    assert_int_equal (fixture_stats (f).redeliveries, 1);
    assert_int_equal (zlb_broker_queue_depth (f->broker, "echo"), 1);
    zframe_destroy (&a1);
    fixture_stop (&f);
}

//  Only "credit=N" with 1 <= N <= 1000, or "credit=N/M" with N <= M <= 1000,
//  is a valid extra READY frame.
static void
test_credit_bad_frames (void **state)
{
    (void) state;
    fixture_t *f = s_start ();
    const char *bad [] = {"credit=0", "credit=", "credit=x", "credit=1001",
                          "credit=99999999999", "credits=2", "extra", "credit=5/3",
                          "credit=0/0", "credit=1/1001", "credit=1/", "credit=/4",
                          "credit=1/2/3", "credit=1/x"};
    for (size_t index = 0; index < sizeof (bad) / sizeof (bad [0]); index++) {
        //  A fresh routing id each time: the broker's libzmq may still hold
        //  the last one's connection, and it attaches no second one under it.
        char name [16];
        snprintf (name, sizeof (name), "W1-%zu", index);
        zsock_t *worker = fixture_peer (f, name);
        s_send (f, worker, "", "MDPW01", "\x01", "echo", bad [index], NULL);
        s_expect_disconnect (worker);
        fixture_peer_close (f, &worker);
    }
    assert_int_equal (fixture_stats (f).workers_seen, 0);
    //  credit=1 is plain MDP: one at a time, no tag.
    zsock_t *worker = fixture_peer (f, "W2");
    zsock_t *client = fixture_peer (f, "C1");
    s_ready (f, worker, "credit=1");
    s_request (f, client, "r1");
    s_request (f, client, "r2");
    zmsg_t *msg = fixture_recv (worker, T_WAIT);
    assert_non_null (msg);
    zmsg_first (msg);
    zmsg_next (msg);
    zmsg_next (msg);
    assert_int_equal (zframe_size (zmsg_next (msg)), 2);   //  "C1", untagged
    zmsg_destroy (&msg);
    s_expect_nothing (worker);
    fixture_stop (&f);
}

//  An adaptive worker: READY "credit=1/4" starts it at one request (the
//  address still tagged: its window may grow), HEARTBEAT "credit=N" moves
//  the window; a shrunk window lets it keep what it holds but sends nothing
//  new until it holds fewer than N; a window past the READY's ceiling is
//  taken as the ceiling.
static void
test_credit_window_moves (void **state)
{
    (void) state;
    fixture_t *f = s_start ();
    zsock_t *worker = fixture_peer (f, "W1");
    zsock_t *client = fixture_peer (f, "C1");
    s_ready (f, worker, "credit=1/4");
    const char *body [] = {"r1", "r2", "r3", "r4", "r5", "r6"};
    for (int index = 0; index < 6; index++)
        s_request (f, client, body [index]);
    zframe_t *a [6];
    a [0] = s_expect_request (worker, "C1", "r1");
    s_expect_nothing (worker);
    //  Grow to 3: two more come at once.
    s_send (f, worker, "", "MDPW01", "\x04", "credit=3", NULL);
    a [1] = s_expect_request (worker, "C1", "r2");
    a [2] = s_expect_request (worker, "C1", "r3");
    s_expect_nothing (worker);
    //  Shrink to 1 while holding 3: two replies bring nothing new...
    s_send (f, worker, "", "MDPW01", "\x04", "credit=1", NULL);
    s_reply (f, worker, &a [0], "re1");
    s_reply (f, worker, &a [1], "re2");
    s_expect_nothing (worker);
    //  ...the third one frees the window: one more, only one.
    s_reply (f, worker, &a [2], "re3");
    a [3] = s_expect_request (worker, "C1", "r4");
    s_expect_nothing (worker);
    s_expect_reply (client, "re1");
    s_expect_reply (client, "re2");
    s_expect_reply (client, "re3");
    //  Past the ceiling: 4, so the last two come and nothing more.
    s_send (f, worker, "", "MDPW01", "\x04", "credit=9", NULL);
    a [4] = s_expect_request (worker, "C1", "r5");
    a [5] = s_expect_request (worker, "C1", "r6");
    assert_int_equal (zlb_broker_queue_depth (f->broker, "echo"), 0);
    //  A HEARTBEAT with any other extra frame is still just a heartbeat.
    s_send (f, worker, "", "MDPW01", "\x04", "credit=2/3", NULL);
    s_send (f, worker, "", "MDPW01", "\x04", "junk", NULL);
    s_expect_nothing (worker);
    assert_int_equal (fixture_stats (f).disconnects, 0);
    for (int index = 3; index < 6; index++)
        zframe_destroy (&a [index]);
    fixture_stop (&f);
}

//  A worker on several brokers pauses (HEARTBEAT "credit=0") when it is
//  full: the broker keeps it registered but sends it nothing; "credit=N"
//  resumes it. It may also join paused (READY "credit=0/M").
static void
test_credit_pause (void **state)
{
    (void) state;
    fixture_t *f = s_start ();
    zsock_t *worker = fixture_peer (f, "W1");
    zsock_t *client = fixture_peer (f, "C1");
    s_ready (f, worker, "credit=2");
    s_send (f, worker, "", "MDPW01", "\x04", "credit=0", NULL);
    s_request (f, client, "r1");
    s_expect_nothing (worker);
    assert_int_equal (zlb_broker_queue_depth (f->broker, "echo"), 1);
    assert_int_equal (zlb_broker_service_workers (f->broker, "echo"), 1);
    s_send (f, worker, "", "MDPW01", "\x04", "credit=1", NULL);
    zframe_t *a1 = s_expect_request (worker, "C1", "r1");
    s_reply (f, worker, &a1, "re1");
    s_expect_reply (client, "re1");
    //  Joined paused: nothing until it says so.
    zsock_t *late = fixture_peer (f, "W2");
    s_send (f, worker, "", "MDPW01", "\x04", "credit=0", NULL);
    s_ready (f, late, "credit=0/4");
    s_request (f, client, "r2");
    s_expect_nothing (late);
    s_expect_nothing (worker);
    s_send (f, late, "", "MDPW01", "\x04", "credit=4", NULL);
    zframe_t *a2 = s_expect_request (late, "C1", "r2");
    s_reply (f, late, &a2, "re2");
    s_expect_reply (client, "re2");
    assert_int_equal (fixture_stats (f).disconnects, 0);
    fixture_stop (&f);
}

//  A request that raced in after the worker filled up is handed back
//  (HEARTBEAT "credit=N" + its address): it goes to the head of the queue,
//  on to another worker at once, and does not count as a delivery.
static void
test_credit_hand_back (void **state)
{
    (void) state;
    fixture_t *f = s_start ();
    zsock_t *w1 = fixture_peer (f, "W1");
    zsock_t *client = fixture_peer (f, "C1");
    s_ready (f, w1, "credit=2");
    s_request (f, client, "r1");
    s_request (f, client, "r2");
    zframe_t *a1 = s_expect_request (w1, "C1", "r1");
    zframe_t *a2 = s_expect_request (w1, "C1", "r2");
    //  W1 gives r1 back and pauses; W2 joins and gets r1 first.
    zmsg_t *back = zmsg_new ();
    zmsg_addstr (back, "");
    zmsg_addstr (back, "MDPW01");
    zmsg_addmem (back, "\x04", 1);
    zmsg_addstr (back, "credit=0");
    zmsg_append (back, &a1);
    s_request (f, client, "r3");
    assert_int_equal (zmsg_send (&back, w1), 0);
    fixture_pump (f);
    assert_int_equal (fixture_stats (f).handed_back, 1);
    assert_int_equal (zlb_broker_queue_depth (f->broker, "echo"), 2);
    zsock_t *w2 = fixture_peer (f, "W2");
    s_ready (f, w2, "credit=1/2");
    zframe_t *b1 = s_expect_request (w2, "C1", "r1");
    s_reply (f, w2, &b1, "re1");
    s_expect_reply (client, "re1");
    zframe_t *b3 = s_expect_request (w2, "C1", "r3");
    s_reply (f, w1, &a2, "re2");
    s_reply (f, w2, &b3, "re3");
    s_expect_reply (client, "re2");
    s_expect_reply (client, "re3");
    assert_int_equal (fixture_stats (f).redeliveries, 0);
    //  Handing back what it does not hold is a protocol error.
    s_send (f, w1, "", "MDPW01", "\x04", "credit=1", "nothing", NULL);
    s_expect_disconnect (w1);
    assert_int_equal (fixture_stats (f).disconnects, 1);
    fixture_stop (&f);
}

int
main (void)
{
    zsys_init ();
    zsys_set_linger (0);
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_credit_limit),
        cmocka_unit_test (test_credit_round_robin),
        cmocka_unit_test (test_credit_idle_first),
        cmocka_unit_test (test_credit_redelivery),
        cmocka_unit_test (test_credit_unknown_tag),
        cmocka_unit_test (test_credit_bad_frames),
        cmocka_unit_test (test_credit_window_moves),
        cmocka_unit_test (test_credit_pause),
        cmocka_unit_test (test_credit_hand_back),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
