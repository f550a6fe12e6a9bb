/*  test_mdp_codec.c - the MDP 0.1 codec (lib/mdp.c): mdp_parse on every
    command and on broken messages, and mdp_send round trips.              */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <string.h>

#include "mdp.h"

#define S_FRAMES_MAX 16

//  A message as frames: each argument is one frame, given as "text" or,
//  for binary, built by the test itself. The fixture closes them.
typedef struct {
    zmq_msg_t frame [S_FRAMES_MAX];
    size_t count;
} s_message_t;

static void
s_add (s_message_t *message, const void *data, size_t size)
{
    assert_true (message->count < S_FRAMES_MAX);
    zmq_msg_t *frame = &message->frame [message->count++];
    assert_int_equal (zmq_msg_init_size (frame, size), 0);
    if (size)
        memcpy (zmq_msg_data (frame), data, size);
}

//  Frames from NULL-terminated strings.
static void
s_build (s_message_t *message, ...)
{
    message->count = 0;
    va_list args;
    va_start (args, message);
    const char *text;
    while ((text = va_arg (args, const char *)))
        s_add (message, text, strlen (text));
    va_end (args);
}

static void
s_close (s_message_t *message)
{
    for (size_t index = 0; index < message->count; index++)
        zmq_msg_close (&message->frame [index]);
    message->count = 0;
}

static mdp_error_t
s_parse (s_message_t *message, bool routed, mdp_view_t *view)
{
    return mdp_parse (message->frame, message->count, routed, view);
}

static void
test_client_request (void **state)
{
    (void) state;
    s_message_t m;
    mdp_view_t view;
    s_build (&m, "c1", "", MDP_CLIENT, "echo", "body", "more", NULL);
    assert_int_equal (s_parse (&m, true, &view), MDP_OK);
    assert_true (mdp_bytes_is (view.peer, "c1"));
    assert_true (view.client && !view.worker);
    assert_ptr_equal (view.header, &m.frame [2]);
    assert_true (mdp_bytes_is (view.service, "echo"));
    assert_ptr_equal (view.body, &m.frame [4]);
    assert_int_equal (view.body_count, 2);
    assert_int_equal (view.body_bytes, 8);
    s_close (&m);
    //  The same from a DEALER: no routing id.
    s_build (&m, "", MDP_CLIENT, "mmi.service", "echo", NULL);
    assert_int_equal (s_parse (&m, false, &view), MDP_OK);
    assert_int_equal (view.peer.size, 0);
    assert_true (mdp_service_is_mmi (view.service));
    s_close (&m);
}

static void
test_worker_ready (void **state)
{
    (void) state;
    s_message_t m;
    mdp_view_t view;
    s_build (&m, "w1", "", MDP_WORKER, "\x01", "echo", NULL);
    assert_int_equal (s_parse (&m, true, &view), MDP_OK);
    assert_true (view.worker && !view.client);
    assert_int_equal (view.command, MDP_READY);
    assert_true (mdp_bytes_is (view.service, "echo"));
    assert_int_equal (view.credit, 1);
    s_close (&m);
    s_build (&m, "w1", "", MDP_WORKER, "\x01", "echo", "credit=1000", NULL);
    assert_int_equal (s_parse (&m, true, &view), MDP_OK);
    assert_int_equal (view.credit, 1000);
    assert_int_equal (view.credit_max, 1000);
    s_close (&m);
    //  An adaptive worker: window now, ceiling.
    s_build (&m, "w1", "", MDP_WORKER, "\x01", "echo", "credit=1/8", NULL);
    assert_int_equal (s_parse (&m, true, &view), MDP_OK);
    assert_int_equal (view.credit, 1);
    assert_int_equal (view.credit_max, 8);
    s_close (&m);
    s_build (&m, "w1", "", MDP_WORKER, "\x01", "echo", "credit=1000/1000", NULL);
    assert_int_equal (s_parse (&m, true, &view), MDP_OK);
    assert_int_equal (view.credit_max, 1000);
    assert_true (view.windowed);
    s_close (&m);
    //  A worker on several brokers may join paused: window 0, ceiling 4.
    s_build (&m, "w1", "", MDP_WORKER, "\x01", "echo", "credit=0/4", NULL);
    assert_int_equal (s_parse (&m, true, &view), MDP_OK);
    assert_int_equal (view.credit, 0);
    assert_int_equal (view.credit_max, 4);
    s_close (&m);
    const char *bad [] = {"credit=0", "credit=1001", "credit=", "credit=1x", "other",
                          "credit=5/3", "credit=0/0", "credit=1/1001", "credit=1/",
                          "credit=/4", "credit=1/2/3", "credit=00001", "credit=1/-2"};
    for (size_t index = 0; index < sizeof bad / sizeof bad [0]; index++) {
        s_build (&m, "w1", "", MDP_WORKER, "\x01", "echo", bad [index], NULL);
        assert_int_equal (s_parse (&m, true, &view), MDP_E_EXTRA);
        s_close (&m);
    }
    s_build (&m, "w1", "", MDP_WORKER, "\x01", "echo", "credit=2", "x", NULL);
    assert_int_equal (s_parse (&m, true, &view), MDP_E_EXTRA);
    s_close (&m);
    s_build (&m, "w1", "", MDP_WORKER, "\x01", NULL);
    assert_int_equal (s_parse (&m, true, &view), MDP_E_SHORT);
    assert_int_equal (view.command, MDP_READY);
    s_close (&m);
}

