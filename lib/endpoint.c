/*  endpoint.c - words for an endpoint that does not work (util.h).

    What a newcomer types first is often "localhost:5555" or an address
    of another machine: libzmq answers "Invalid argument" or "No such
    device". These helpers turn that into a sentence that names the
    endpoint, the reason and the usual fix, and, after a request got no
    answer, find out whether anything listens there at all.                */

#define _GNU_SOURCE
#include "util.h"

#include <czmq.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#define S_PROBE_MS 1000           //  longest a reachability probe waits

const char *
zlb_endpoint_why (const char *endpoint, int error, char *buf, size_t size)
{
    if (endpoint && !strstr (endpoint, "://"))
        snprintf (buf, size, "endpoint needs a scheme: tcp://%s?", endpoint);
    else
    if (error == ENODEV || error == EADDRNOTAVAIL)
        snprintf (buf, size, "no network interface here has that address (%s)",
                  zmq_strerror (error));
    else
    if (error == EADDRINUSE)
        snprintf (buf, size, "address already in use (another broker on that port?)");
    else
    if (error == EACCES)
        snprintf (buf, size, "permission denied (ports below 1024 need root;"
                             " ipc:// needs a writable folder)");
    else
    if (error == EPROTONOSUPPORT)
        snprintf (buf, size, "unknown transport (use tcp://, ipc:// or inproc://)");
    else
    if (error == EINVAL)
        snprintf (buf, size, "not a valid endpoint (e.g. tcp://127.0.0.1:5555)");
    else
        snprintf (buf, size, "%s", zmq_strerror (error));
    return buf;
}

//  Connect a socket of this family to addr, waiting up to S_PROBE_MS.
//  0 when something accepted, else an errno.
static int
s_try_connect (int family, const struct sockaddr *addr, socklen_t addr_size)
{
    int fd = socket (family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return errno;
    int error = 0;
    if (connect (fd, addr, addr_size) != 0) {
        error = errno;
        struct pollfd item = { fd, POLLOUT, 0 };
        socklen_t length = sizeof (error);
        if (error == EINPROGRESS)
            error = poll (&item, 1, S_PROBE_MS) == 1
                  && getsockopt (fd, SOL_SOCKET, SO_ERROR, &error, &length) == 0
                  ? error : ETIMEDOUT;
    }
    close (fd);
    return error;
}

//  tcp://HOST:PORT ([v6] and * too): 0, an errno, or -1 when the host
//  name does not resolve.
static int
s_probe_tcp (const char *address)
{
    char host [256];
    const char *colon = strrchr (address, ':');
    if (!colon || (size_t) (colon - address) >= sizeof (host))
        return EINVAL;
    snprintf (host, sizeof (host), "%.*s", (int) (colon - address), address);
    const char *name = host;
    if (*host == '[' && host [strlen (host) - 1] == ']') {
        host [strlen (host) - 1] = 0;
        name = host + 1;
    }
    if (streq (name, "*"))
        name = "localhost";
    struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *found = NULL;
    if (getaddrinfo (name, colon + 1, &hints, &found) != 0 || !found)
        return -1;
    int error = s_try_connect (found->ai_family, found->ai_addr, found->ai_addrlen);
    freeaddrinfo (found);
    return error;
}

static int
s_probe_ipc (const char *path)
{
    struct sockaddr_un addr = { .sun_family = AF_UNIX };
    if (strlen (path) >= sizeof (addr.sun_path))
        return ENAMETOOLONG;
    memcpy (addr.sun_path, path, strlen (path));
    return s_try_connect (AF_UNIX, (struct sockaddr *) &addr, sizeof (addr));
}

void
zlb_endpoint_report (const char *prog, const char *endpoint)
{
    int error = strncmp (endpoint, "tcp://", 6) == 0 ? s_probe_tcp (endpoint + 6)
              : strncmp (endpoint, "ipc://", 6) == 0 ? s_probe_ipc (endpoint + 6)
              : 0;
    if (error)
        fprintf (stderr, "%s: cannot reach the broker at %s: %s (is zlb-broker running"
                 " there?)\n", prog, endpoint, error < 0 ? "unknown host"
                 : strerror (error));
    else
        fprintf (stderr, "%s: the broker at %s accepts connections but did not answer\n",
                 prog, endpoint);
}
