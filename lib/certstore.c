/*  certstore.c - an allow-list directory of public certificates (certstore.h). */

#include "certstore.h"
#include "curve.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>

//  What a directory looks like, to notice a change without reading files.
typedef struct {
    size_t files;                 //  entries looked at
    off_t bytes;                  //  their sizes, summed
    int64_t modified;             //  latest modification time, ns (directory included)
} s_shape_t;

struct _zlb_certstore_t {
    char *path;                   //  the directory
    zhashx_t *certs;              //  public key (Z85) -> zcert_t
    s_shape_t shape;              //  as of the last load
};

static int64_t
s_ns (const struct timespec *time)
{
    return (int64_t) time->tv_sec * 1000000000 + time->tv_nsec;
}

static bool
s_wanted (const struct dirent *entry)
{
    return entry->d_name [0] != '.';
}

//  The shape of the directory into *shape, from each wanted entry's lstat,
//  at most ZLB_CERTSTORE_MAX_FILES of them; with load, the regular files
//  that are certificates go into the store as well.
static void
s_scan (zlb_certstore_t *self, s_shape_t *shape, bool load)
{
    memset (shape, 0, sizeof *shape);
    DIR *dir = opendir (self->path);
    struct stat info;
    if (!dir)
        return;
    if (fstat (dirfd (dir), &info) == 0)
        shape->modified = s_ns (&info.st_mtim);
    struct dirent *entry;
    while ((entry = readdir (dir)) && shape->files < ZLB_CERTSTORE_MAX_FILES) {
        if (!s_wanted (entry)
        ||  fstatat (dirfd (dir), entry->d_name, &info, 0) != 0)
            continue;
        shape->files++;
        shape->bytes += info.st_size;
        if (s_ns (&info.st_mtim) > shape->modified)
            shape->modified = s_ns (&info.st_mtim);
        if (!load || !S_ISREG (info.st_mode))
            continue;
        char *file = zsys_sprintf ("%s/%s", self->path, entry->d_name);
        zcert_t *cert = file ? zlb_curve_cert_read (file, NULL, NULL) : NULL;
        if (cert)
            zhashx_update (self->certs, zcert_public_txt (cert), cert);
        zstr_free (&file);
    }
    closedir (dir);
}

static void
s_cert_destroy (void **item)
{
    zcert_destroy ((zcert_t **) item);
}

zlb_certstore_t *
zlb_certstore_new (const char *path)
{
    zlb_certstore_t *self = (zlb_certstore_t *) zmalloc (sizeof (zlb_certstore_t));
    if (!self)
        return NULL;
    self->path = strdup (path ? path : ".");
    self->certs = zhashx_new ();
    if (!self->path || !self->certs) {
        zlb_certstore_destroy (&self);
        return NULL;
    }
    zhashx_set_destructor (self->certs, s_cert_destroy);
    s_scan (self, &self->shape, true);
    return self;
}

void
zlb_certstore_destroy (zlb_certstore_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    zlb_certstore_t *self = *self_p;
    zhashx_destroy (&self->certs);
    free (self->path);
    free (self);
    *self_p = NULL;
}

zcert_t *
zlb_certstore_lookup (zlb_certstore_t *self, const char *public_key)
{
    if (!self || !public_key)
        return NULL;
    s_shape_t now;
    s_scan (self, &now, false);
    if (memcmp (&now, &self->shape, sizeof now) != 0) {
        zhashx_purge (self->certs);
        s_scan (self, &self->shape, true);
    }
    return (zcert_t *) zhashx_lookup (self->certs, public_key);
}
