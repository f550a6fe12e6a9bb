/*  certstore.h - an allow-list directory of public certificates (internal).

    What czmq's zcertstore does for a directory, with our bounded reads:
    every regular file in the directory, or symbolic link to one (not in
    subdirectories, names not starting with '.', so a Kubernetes secret
    volume's "..data" is skipped and its per-key links are read) that is a
    certificate is in the store, found by its public key. Each file is read
    with zlb_curve_cert_read (no FIFOs, at most 64 KiB each), at most ZLB_CERTSTORE_MAX_FILES
    files. A lookup first checks whether the directory changed (entries,
    sizes, modification times) and reloads it if so, so keys can be added
    and removed while the broker runs.                                     */

#ifndef ZLB_CERTSTORE_H_INCLUDED
#define ZLB_CERTSTORE_H_INCLUDED

#include <czmq.h>

#define ZLB_CERTSTORE_MAX_FILES 10000    //  entries looked at per directory

//  A worker certificate's "services" metadata must be shorter than this
//  (bytes): the broker passes it to libzmq as connection metadata in a
//  bounded buffer, and zlb-keygen refuses to write a longer list.
#define ZLB_CERT_SERVICES_MAX 512

typedef struct _zlb_certstore_t zlb_certstore_t;

//  A store over the directory at path (loaded now). NULL on out of memory.
zlb_certstore_t *zlb_certstore_new (const char *path);

void zlb_certstore_destroy (zlb_certstore_t **self_p);

//  The certificate with this public key (Z85), or NULL. Borrowed: valid
//  until the next lookup.
zcert_t *zlb_certstore_lookup (zlb_certstore_t *self, const char *public_key);

#endif
