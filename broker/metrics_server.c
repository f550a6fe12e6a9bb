/*  metrics_server.c - the HTTP thread of the /metrics endpoint.

    One zmq_poll over the actor pipe, the listening socket and at most
    BROKER_METRICS_CONN_MAX connections. The connections are plain
    non-blocking TCP sockets, not ZMQ_STREAM: we decide when to accept, and
    we can close a socket once its answer has left without losing it.

    Every connection has a deadline from the moment it is accepted:
      reading   the request head (http.h) ........ HEAD_MS after accept
      waiting   for a snapshot from the broker ... LIFE_MS after accept
      writing   the answer ....................... LIFE_MS after accept
      closing   answer sent and our side shut down (the peer sees the end
                of the stream); we drop what it still sends until it
                closes, so that it reads the whole answer ... CLOSE_MS more
    Beyond the cap a new connection gets a short 503 and is closed at once,
    so idle peers can hold neither descriptors nor memory. The text is
    cached for CACHE_MS: however many scrapers loop, the broker's loop makes
    at most one snapshot a second, and only while someone scrapes. And at
    most ANSWERS_PER_S answers a second carry it (it is the same text for a
    second anyway): more requests wait their turn, so a looping scraper is
    slowed to that pace instead of making the host copy hundreds of MB/s.  */

#define _GNU_SOURCE               //  accept4

#include "http.h"
#include "metrics.h"

#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define S_ACCEPT_BATCH 64         //  connections accepted per wake-up
#define S_BACKOFF_MS 100          //  pause accepting when out of descriptors
#define S_DRAIN_MAX 65536         //  bytes dropped per wake-up from a closing peer
#define S_REPORT_MS 1000          //  counters go to the broker's log at most this often

typedef enum { S_READING, S_WAITING, S_WRITING, S_CLOSING } s_state_t;

//  The exposition text, shared by the cache and every connection sending it.
typedef struct {
    char *data;                   //  malloc'd
    size_t size;                  //  bytes
    int refs;                     //  holders
} s_text_t;

typedef struct {
    int fd;                       //  the TCP socket
    s_state_t state;              //  where in its life it is
    int64_t accepted;             //  zclock_mono ms of the accept
    int64_t deadline;             //  zclock_mono ms when we close it regardless
    char in [BROKER_HTTP_HEAD_MAX];  //  request head so far
    size_t in_size;               //  bytes in it
    bool head;                    //  a HEAD request: headers only
    char out [256];               //  status line and headers of the answer
    size_t out_size;              //  bytes in it
    s_text_t *text;               //  body when it is the exposition (a reference)
    const char *body;             //  body bytes (text->data or a constant)
    size_t total;                 //  bytes to send: out, then the body unless head
    size_t sent;                  //  bytes sent so far
} s_conn_t;

typedef struct {
    uint64_t scrapes;             //  exposition answers
    uint64_t refused;             //  connections over the cap
    uint64_t timed_out;           //  closed at their deadline, unanswered
    uint64_t too_large;           //  431 answers
    uint64_t errors;              //  other error answers (400, 404, 405, 505, 500)
} s_counts_t;

typedef struct {
    zsock_t *pipe;                //  to the broker (zactor pipe)
    int listener;                 //  listening socket
    int64_t accept_after;         //  out of descriptors: not before this time
    s_conn_t *conns [BROKER_METRICS_CONN_MAX];  //  open connections (NULL: free slot)
    s_text_t *cache;              //  the latest exposition, NULL before the first
    int64_t cache_at;             //  when it was made
    int64_t asked_at;             //  when we asked for a snapshot; 0: not waiting
    int64_t turns_at;             //  start of the second the turns count in
    int turns;                    //  exposition answers started in it
    s_counts_t counts;            //  since the last report
    int64_t report_at;            //  next report to the broker's log
    bool terminated;              //  $TERM received
} s_server_t;