static void
test_worker_request_reply (void **state)
{
    (void) state;
    s_message_t m;
    mdp_view_t view;
    s_build (&m, "", MDP_WORKER, "\x02", "client", "", "a", "bc", NULL);
    assert_int_equal (s_parse (&m, false, &view), MDP_OK);
    assert_int_equal (view.command, MDP_REQUEST);
    assert_true (mdp_bytes_is (view.address, "client"));
    assert_int_equal (view.body_count, 2);
    assert_int_equal (view.body_bytes, 3);
    s_close (&m);
    //  A REPLY may have no body at all.
    s_build (&m, "w1", "", MDP_WORKER, "\x03", "client", "", NULL);
    assert_int_equal (s_parse (&m, true, &view), MDP_OK);
    assert_int_equal (view.command, MDP_REPLY);
    assert_int_equal (view.body_count, 0);
    assert_null (view.body);
    s_close (&m);
    s_build (&m, "w1", "", MDP_WORKER, "\x03", "client", "x", "body", NULL);
    assert_int_equal (s_parse (&m, true, &view), MDP_E_DELIMITER);
    s_close (&m);
    s_build (&m, "w1", "", MDP_WORKER, "\x03", "client", NULL);
    assert_int_equal (s_parse (&m, true, &view), MDP_E_SHORT);
    s_close (&m);
    s_build (&m, "w1", "", MDP_WORKER, "\x03", "", "", "body", NULL);
    assert_int_equal (s_parse (&m, true, &view), MDP_E_ADDRESS);
    s_close (&m);
    char address [MDP_ADDRESS_MAX + MDP_TAG_MAX + 2];
    memset (address, 'a', sizeof address - 1);
    address [sizeof address - 1] = 0;
    s_build (&m, "w1", "", MDP_WORKER, "\x03", address, "", "body", NULL);
    assert_int_equal (s_parse (&m, true, &view), MDP_E_ADDRESS);
    s_close (&m);
}

