/*  http_peer - hostile HTTP clients for the /metrics endpoint's tests.

    http_peer idle HOST PORT N SECONDS
        Opens N TCP connections and never sends a byte. Prints
        "opened=K failed=F" once they are made, then "closed=C" each time
        more of them have been closed by the server (read gives end of
        stream or an error), and "all_closed" when every opened one is.
        Exits then, or after SECONDS.
    http_peer big-head HOST PORT SECONDS
        Sends "GET /metrics HTTP/1.1", then one header that never ends, 1 KiB
        every 10 ms, and keeps sending while it reads. Prints "status=N" for
        the answer's status line and "eof" when the server ends the stream
        (or "reset" when it resets it after the answer). Exits then, or
        after SECONDS.
    Exit: 0 (the test judges the output), 2 on usage. No libzmq: raw sockets. */

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static time_t s_until;          //  when we give up (SECONDS from the start)

static int
s_connect (const char *host, int port)
{
    int fd = socket (AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons ((uint16_t) port)};
    if (fd == -1 || inet_pton (AF_INET, host, &addr.sin_addr) != 1)
        goto failed;
    if (connect (fd, (struct sockaddr *) &addr, sizeof (addr)) == 0)
        return fd;
    struct pollfd item = {.fd = fd, .events = POLLOUT};
    int error = 0;
    socklen_t size = sizeof (error);
    if (errno == EINPROGRESS && poll (&item, 1, 2000) == 1
    &&  getsockopt (fd, SOL_SOCKET, SO_ERROR, &error, &size) == 0 && error == 0)
        return fd;
failed:
    if (fd != -1)
        close (fd);
    return -1;
}

//  Read what is there: 1 if the stream ended (or failed), else 0.
static int
s_ended (int fd, char *buffer, size_t size, size_t *got)
{
    ssize_t rc = recv (fd, buffer, size, 0);
    if (rc > 0 && got)
        *got += (size_t) rc;
    if (rc > 0 || (rc == -1 && (errno == EAGAIN || errno == EINTR)))
        return 0;
    return 1;
}

static int
s_idle (const char *host, int port, int count)
{
    int *fds = (int *) calloc ((size_t) count, sizeof (int));
    int opened = 0, failed = 0, closed = 0, reported = -1;
    for (int index = 0; index < count; index++) {
        int fd = s_connect (host, port);
        if (fd == -1)
            failed++;
        else
            fds [opened++] = fd;
    }
    printf ("opened=%d failed=%d\n", opened, failed);
    fflush (stdout);
    char buffer [512];
    while (closed < opened && time (NULL) < s_until) {
        for (int index = 0; index < opened; index++)
            if (fds [index] != -1 && s_ended (fds [index], buffer, sizeof (buffer), NULL)) {
                close (fds [index]);
                fds [index] = -1;
                closed++;
            }
        if (closed != reported) {
            printf ("closed=%d\n", closed);
            fflush (stdout);
            reported = closed;
        }
        usleep (20000);
    }
    if (closed == opened)
        printf ("all_closed\n");
    for (int index = 0; index < opened; index++)
        if (fds [index] != -1)
            close (fds [index]);
    free (fds);
    return 0;
}

static int
s_big_head (const char *host, int port)
{
    int fd = s_connect (host, port);
    if (fd == -1) {
        printf ("connect failed\n");
        return 0;
    }
    const char *start = "GET /metrics HTTP/1.1\r\nHost: zlb\r\nX-Big: ";
    send (fd, start, strlen (start), MSG_NOSIGNAL);
    char filler [1024], answer [4096];
    memset (filler, 'a', sizeof (filler));
    size_t got = 0;
    bool status = false;
    while (time (NULL) < s_until) {
        send (fd, filler, sizeof (filler), MSG_NOSIGNAL | MSG_DONTWAIT);
        ssize_t rc = recv (fd, answer + got, sizeof (answer) - 1 - got, 0);
        if (rc > 0)
            got += (size_t) rc;
        answer [got] = 0;
        if (!status && strstr (answer, "\r\n")) {
            printf ("status=%d\n", atoi (answer + 9));
            fflush (stdout);
            status = true;
        }
        if (rc == 0 || (rc == -1 && errno != EAGAIN && errno != EINTR)) {
            printf ("%s\n", rc == 0 ? "eof" : "reset");
            break;
        }
        usleep (10000);
    }
    close (fd);
    return 0;
}

int
main (int argc, char *argv [])
{
    if (argc == 6 && strcmp (argv [1], "idle") == 0) {
        s_until = time (NULL) + atoi (argv [5]);
        return s_idle (argv [2], atoi (argv [3]), atoi (argv [4]));
    }
    if (argc == 5 && strcmp (argv [1], "big-head") == 0) {
        s_until = time (NULL) + atoi (argv [4]);
        return s_big_head (argv [2], atoi (argv [3]));
    }
    fprintf (stderr, "usage: http_peer idle HOST PORT N SECONDS | big-head HOST PORT SECONDS\n");
    return 2;
}