static void
s_text_release (s_text_t **text_p)
{
    s_text_t *text = *text_p;
    if (text && --text->refs == 0) {
        free (text->data);
        free (text);
    }
    *text_p = NULL;
}

static void
s_close (s_server_t *self, int slot)
{
    s_conn_t *conn = self->conns [slot];
    close (conn->fd);
    s_text_release (&conn->text);
    free (conn);
    self->conns [slot] = NULL;
}

//  --------------------------------------------------------------------------
//  Answers

//  Send what the socket takes. 1: all sent; 0: the socket is full; -1: gone.
static int
s_send_some (s_conn_t *conn)
{
    while (conn->sent < conn->total) {
        struct iovec parts [2];
        int count = 0;
        if (conn->sent < conn->out_size)
            parts [count++] = (struct iovec) {conn->out + conn->sent, conn->out_size - conn->sent};
        size_t body_sent = conn->sent > conn->out_size ? conn->sent - conn->out_size : 0;
        if (conn->total > conn->out_size)
            parts [count++] = (struct iovec) {(void *) (conn->body + body_sent),
                                              conn->total - conn->out_size - body_sent};
        struct msghdr msg = {.msg_iov = parts, .msg_iovlen = (size_t) count};
        ssize_t rc = sendmsg (conn->fd, &msg, MSG_NOSIGNAL);
        if (rc == -1)
            return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR ? 0 : -1;
        conn->sent += (size_t) rc;
    }
    return 1;
}

//  Write more of the answer; once it is all out, shut our side down.
static void
s_write (s_server_t *self, int slot, int64_t now)
{
    s_conn_t *conn = self->conns [slot];
    int rc = s_send_some (conn);
    if (rc == -1)
        s_close (self, slot);
    else
    if (rc == 1) {
        shutdown (conn->fd, SHUT_WR);
        s_text_release (&conn->text);
        conn->state = S_CLOSING;
        conn->deadline = now + BROKER_METRICS_CLOSE_MS;
    }
}

static const char *
s_error_text (int status)
{
    switch (status) {
        case 404: return "not found: try /metrics\n";
        case 405: return "only GET or HEAD /metrics\n";
        case 431: return "request head too large\n";
        case 500: return "out of memory\n";
        case 505: return "HTTP/1.0 or HTTP/1.1 only\n";
        default:  return "bad request\n";
    }
}

//  Start the answer: status 200 sends text (a reference is taken), any
//  other status its short error text.
static void
s_answer (s_server_t *self, int slot, int status, s_text_t *text, int64_t now)
{
    s_conn_t *conn = self->conns [slot];
    bool exposition = status == 200 && text;
    conn->body = exposition ? text->data : s_error_text (status);
    size_t size = exposition ? text->size : strlen (conn->body);
    if (exposition) {
        conn->text = text;
        text->refs++;
    }
    int length = snprintf (conn->out, sizeof (conn->out),
        "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n%s"
        "Connection: close\r\n\r\n", status, broker_http_reason (status),
        exposition ? "text/plain; version=0.0.4; charset=utf-8" : "text/plain", size,
        status == 405 ? "Allow: GET, HEAD\r\n" : "");
    conn->out_size = (size_t) length < sizeof (conn->out) ? (size_t) length : 0;
    conn->total = conn->out_size + (conn->head ? 0 : size);
    conn->sent = 0;
    conn->state = S_WRITING;
    conn->deadline = conn->accepted + BROKER_METRICS_LIFE_MS;
    s_write (self, slot, now);
}

//  --------------------------------------------------------------------------
//  The exposition: cached, rebuilt from a broker snapshot when stale

//  Ask the broker for a snapshot unless we are waiting for one (we ask
//  again if none came within a second).
static void
s_ask (s_server_t *self, int64_t now)
{
    if (self->asked_at && now - self->asked_at < BROKER_METRICS_CACHE_MS)
        return;
    if (zstr_send (self->pipe, "SNAP") == 0)
        self->asked_at = now;
}

