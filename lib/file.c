/*  file.c - read small trusted-by-path files safely (file.h).            */

#include "file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

//  Why open(2) failed, in words for the user.
static const char *
s_open_reason (int error)
{
    switch (error) {
        case ELOOP:  return "too many levels of symbolic links";
        case ENOENT: return "no such file";
        case EACCES: return "permission denied";
        case ENXIO:  return "is a socket or FIFO, not a file";
        default:     return "cannot open it";
    }
}

//  Up to max + 1 bytes from fd into a new buffer, so a file that grew past
//  max since fstat is still caught. NULL on a read error or over max.
static char *
s_read_bounded (int fd, size_t max, size_t *size, const char **reason)
{
    char *data = (char *) malloc (max + 2);
    size_t used = 0;
    while (data && used <= max) {
        ssize_t got = read (fd, data + used, max + 1 - used);
        if (got == 0)
            break;
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0) {
            *reason = "cannot read it";
            free (data);
            return NULL;
        }
        used += (size_t) got;
    }
    if (data && used > max) {
        *reason = "is larger than 64 KiB (not a certificate)";
        free (data);
        return NULL;
    }
    if (!data)
        *reason = "out of memory";
    else {
        data [used] = 0;
        *size = used;
    }
    return data;
}

char *
zlb_file_read_small (const char *path, size_t *size, struct stat *info,
                     const char **err)
{
    const char *reason = NULL;
    char *data = NULL;
    size_t used = 0;
    struct stat status;
    int fd = path ? open (path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY)
                  : -1;
    if (fd < 0)
        reason = path ? s_open_reason (errno) : "no file given";
    else
    if (fstat (fd, &status) != 0)
        reason = "cannot read it";
    else
    if (!S_ISREG (status.st_mode))
        reason = S_ISDIR (status.st_mode) ? "is a directory" : "is not a regular file";
    else
    if (status.st_size > ZLB_SMALL_FILE_MAX)
        reason = "is larger than 64 KiB (not a certificate)";
    else
        data = s_read_bounded (fd, ZLB_SMALL_FILE_MAX, &used, &reason);
    if (fd >= 0)
        close (fd);
    if (data && size)
        *size = used;
    if (data && info)
        *info = status;
    if (!data && err)
        *err = reason;
    return data;
}