static void
test_worker_heartbeat_disconnect (void **state)
{
    (void) state;
    s_message_t m;
    mdp_view_t view;
    s_build (&m, "w1", "", MDP_WORKER, "\x04", NULL);
    assert_int_equal (s_parse (&m, true, &view), MDP_OK);
    assert_int_equal (view.command, MDP_HEARTBEAT);
    assert_int_equal (view.credit, 0);        //  no window update
    s_close (&m);
    //  An adaptive worker's new window rides on HEARTBEAT; only "credit=N".
    s_build (&m, "w1", "", MDP_WORKER, "\x04", "credit=3", NULL);
    assert_int_equal (s_parse (&m, true, &view), MDP_OK);
    assert_int_equal (view.credit, 3);
    assert_true (view.windowed);
    assert_null (view.address.data);
    s_close (&m);
    //  Window 0: paused (a worker full with other brokers' requests).
    s_build (&m, "w1", "", MDP_WORKER, "\x04", "credit=0", NULL);
    assert_int_equal (s_parse (&m, true, &view), MDP_OK);
    assert_int_equal (view.credit, 0);
    assert_true (view.windowed);
    s_close (&m);
    //  ...and a request handed back after it: its address, as received.
    s_build (&m, "w1", "", MDP_WORKER, "\x04", "credit=0", "client", NULL);
    assert_int_equal (s_parse (&m, true, &view), MDP_OK);
    assert_true (mdp_bytes_is (view.address, "client"));
    s_close (&m);
    //  The same from a broker (not routed): the window it granted.
    s_build (&m, "", MDP_WORKER, "\x04", "credit=2", NULL);
    assert_int_equal (s_parse (&m, false, &view), MDP_OK);
    assert_int_equal (view.credit, 2);
    s_close (&m);
    const char *bad [] = {"credit=1/2", "credit=1001", "credit=", "credit=-1"};
    for (size_t index = 0; index < sizeof bad / sizeof bad [0]; index++) {
        s_build (&m, "w1", "", MDP_WORKER, "\x04", bad [index], NULL);
        assert_int_equal (s_parse (&m, true, &view), MDP_E_EXTRA);
        assert_int_equal (view.credit, 0);
        s_close (&m);
    }
    s_build (&m, "w1", "", MDP_WORKER, "\x04", "credit=3", "", NULL);
    assert_int_equal (s_parse (&m, true, &view), MDP_E_ADDRESS);
    s_close (&m);
    s_build (&m, "w1", "", MDP_WORKER, "\x04", "credit=3", "x", "y", NULL);
    assert_int_equal (s_parse (&m, true, &view), MDP_E_EXTRA);
    assert_int_equal (view.credit, 0);
    s_close (&m);
    s_build (&m, "", MDP_WORKER, "\x05", NULL);
    assert_int_equal (s_parse (&m, false, &view), MDP_OK);
    assert_int_equal (view.command, MDP_DISCONNECT);
    s_close (&m);
    s_build (&m, "w1", "", MDP_WORKER, "\x04", "extra", NULL);
    assert_int_equal (s_parse (&m, true, &view), MDP_E_EXTRA);
    s_close (&m);
    s_build (&m, "", MDP_WORKER, "\x05", "", NULL);
    assert_int_equal (s_parse (&m, false, &view), MDP_E_EXTRA);
    s_close (&m);
}

static void
test_unknown_command (void **state)
{
    (void) state;
    s_message_t m;
    mdp_view_t view;
    const char *commands [] = {"\x06", "\x7f", "\x01\x01", "READY"};
    for (size_t index = 0; index < 4; index++) {
        s_build (&m, "w1", "", MDP_WORKER, commands [index], "echo", NULL);
        assert_int_equal (s_parse (&m, true, &view), MDP_E_COMMAND);
        assert_int_not_equal (view.command, -1);
        s_close (&m);
    }
    s_build (&m, "", MDP_WORKER, "", NULL);              //  empty command frame
    assert_int_equal (s_parse (&m, false, &view), MDP_E_COMMAND);
    s_close (&m);
    s_build (&m, "", MDP_WORKER, NULL);
    s_add (&m, "\0", 1);                                 //  command byte 0
    assert_int_equal (s_parse (&m, false, &view), MDP_E_COMMAND);
    s_close (&m);
    s_build (&m, "w1", "", MDP_WORKER, NULL);            //  no command frame
    assert_int_equal (s_parse (&m, true, &view), MDP_E_SHORT);
    assert_int_equal (view.command, -1);
    assert_true (view.worker);
    s_close (&m);
}