//  The next answer with the exposition, if this second has one left.
static bool
s_take_turn (s_server_t *self, int64_t now)
{
    if (now - self->turns_at >= 1000) {
        self->turns_at = now;
        self->turns = 0;
    }
    if (self->turns >= BROKER_METRICS_ANSWERS_PER_S)
        return false;
    self->turns++;
    return true;
}

//  Answer the connections waiting for the exposition, while the text is
//  fresh and this second has turns left; ask for a snapshot if stale.
static void
s_serve_waiting (s_server_t *self, int64_t now)
{
    bool fresh = self->cache && now - self->cache_at < BROKER_METRICS_CACHE_MS;
    for (int slot = 0; slot < BROKER_METRICS_CONN_MAX; slot++) {
        if (!self->conns [slot] || self->conns [slot]->state != S_WAITING)
            continue;
        if (!fresh) {
            s_ask (self, now);
            return;
        }
        if (!s_take_turn (self, now))
            return;               //  the rest wait for the next second
        self->counts.scrapes++;
        s_answer (self, slot, 200, self->cache, now);
    }
}

//  A snapshot arrived (NULL: the broker was out of memory): make the text
//  and cache it, or fail the waiting connections with 500.
static void
s_snapshot (s_server_t *self, broker_metrics_snapshot_t *snapshot, int64_t now)
{
    self->asked_at = 0;
    s_text_t *text = snapshot ? (s_text_t *) zmalloc (sizeof (s_text_t)) : NULL;
    if (text && !(text->data = broker_metrics_text (snapshot, &text->size))) {
        free (text);
        text = NULL;
    }
    broker_metrics_snapshot_destroy (&snapshot);
    if (text) {
        text->refs = 1;
        s_text_release (&self->cache);
        self->cache = text;
        self->cache_at = now;
        s_serve_waiting (self, now);
        return;
    }
    for (int slot = 0; slot < BROKER_METRICS_CONN_MAX; slot++)
        if (self->conns [slot] && self->conns [slot]->state == S_WAITING) {
            self->counts.errors++;
            s_answer (self, slot, 500, NULL, now);
        }
}

//  A complete request (or one we refuse): answer, or wait for fresh text.
static void
s_request (s_server_t *self, int slot, const broker_http_request_t *request, int64_t now)
{
    s_conn_t *conn = self->conns [slot];
    conn->head = request->head;
    if (request->status != 200) {
        if (request->status == 431)
            self->counts.too_large++;
        else
            self->counts.errors++;
        s_answer (self, slot, request->status, NULL, now);
    }
    else {
        conn->state = S_WAITING;
        conn->deadline = conn->accepted + BROKER_METRICS_LIFE_MS;
        s_serve_waiting (self, now);
    }
}

//  --------------------------------------------------------------------------
//  Input

