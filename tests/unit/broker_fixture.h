/*  broker_fixture.h - a broker under test, in-process (test_broker.c,
    test_credit.c).

    Each fixture runs a broker on its own inproc:// endpoint with a fake
    clock and a debug log in a temporary file, and keeps the DEALER peers
    the test makes so that it can close them at the end. The broker runs one
    step at a time (fixture_pump), so a test decides exactly when time passes.
    Header-only: each test program includes it once.                        */

#ifndef BROKER_FIXTURE_H_INCLUDED
#define BROKER_FIXTURE_H_INCLUDED

#include <czmq.h>
#include <unistd.h>

#include "broker.h"
#include "zlb/zlb.h"

#define FIXTURE_SNDTIMEO 500     //  real ms a peer may wait to send

typedef struct {
    zlb_broker_t *broker;        //  under test
    zlb_log_t *log;              //  debug level, to a temporary file
    char log_path [64];          //  removed at the end
    char endpoint [64];          //  unique inproc endpoint
    int64_t now;                 //  the fake clock, ms
    zlistx_t *sockets;           //  peers to close at the end
} fixture_t;

typedef void (fixture_options_fn) (zlb_broker_options_t *options);

static inline int64_t
fixture_clock (void *arg)
{
    return ((fixture_t *) arg)->now;
}

//  Start a broker: defaults, then the test file's settings, then the one
//  test's tweak (either may be NULL).
static inline fixture_t *
fixture_start (const char *name, fixture_options_fn *settings, fixture_options_fn *tweak)
{
    static int counter = 0;
    fixture_t *f = (fixture_t *) zmalloc (sizeof (fixture_t));
    assert_non_null (f);
    f->now = 1000000;
    snprintf (f->log_path, sizeof (f->log_path), "/tmp/%s_%d_%d.log", name,
              (int) getpid (), counter);
    snprintf (f->endpoint, sizeof (f->endpoint), "inproc://%s-%d", name, counter++);
    f->log = zlb_log_new (f->log_path, "broker", "test", ZLB_LOG_DEBUG);
    assert_non_null (f->log);
    zlb_broker_options_t options;
    zlb_broker_options_defaults (&options);
    if (settings)
        settings (&options);
    if (tweak)
        tweak (&options);
    options.clock_ms = fixture_clock;
    options.clock_arg = f;
    f->broker = zlb_broker_new (&options, f->log);
    assert_non_null (f->broker);
    assert_int_equal (zlb_broker_bind (f->broker, f->endpoint), 0);
    f->sockets = zlistx_new ();
    return f;
}

static inline void
fixture_stop (fixture_t **f_p)
{
    fixture_t *f = *f_p;
    zsock_t *sock;
    while ((sock = (zsock_t *) zlistx_detach (f->sockets, NULL)))
        zsock_destroy (&sock);
    zlistx_destroy (&f->sockets);
    zlb_broker_destroy (&f->broker);
    zlb_broker_destroy (&f->broker);     //  safe twice
    zlb_log_destroy (&f->log);
    unlink (f->log_path);
    free (f);
    *f_p = NULL;
}

//  One step of the broker, then every bookkeeping rule (invariants.c).
static inline int
fixture_step (fixture_t *f, int timeout_ms)
{
    int handled = zlb_broker_poll (f->broker, timeout_ms);
    const char *broken = broker_check_invariants (f->broker);
    if (broken)
        fail_msg ("broker invariant broken: %s", broken);
    return handled;
}

//  Run the broker until it has nothing more to do.
static inline void
fixture_pump (fixture_t *f)
{
    for (int round = 0; round < 20; round++)
        if (fixture_step (f, 10) == 0)
            break;
}

//  Move the fake clock forward, then let the broker act on it.
static inline void
fixture_advance (fixture_t *f, int64_t ms)
{
    f->now += ms;
    fixture_pump (f);
}

//  A DEALER peer with this routing id, closed by fixture_stop.
static inline zsock_t *
fixture_peer (fixture_t *f, const char *identity)
{
    zsock_t *sock = zsock_new (ZMQ_DEALER);
    assert_non_null (sock);
    zsock_set_identity (sock, identity);
    zsock_set_linger (sock, 0);
    zsock_set_sndtimeo (sock, FIXTURE_SNDTIMEO);
    assert_int_equal (zsock_connect (sock, "%s", f->endpoint), 0);
    zlistx_add_end (f->sockets, sock);
    return sock;
}

//  Close a peer before the end of the test (it "vanishes").
static inline void
fixture_peer_close (fixture_t *f, zsock_t **sock_p)
{
    void *handle = zlistx_find (f->sockets, *sock_p);
    assert_non_null (handle);
    zlistx_delete (f->sockets, handle);
    zsock_destroy (sock_p);
}

//  The broker's counters now.
static inline zlb_broker_stats_t
fixture_stats (fixture_t *f)
{
    zlb_broker_stats_t stats;
    zlb_broker_stats (f->broker, &stats);
    return stats;
}

//  The next message on a peer, or NULL after timeout_ms.
static inline zmsg_t *
fixture_recv (zsock_t *sock, int timeout_ms)
{
    zsock_set_rcvtimeo (sock, timeout_ms);
    return zmsg_recv (sock);
}

#endif