static void
test_envelope_errors (void **state)
{
    (void) state;
    s_message_t m;
    mdp_view_t view;
    assert_int_equal (mdp_parse (NULL, 0, true, &view), MDP_E_SHORT);
    assert_int_equal (mdp_parse (NULL, 5, true, &view), MDP_E_SHORT);
    m.count = 0;
    assert_int_equal (s_parse (&m, false, &view), MDP_E_SHORT);
    //  One frame: a routing id and nothing else, or a lone delimiter.
    s_build (&m, "peer", NULL);
    assert_int_equal (s_parse (&m, true, &view), MDP_E_SHORT);
    assert_true (mdp_bytes_is (view.peer, "peer"));
    assert_null (view.header);
    s_close (&m);
    s_build (&m, "", NULL);
    assert_int_equal (s_parse (&m, false, &view), MDP_E_SHORT);
    s_close (&m);
    //  Missing delimiter: the header where the empty frame should be.
    s_build (&m, "c1", MDP_CLIENT, "echo", "body", NULL);
    assert_int_equal (s_parse (&m, true, &view), MDP_E_DELIMITER);
    assert_false (view.client || view.worker);
    s_close (&m);
    s_build (&m, "c1", "", "MDPC02", "echo", "body", NULL);
    assert_int_equal (s_parse (&m, true, &view), MDP_E_PROTOCOL);
    s_close (&m);
    s_build (&m, "c1", "", "MDPC0", "echo", "body", NULL);
    assert_int_equal (s_parse (&m, true, &view), MDP_E_PROTOCOL);
    s_close (&m);
    s_build (&m, "c1", "", "", NULL);
    assert_int_equal (s_parse (&m, true, &view), MDP_E_PROTOCOL);
    s_close (&m);
}

static void
test_client_errors (void **state)
{
    (void) state;
    s_message_t m;
    mdp_view_t view;
    s_build (&m, "c1", "", MDP_CLIENT, NULL);
    assert_int_equal (s_parse (&m, true, &view), MDP_E_SHORT);
    assert_true (view.client);
    s_close (&m);
    s_build (&m, "c1", "", MDP_CLIENT, "echo", NULL);
    assert_int_equal (s_parse (&m, true, &view), MDP_E_BODY);
    s_close (&m);
    //  Empty, oversized and binary names: the body is still there for an answer.
    s_build (&m, "c1", "", MDP_CLIENT, "", "body", NULL);
    assert_int_equal (s_parse (&m, true, &view), MDP_E_SERVICE);
    assert_int_equal (view.body_count, 1);
    s_close (&m);
    char name [MDP_SERVICE_MAX + 2];
    memset (name, 's', sizeof name - 1);
    name [sizeof name - 1] = 0;
    s_build (&m, "c1", "", MDP_CLIENT, name, "body", NULL);
    assert_int_equal (s_parse (&m, true, &view), MDP_E_SERVICE);
    s_close (&m);
    name [MDP_SERVICE_MAX] = 0;                          //  exactly the limit
    s_build (&m, "c1", "", MDP_CLIENT, name, "body", NULL);
    assert_int_equal (s_parse (&m, true, &view), MDP_OK);
    s_close (&m);
    s_build (&m, "c1", "", MDP_CLIENT, NULL);
    s_add (&m, "ec\0ho", 5);
    s_add (&m, "body", 4);
    assert_int_equal (s_parse (&m, true, &view), MDP_E_SERVICE);
    s_close (&m);
    s_build (&m, "c1", "", MDP_CLIENT, "\xff\xfe", "body", NULL);
    assert_int_equal (s_parse (&m, true, &view), MDP_E_SERVICE);
    s_close (&m);
    s_build (&m, "w1", "", MDP_WORKER, "\x01", "bad name", NULL);
    assert_int_equal (s_parse (&m, true, &view), MDP_E_SERVICE);
    s_close (&m);
    assert_string_equal (mdp_strerror (MDP_E_BODY), "message without body");
}

//  mdp_send, then mdp_parse of what arrived, over a ROUTER-DEALER pair.
static size_t
s_round_trip (zsock_t *from, zsock_t *to, const mdp_view_t *out, s_message_t *in)
{
    assert_int_equal (mdp_send (zsock_resolve (from), out, false), 0);
    in->count = 0;
    zsock_set_rcvtimeo (to, 2000);
    do {
        zmq_msg_init (&in->frame [in->count]);
        assert_int_not_equal (zmq_msg_recv (&in->frame [in->count], zsock_resolve (to), 0), -1);
    } while (zmq_msg_more (&in->frame [in->count++]) && in->count < S_FRAMES_MAX);
    return in->count;
}

