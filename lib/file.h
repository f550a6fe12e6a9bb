/*  file.h - read small trusted-by-path files safely (internal).

    Certificates, secret keys and allow-list entries are a few hundred
    bytes. Whoever controls the path must not be able to make us read for
    minutes (a 43 MB "certificate") or block forever (a FIFO). So every such
    read opens the path with O_NONBLOCK, checks with fstat on that same
    descriptor that it is a regular file of at most ZLB_SMALL_FILE_MAX
    bytes, and reads no more than that. A symbolic link is followed (a
    Kubernetes secret volume is made of them): what counts is the file it
    leads to, checked on the descriptor, so a link to a FIFO is refused as
    a FIFO is. Writing is another matter: zlb-keygen never follows one.     */

#ifndef ZLB_FILE_H_INCLUDED
#define ZLB_FILE_H_INCLUDED

#include <stddef.h>
#include <sys/stat.h>

#define ZLB_SMALL_FILE_MAX (64 * 1024)   //  largest certificate or key file we read

//  The whole file at path as a NUL-terminated string (caller frees), its
//  size in *size and its fstat in *info (both may be NULL). NULL with a
//  short reason in *err (may be NULL) for a FIFO, a directory or device
//  (also behind a symbolic link), a file over ZLB_SMALL_FILE_MAX, or a failed read.
char *zlb_file_read_small (const char *path, size_t *size, struct stat *info,
                           const char **err);

#endif
