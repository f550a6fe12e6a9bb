/*  file.h - read small trusted-by-path files safely (internal).

    Certificates, secret keys and allow-list entries are a few hundred
    bytes. Whoever controls the path must not be able to make us read for
    minutes (a 43 MB "certificate"), block forever (a FIFO), or follow a
    symbolic link somewhere else. So every such read opens the path with
    O_NOFOLLOW | O_NONBLOCK, checks with fstat on that same descriptor that
    it is a regular file of at most ZLB_SMALL_FILE_MAX bytes, and reads no
    more than that.                                                         */

#ifndef ZLB_FILE_H_INCLUDED
#define ZLB_FILE_H_INCLUDED

#include <stddef.h>
#include <sys/stat.h>

#define ZLB_SMALL_FILE_MAX (64 * 1024)   //  largest certificate or key file we read

//  The whole file at path as a NUL-terminated string (caller frees), its
//  size in *size and its fstat in *info (both may be NULL). NULL with a
//  short reason in *err (may be NULL) for a symbolic link, a FIFO, a
//  directory or device, a file over ZLB_SMALL_FILE_MAX, or a failed read.
char *zlb_file_read_small (const char *path, size_t *size, struct stat *info,
                           const char **err);

#endif
