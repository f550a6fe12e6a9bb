/*  frame_flood - one multipart message that never ends, for the memory tests.

    frame_flood ENDPOINT FRAMES SIZE [--repeat] [--hold S]
        Speaks ZMTP 3.0 by hand over TCP or IPC (NULL mechanism, as a
        DEALER): greeting, READY, then FRAMES frames of SIZE bytes, every one
        flagged MORE, and never the last one. Then it keeps the message
        unfinished (and the connection alive) with a 1-byte MORE frame every
        50 ms for S seconds (default 3600). Prints "server_mechanism=NAME"
        from the server's greeting (when it sent that much), "sent=N" every 16 frames and at the end,
        and "ended sent=N error=TEXT" when the connection fails. --repeat:
        reconnect after a failure and start a new unfinished message, until
        killed (for the broker-restart test).
    frame_flood --curve BROKER_CERT OUR_SECRET_CERT ENDPOINT FRAMES SIZE [--hold S]
        The same message through a real libzmq DEALER with CURVE keys (e.g.
        a key the broker does not allow). Prints "queued=N" once libzmq has
        taken the frames (a new connection is tried when the broker's
        refusal made libzmq stop taking them; after 20 tries N is the last
        count), then holds for S seconds.
    Exit: 0 (the test judges the output and the broker's memory), 2 usage.   */

#include <czmq.h>
#include <errno.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

//  A blocking socket connected to tcp://A.B.C.D:PORT or ipc://PATH; -1 on failure.
static int
s_connect (const char *endpoint)
{
    int fd = -1;
    if (strncmp (endpoint, "ipc://", 6) == 0) {
        struct sockaddr_un addr = {.sun_family = AF_UNIX};
        snprintf (addr.sun_path, sizeof (addr.sun_path), "%s", endpoint + 6);
        fd = socket (AF_UNIX, SOCK_STREAM, 0);
        if (fd != -1 && connect (fd, (struct sockaddr *) &addr, sizeof (addr)) == 0)
            return fd;
    }
    else
    if (strncmp (endpoint, "tcp://", 6) == 0 && strrchr (endpoint, ':') > endpoint + 6) {
        char host [64];
        const char *colon = strrchr (endpoint, ':');
        snprintf (host, sizeof (host), "%.*s", (int) (colon - endpoint - 6), endpoint + 6);
        struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons ((uint16_t) atoi (colon + 1))};
        fd = socket (AF_INET, SOCK_STREAM, 0);
        if (fd != -1 && inet_pton (AF_INET, host, &addr.sin_addr) == 1
        &&  connect (fd, (struct sockaddr *) &addr, sizeof (addr)) == 0)
            return fd;
    }
    if (fd != -1)
        close (fd);
    return -1;
}

static int
s_send_all (int fd, const void *data, size_t size)
{
    const char *at = (const char *) data;
    while (size > 0) {
        ssize_t rc = send (fd, at, size, MSG_NOSIGNAL);
        if (rc <= 0)
            return -1;
        at += rc;
        size -= (size_t) rc;
    }
    return 0;
}

//  Greeting both ways and our READY (Socket-Type DEALER). -1 on failure.
static int
s_handshake (int fd)
{
    unsigned char greeting [64] = {0xFF, 0, 0, 0, 0, 0, 0, 0, 0, 0x7F, 3, 0, 'N', 'U', 'L', 'L'};
    unsigned char theirs [64];
    if (s_send_all (fd, greeting, sizeof (greeting)) == -1)
        return -1;
    size_t got = 0;
    while (got < sizeof (theirs)) {
        ssize_t rc = recv (fd, theirs + got, sizeof (theirs) - got, 0);
        if (rc <= 0)
            break;
        got += (size_t) rc;
    }
    //  A server that wants another mechanism may close before its greeting ends.
    if (got >= 32)
        printf ("server_mechanism=%.20s\n", (char *) theirs + 12);
    fflush (stdout);
    if (got < sizeof (theirs))
        return -1;
    static const unsigned char ready [] = {
        0x04, 28, 5, 'R', 'E', 'A', 'D', 'Y', 11, 'S', 'o', 'c', 'k', 'e', 't', '-', 'T', 'y',
        'p', 'e', 0, 0, 0, 6, 'D', 'E', 'A', 'L', 'E', 'R'
    };
    return s_send_all (fd, ready, sizeof (ready));
}

//  One frame with the MORE flag (long form: 8-byte size).
static int
s_frame (int fd, const char *data, size_t size)
{
    unsigned char head [9] = {0x03};
    for (int index = 0; index < 8; index++)
        head [1 + index] = (unsigned char) ((uint64_t) size >> (56 - 8 * index));
    return s_send_all (fd, head, sizeof (head)) == -1 ? -1 : s_send_all (fd, data, size);
}

