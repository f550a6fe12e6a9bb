/*  tcp_tap - a TCP relay that records every byte it forwards (for the
    security tests: what would a packet capture on the wire show?).

    tcp_tap TARGET_PORT CAPTURE_FILE SECONDS
    Listens on 127.0.0.1 at a free port, prints "port=N" on stdout, then
    relays each accepted connection to 127.0.0.1:TARGET_PORT in both
    directions, appending all bytes to CAPTURE_FILE, for at most SECONDS.
    No libzmq: it sees exactly what ZMTP puts on the wire.                  */

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_PAIRS 16

static int
s_listen (int *port)
{
    int fd = socket (AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = 0};
    addr.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
    socklen_t size = sizeof (addr);
    if (fd < 0 || bind (fd, (struct sockaddr *) &addr, sizeof (addr)) != 0
    ||  listen (fd, 8) != 0 || getsockname (fd, (struct sockaddr *) &addr, &size) != 0)
        return -1;
    *port = ntohs (addr.sin_port);
    return fd;
}

static int
s_connect (int port)
{
    int fd = socket (AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons ((uint16_t) port)};
    addr.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
    if (fd < 0 || connect (fd, (struct sockaddr *) &addr, sizeof (addr)) != 0) {
        if (fd >= 0)
            close (fd);
        return -1;
    }
    return fd;
}

int
main (int argc, char *argv [])
{
    if (argc != 4) {
        fprintf (stderr, "usage: tcp_tap TARGET_PORT CAPTURE_FILE SECONDS\n");
        return 2;
    }
    int target = atoi (argv [1]);
    FILE *capture = fopen (argv [2], "ab");
    time_t until = time (NULL) + atoi (argv [3]);
    int port = 0;
    int listener = s_listen (&port);
    if (!capture || listener < 0 || target <= 0)
        return 1;
    printf ("port=%d\n", port);
    fflush (stdout);
    struct pollfd fds [1 + 2 * MAX_PAIRS];
    int npairs = 0;
    fds [0] = (struct pollfd) {listener, POLLIN, 0};
    while (time (NULL) < until) {
        if (poll (fds, 1 + 2 * npairs, 100) < 0 && errno != EINTR)
            break;
        if ((fds [0].revents & POLLIN) && npairs < MAX_PAIRS) {
            int in = accept (listener, NULL, NULL);
            int out = in >= 0 ? s_connect (target) : -1;
            if (out >= 0) {
                fds [1 + 2 * npairs] = (struct pollfd) {in, POLLIN, 0};
                fds [2 + 2 * npairs] = (struct pollfd) {out, POLLIN, 0};
                npairs++;
            }
            else
            if (in >= 0)
                close (in);
        }
        for (int index = 1; index < 1 + 2 * npairs; index++) {
            if (fds [index].fd < 0 || !(fds [index].revents & (POLLIN | POLLHUP)))
                continue;
            int peer = index % 2 ? index + 1 : index - 1;
            char buffer [65536];
            ssize_t size = read (fds [index].fd, buffer, sizeof (buffer));
            if (size <= 0 || fds [peer].fd < 0) {
                close (fds [index].fd);
                fds [index].fd = -1;        //  poll ignores negative fds
                continue;
            }
            fwrite (buffer, 1, (size_t) size, capture);
            fflush (capture);
            if (write (fds [peer].fd, buffer, (size_t) size) != size) {
                close (fds [peer].fd);
                fds [peer].fd = -1;
            }
        }
    }
    fclose (capture);
    return 0;
}