//  Read what the peer sent; answer once the head is complete (or refused).
static void
s_read (s_server_t *self, int slot, int64_t now)
{
    s_conn_t *conn = self->conns [slot];
    while (conn->in_size < sizeof (conn->in)) {
        ssize_t rc = recv (conn->fd, conn->in + conn->in_size, sizeof (conn->in) - conn->in_size, 0);
        if (rc == 0 || (rc == -1 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
            s_close (self, slot);  //  gone before it finished asking
            return;
        }
        if (rc == -1)
            break;
        conn->in_size += (size_t) rc;
    }
    broker_http_request_t request;
    if (broker_http_parse (conn->in, conn->in_size, &request) != 0)
        s_request (self, slot, &request, now);
}

//  Our answer is out: drop what the peer still sends until it closes
//  (closing with unread bytes would reset the connection and could lose
//  the answer on its way, e.g. a 431 to a peer that is still sending).
static void
s_drain (s_server_t *self, int slot)
{
    char scratch [4096];
    for (size_t dropped = 0; dropped < S_DRAIN_MAX; dropped += sizeof (scratch)) {
        ssize_t rc = recv (self->conns [slot]->fd, scratch, sizeof (scratch), 0);
        if (rc == -1 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
            return;
        if (rc <= 0) {
            s_close (self, slot);
            return;
        }
    }
}

//  Over the cap: a short 503 if the socket takes it, then close.
static void
s_refuse (int fd)
{
    static const char answer [] = "HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain\r\n"
                                  "Content-Length: 21\r\nConnection: close\r\n\r\n"
                                  "too many connections\n";
    if (send (fd, answer, sizeof (answer) - 1, MSG_NOSIGNAL | MSG_DONTWAIT) == -1)
        errno = 0;                //  best effort: the peer is told by the close anyway
    close (fd);
}

static int
s_free_slot (s_server_t *self)
{
    for (int slot = 0; slot < BROKER_METRICS_CONN_MAX; slot++)
        if (!self->conns [slot])
            return slot;
    return -1;
}

static void
s_accept (s_server_t *self, int64_t now)
{
    for (int count = 0; count < S_ACCEPT_BATCH; count++) {
        int fd = accept4 (self->listener, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd == -1 && (errno == ECONNABORTED || errno == EINTR))
            continue;
        if (fd == -1) {
            if (errno != EAGAIN && errno != EWOULDBLOCK)
                self->accept_after = now + S_BACKOFF_MS;  //  EMFILE and the like
            return;
        }
        int slot = s_free_slot (self);
        s_conn_t *conn = slot == -1 ? NULL : (s_conn_t *) malloc (sizeof (s_conn_t));
        if (!conn) {
            self->counts.refused++;
            s_refuse (fd);
            continue;
        }
        *conn = (s_conn_t) {.fd = fd, .state = S_READING, .accepted = now,
                            .deadline = now + BROKER_METRICS_HEAD_MS};
        self->conns [slot] = conn;
    }
}

//  A command from the broker: $TERM, or the snapshot we asked for.
static void
s_pipe (s_server_t *self, int64_t now)
{
    char *command = NULL;
    void *snapshot = NULL;
    if (zsock_recv (self->pipe, "sp", &command, &snapshot) == -1 || !command
    ||  streq (command, "$TERM"))
        self->terminated = true;
    else
    if (streq (command, "SNAP"))
        s_snapshot (self, (broker_metrics_snapshot_t *) snapshot, now);
    zstr_free (&command);
}

//  --------------------------------------------------------------------------
//  Timers

static void
s_expire (s_server_t *self, int64_t now)
{
    for (int slot = 0; slot < BROKER_METRICS_CONN_MAX; slot++) {
        s_conn_t *conn = self->conns [slot];
        if (conn && now >= conn->deadline) {
            if (conn->state != S_CLOSING)
                self->counts.timed_out++;
            s_close (self, slot);
        }
    }
}

//  What happened since the last report, as one line of the broker's log:
//  a warning when connections were refused, timed out or answered with an
//  error, else debug. At most one line a second, however busy.
static void
s_report (s_server_t *self, int64_t now)
{
    s_counts_t *counts = &self->counts;
    if (now < self->report_at || memcmp (counts, &(s_counts_t) {0}, sizeof (*counts)) == 0)
        return;
    bool bad = counts->refused || counts->timed_out || counts->too_large || counts->errors;
    char level [8], fields [200];
    snprintf (level, sizeof (level), "%d", bad ? ZLB_LOG_WARNING : ZLB_LOG_DEBUG);
    snprintf (fields, sizeof (fields), "scrapes=%" PRIu64 " refused=%" PRIu64 " timed_out=%"
              PRIu64 " too_large=%" PRIu64 " errors=%" PRIu64, counts->scrapes,
              counts->refused, counts->timed_out, counts->too_large, counts->errors);
    if (zstr_sendx (self->pipe, "LOG", level, "metrics_http", fields, NULL) == 0) {
        *counts = (s_counts_t) {0};
        self->report_at = now + S_REPORT_MS;
    }
}

//  How long the poll may wait: until the next deadline, at most a second.
static long
s_timeout (s_server_t *self, int64_t now)
{
    int64_t next = now + S_REPORT_MS;
    if (self->accept_after > now && self->accept_after < next)
        next = self->accept_after;
    for (int slot = 0; slot < BROKER_METRICS_CONN_MAX; slot++) {
        s_conn_t *conn = self->conns [slot];
        if (conn && conn->deadline < next)
            next = conn->deadline;
        int64_t turn = self->turns_at + 1000;     //  when a turn is free again
        if (conn && conn->state == S_WAITING && self->turns >= BROKER_METRICS_ANSWERS_PER_S
        &&  turn > now && turn < next)
            next = turn;
    }
    return next > now ? (long) (next - now) : 0;
}

//  --------------------------------------------------------------------------
//  The loop

//  What a connection waits for in its state.
static short
s_events (const s_conn_t *conn)
{
    return conn->state == S_WRITING ? ZMQ_POLLOUT
         : conn->state == S_WAITING ? 0 : ZMQ_POLLIN;
}

//  One wait and what it brought. -1 when the context is gone.
static int
s_poll (s_server_t *self)
{
    zmq_pollitem_t items [2 + BROKER_METRICS_CONN_MAX];
    int slots [BROKER_METRICS_CONN_MAX], count = 2;
    int64_t now = zclock_mono ();
    items [0] = (zmq_pollitem_t) {zsock_resolve (self->pipe), 0, ZMQ_POLLIN, 0};
    items [1] = (zmq_pollitem_t) {NULL, self->listener,
                                  now >= self->accept_after ? ZMQ_POLLIN : 0, 0};
    for (int slot = 0; slot < BROKER_METRICS_CONN_MAX; slot++)
        if (self->conns [slot]) {
            slots [count - 2] = slot;
            items [count++] = (zmq_pollitem_t) {NULL, self->conns [slot]->fd,
                                                s_events (self->conns [slot]), 0};
        }
    if (zmq_poll (items, count, s_timeout (self, now)) == -1)
        return errno == EINTR ? 0 : -1;
    now = zclock_mono ();
    if (items [0].revents & ZMQ_POLLIN)
        s_pipe (self, now);
    for (int index = 2; index < count; index++) {
        int slot = slots [index - 2];
        s_conn_t *conn = self->conns [slot];
        if (!conn || !items [index].revents)
            continue;             //  closed, or not ready
        if (conn->state == S_READING)
            s_read (self, slot, now);
        else
        if (conn->state == S_WRITING)
            s_write (self, slot, now);
        else
        if (conn->state == S_CLOSING)
            s_drain (self, slot);
    }
    if (items [1].revents & ZMQ_POLLIN)
        s_accept (self, now);
    s_serve_waiting (self, now);
    s_expire (self, now);
    s_report (self, now);
    return 0;
}

void
broker_metrics_server (zsock_t *pipe, void *args)
{
    //  Signals are for the broker's thread (SIGTERM stops it, SIGHUP reopens the log).
    sigset_t all;
    sigfillset (&all);
    pthread_sigmask (SIG_BLOCK, &all, NULL);
    s_server_t self = {.pipe = pipe, .listener = (int) (intptr_t) args};
    zsock_set_sndtimeo (pipe, 0);     //  never block on a busy broker: drop the line
    zsock_signal (pipe, 0);
    while (!self.terminated && s_poll (&self) == 0)
        ;
    for (int slot = 0; slot < BROKER_METRICS_CONN_MAX; slot++)
        if (self.conns [slot])
            s_close (&self, slot);
    s_text_release (&self.cache);
    close (self.listener);
}