//  One connection: the frames, then hold. Returns frames sent.
static long
s_flood (const char *endpoint, long frames, const char *data, size_t size, long hold_s)
{
    long sent = 0;
    int fd = s_connect (endpoint);
    struct timeval timeout = {.tv_sec = 5};
    if (fd != -1)
        setsockopt (fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof (timeout));
    if (fd == -1 || s_handshake (fd) == -1) {
        printf ("ended sent=0 error=\"%s\"\n", fd == -1 ? "connect failed" : "handshake failed");
        goto done;
    }
    for (; sent < frames; sent++) {
        if (sent % 16 == 0) {
            printf ("sent=%ld\n", sent);
            fflush (stdout);
        }
        if (s_frame (fd, data, size) == -1)
            break;
    }
    if (sent == frames) {
        printf ("sent=%ld\n", sent);
        fflush (stdout);
        int64_t until = zclock_mono () + hold_s * 1000;
        while (zclock_mono () < until && s_frame (fd, "x", 1) == 0)
            zclock_sleep (50);
        if (zclock_mono () >= until)
            goto done;
    }
    printf ("ended sent=%ld error=\"%s\"\n", sent, strerror (errno));
done:
    fflush (stdout);
    if (fd != -1)
        close (fd);
    return sent;
}

//  A CURVE DEALER that has queued the frames of one unfinished message;
//  NULL if libzmq stopped taking them (the broker refused the key before
//  we were done: libzmq then drops the pipe, and a DEALER with no pipe
//  blocks; we give up after a second). Frames taken in *queued.
static zsock_t *
s_curve_dealer (zcert_t *server, zcert_t *ours, const char *endpoint, long frames,
                const char *data, size_t size, long *queued)
{
    zsock_t *dealer = zsock_new (ZMQ_DEALER);
    if (!dealer)
        return NULL;
    zsock_set_sndhwm (dealer, 0);
    zsock_set_sndtimeo (dealer, 1000);
    zsock_set_linger (dealer, 0);
    zcert_apply (ours, dealer);
    zsock_set_curve_serverkey (dealer, zcert_public_txt (server));
    zsock_connect (dealer, "%s", endpoint);
    for (*queued = 0; *queued < frames; (*queued)++)
        if (zmq_send (zsock_resolve (dealer), data, size, ZMQ_SNDMORE) == -1)
            break;
    if (*queued < frames)
        zsock_destroy (&dealer);
    return dealer;
}

static int
s_curve (const char *broker_cert, const char *our_cert, const char *endpoint, long frames,
         const char *data, size_t size, long hold_s)
{
    zcert_t *server = zcert_load (broker_cert);
    zcert_t *ours = zcert_load (our_cert);
    if (!server || !ours) {
        fprintf (stderr, "frame_flood: cannot load the certificates\n");
        return 2;
    }
    //  The refusal can come before the first frame: try a few connections.
    long queued = 0;
    zsock_t *dealer = NULL;
    for (int attempt = 0; attempt < 20 && !dealer; attempt++)
        dealer = s_curve_dealer (server, ours, endpoint, frames, data, size, &queued);
    printf ("queued=%ld\n", queued);
    fflush (stdout);
    zclock_sleep ((int) (hold_s * 1000));
    zsock_destroy (&dealer);
    zcert_destroy (&ours);
    zcert_destroy (&server);
    return 0;
}

int
main (int argc, char *argv [])
{
    bool repeat = false, curve = argc > 1 && streq (argv [1], "--curve");
    long hold_s = 3600;
    int first = curve ? 4 : 1;
    for (int index = first + 3; index < argc; index++) {
        if (streq (argv [index], "--repeat"))
            repeat = true;
        else
        if (streq (argv [index], "--hold") && index + 1 < argc)
            hold_s = atol (argv [++index]);
        else
            argc = 0;
    }
    if (argc < first + 3) {
        fprintf (stderr, "usage: frame_flood ENDPOINT FRAMES SIZE [--repeat] [--hold S]\n"
                         "       frame_flood --curve BROKER_CERT OUR_SECRET_CERT ENDPOINT FRAMES SIZE"
                         " [--hold S]\n");
        return 2;
    }
    const char *endpoint = argv [first];
    long frames = atol (argv [first + 1]);
    size_t size = (size_t) atol (argv [first + 2]);
    char *data = (char *) malloc (size ? size : 1);
    memset (data, 'z', size);
    int rc = 0;
    if (curve)
        rc = s_curve (argv [2], argv [3], endpoint, frames, data, size, hold_s);
    else
        do {
            s_flood (endpoint, frames, data, size, hold_s);
            if (repeat)
                zclock_sleep (100);
        } while (repeat && !zsys_interrupted);
    free (data);
    return rc;
}