static void
test_send_round_trip (void **state)
{
    (void) state;
    zsock_t *router = zsock_new_router ("inproc://mdp-codec");
    zsock_t *dealer = zsock_new (ZMQ_DEALER);
    zsock_set_identity (dealer, "d1");
    assert_int_equal (zsock_connect (dealer, "inproc://mdp-codec"), 0);
    s_message_t body, in;
    mdp_view_t view;
    s_build (&body, "payload", "", NULL);
    mdp_view_t ready = {.worker = true, .command = MDP_READY,
                        .service = mdp_bytes ("echo", 4), .credit = 7};
    assert_int_equal (s_round_trip (dealer, router, &ready, &in), 6);
    assert_int_equal (s_parse (&in, true, &view), MDP_OK);
    assert_true (mdp_bytes_is (view.peer, "d1") && view.credit == 7);
    s_close (&in);
    ready.credit = 2;
    ready.credit_max = 16;
    assert_int_equal (s_round_trip (dealer, router, &ready, &in), 6);
    assert_int_equal (s_parse (&in, true, &view), MDP_OK);
    assert_true (view.credit == 2 && view.credit_max == 16);
    s_close (&in);
    mdp_view_t window = {.worker = true, .command = MDP_HEARTBEAT, .credit = 5};
    assert_int_equal (s_round_trip (dealer, router, &window, &in), 5);
    assert_int_equal (s_parse (&in, true, &view), MDP_OK);
    assert_true (view.command == MDP_HEARTBEAT && view.credit == 5);
    s_close (&in);
    //  Sharing across brokers: READY paused, explicit credit=1, a pause, a hand-back.
    ready.credit = 0;
    ready.credit_max = 1;
    assert_int_equal (s_round_trip (dealer, router, &ready, &in), 6);
    assert_int_equal (s_parse (&in, true, &view), MDP_OK);
    assert_true (view.windowed && view.credit == 0 && view.credit_max == 1);
    s_close (&in);
    ready.credit = 1;
    ready.windowed = true;
    assert_int_equal (s_round_trip (dealer, router, &ready, &in), 6);
    assert_true (s_parse (&in, true, &view) == MDP_OK && view.windowed && view.credit == 1);
    s_close (&in);
    window.credit = 0;
    window.windowed = true;
    window.address = mdp_bytes ("c9\x00\x00\x00\x01", 6);
    assert_int_equal (s_round_trip (dealer, router, &window, &in), 6);
    assert_int_equal (s_parse (&in, true, &view), MDP_OK);
    assert_true (view.windowed && view.credit == 0 && view.address.size == 6);
    s_close (&in);
    mdp_view_t request = {.peer = mdp_bytes ("d1", 2), .worker = true,
                          .command = MDP_REQUEST, .address = mdp_bytes ("c9", 2),
                          .body = body.frame, .body_count = 2};
    assert_int_equal (s_round_trip (router, dealer, &request, &in), 7);
    assert_int_equal (s_parse (&in, false, &view), MDP_OK);
    assert_true (mdp_bytes_is (view.address, "c9") && view.body_count == 2);
    assert_int_equal (view.body_bytes, 7);
    s_close (&in);
    mdp_view_t reply = {.peer = mdp_bytes ("d1", 2), .client = true,
                        .service = mdp_bytes ("echo", 4)};
    assert_int_equal (s_round_trip (router, dealer, &reply, &in), 3);
    assert_int_equal (s_parse (&in, false, &view), MDP_E_BODY);
    s_close (&in);
    mdp_view_t unknown = {.peer = mdp_bytes ("nobody", 6), .worker = true,
                          .command = MDP_HEARTBEAT};
    zsock_set_router_mandatory (router, 1);
    assert_int_equal (mdp_send (zsock_resolve (router), &unknown, false), -1);
    s_close (&body);
    zsock_destroy (&dealer);
    zsock_destroy (&router);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_client_request),
        cmocka_unit_test (test_worker_ready),
        cmocka_unit_test (test_worker_request_reply),
        cmocka_unit_test (test_worker_heartbeat_disconnect),
        cmocka_unit_test (test_unknown_command),
        cmocka_unit_test (test_envelope_errors),
        cmocka_unit_test (test_client_errors),
        cmocka_unit_test (test_send_round_trip),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
