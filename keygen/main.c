/*  zlb-keygen - write a CurveZMQ certificate pair for zlb.

    PATH gets the public certificate (hand it to peers, or drop it in the
    broker's --allow-clients / --allow-workers directory) and PATH_secret
    both keys, created mode 0600 (give it to --curve-secret). Files are
    czmq zcert files, so any czmq program reads them. Existing files (and
    symbolic links, dangling or not) are never written through: a file is
    created with O_CREAT|O_EXCL|O_NOFOLLOW, and --force replaces the path
    itself atomically (a temporary file in the same directory, renamed).

    Exit codes: 0 written, 1 could not write, 2 bad flags.                */

#include <czmq.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "certstore.h"
#include "curve.h"
#include "names.h"
#include "options.h"
#include "zlb/zlb.h"

#define S_PATH_MAX 4096
#define S_TEXT(macro) S_QUOTE (macro)
#define S_QUOTE(text) #text
#define S_SERVICES_MAX_TEXT S_TEXT (ZLB_CERT_SERVICES_MAX)

typedef struct {
    const char *path;             //  public file; secret is path + "_secret"
    const char *name;             //  metadata "name" (optional)
    const char *services;         //  metadata "services" (optional)
    bool force;                   //  overwrite existing files
    bool quiet;                   //  do not print the public key
} s_args_t;

//  A services list must be service names (not mmi.*) separated by commas,
//  shorter than the broker honours.
static bool
s_services_valid (const char *list)
{
    if (strlen (list) >= ZLB_CERT_SERVICES_MAX)
        return false;
    const char *start = list;
    while (true) {
        const char *comma = strchr (start, ',');
        size_t size = comma ? (size_t) (comma - start) : strlen (start);
        char name [ZLB_CERT_SERVICES_MAX];
        snprintf (name, sizeof name, "%.*s", (int) size, start);
        if (!zlb_worker_service_valid (name))
            return false;
        if (!comma)
            return true;
        start = comma + 1;
    }
}

//  --services: the list, checked.
static const char *
s_services (const char *value, void *target)
{
    if (!s_services_valid (value))
        return "expected service names (printable, no spaces, not mmi.*) separated by"
               " commas, under " S_SERVICES_MAX_TEXT " bytes in all";
    *(const char **) target = value;
    return NULL;
}

//  --name: it goes between quotes in the certificate's metadata.
static const char *
s_name (const char *value, void *target)
{
    if (strpbrk (value, "\"\n\r"))
        return "expected a name without quotes or newlines";
    *(const char **) target = value;
    return NULL;
}

static int
s_parse (s_args_t *args, int argc, char *argv [])
{
    const zlb_option_t table [] = {
        {"name", 0, ZLB_OPT_CUSTOM, "NAME", .target = &args->name, .check = s_name,
         .help = "metadata: a name for logs and humans"},
        {"services", 0, ZLB_OPT_CUSTOM, "LIST", .target = &args->services,
         .check = s_services, .help = "metadata: services a worker with this key may"
         " offer, comma-separated (the broker enforces it when the public file is in"
         " its --allow-workers directory)"},
        {"force", 0, ZLB_OPT_FLAG, ZLB_OPT_INTO (args->force), .help = "replace existing"
         " files (atomically; a symbolic link at PATH is replaced, never followed)"},
        {"quiet", 'q', ZLB_OPT_FLAG, ZLB_OPT_INTO (args->quiet), .help = "print nothing"},
        ZLB_OPT_END
    };
    const zlb_options_t options = {
        .prog = "zlb-keygen", .table = table, .max_args = 1,
        .usage = "Usage: zlb-keygen [OPTIONS] PATH\n"
            "Write a CURVE certificate pair: PATH (public) and PATH_secret (both keys,\n"
            "mode 0600). Prints the public key (Z85).\n\n"
    };
    char **paths;
    int count;
    int rc = zlb_options_parse (&options, argc, argv, &paths, &count);
    if (rc != ZLB_OPTIONS_RUN)
        return rc == ZLB_OPTIONS_DONE ? 0 : 2;
    if (count != 1 || !*paths [0]) {
        zlb_options_fail (&options, NULL, "give exactly one PATH");
        return 2;
    }
    args->path = paths [0];
    return -1;
}

//  Refuse to clobber a key someone may be using, unless asked to. lstat:
//  a dangling symbolic link counts as existing too.
static int
s_check_free (const char *path, bool force)
{
    struct stat info;
    if (!force && lstat (path, &info) == 0) {
        fprintf (stderr, "zlb-keygen: '%s' exists (use --force to replace it)\n", path);
        return -1;
    }
    return 0;
}

//  All of text into fd, then to disk. 0 or -1 (errno set).
static int
s_write_all (int fd, const char *text)
{
    size_t size = strlen (text), done = 0;
    while (done < size) {
        ssize_t wrote = write (fd, text + done, size - done);
        if (wrote < 0 && errno == EINTR)
            continue;
        if (wrote < 0)
            return -1;
        done += (size_t) wrote;
    }
    return fsync (fd);
}

//  Write text to path with exactly this mode, never through a symbolic link.
//  Without force: a new file (O_EXCL). With force: a fresh temporary file
//  beside it, renamed over path (rename replaces a link, never follows it).
static int
s_write_file (const char *path, const char *text, mode_t mode, bool force)
{
    char temp [S_PATH_MAX + 16];
    snprintf (temp, sizeof temp, "%s.XXXXXX", path);
    int fd = force ? mkstemp (temp)
                   : open (path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
    const char *target = force ? temp : path;
    int rc = fd < 0 || fchmod (fd, mode) != 0 || s_write_all (fd, text) != 0 ? -1 : 0;
    int saved = errno;
    if (fd >= 0 && close (fd) != 0 && rc == 0) {
        rc = -1;
        saved = errno;
    }
    if (rc == 0 && force && rename (temp, path) != 0) {
        rc = -1;
        saved = errno;
    }
    if (rc != 0) {
        if (fd >= 0)
            unlink (target);      //  only what we created ourselves
        fprintf (stderr, "zlb-keygen: cannot write '%s': %s\n", path,
                 saved == EEXIST ? "it exists (use --force to replace it)" : strerror (saved));
    }
    return rc;
}

//  The certificate in czmq's zcert file format; secret adds the secret key.
static char *
s_cert_text (zcert_t *cert, bool secret)
{
    zconfig_t *root = zconfig_new ("root", NULL);
    if (!root)
        return NULL;
    zconfig_set_comment (root, "   ZeroMQ CURVE %s Certificate (zlb-keygen)",
                         secret ? "**Secret**" : "Public");
    if (secret)
        zconfig_set_comment (root, "   DO NOT PROVIDE THIS FILE TO OTHER USERS nor change"
                             " its permissions.");
    const char *names [] = {"name", "services"};
    for (size_t index = 0; index < 2; index++) {
        const char *value = zcert_meta (cert, names [index]);
        char path [32];
        snprintf (path, sizeof path, "metadata/%s", names [index]);
        if (value)
            zconfig_put (root, path, value);
    }
    zconfig_put (root, "curve/public-key", zcert_public_txt (cert));
    if (secret)
        zconfig_put (root, "curve/secret-key", zcert_secret_txt (cert));
    char *text = zconfig_str_save (root);
    zconfig_destroy (&root);
    return text;
}

//  Write both files; the secret one is created 0600 from the start.
static int
s_write (const s_args_t *args, zcert_t *cert, const char *secret_path)
{
    char *secret_text = s_cert_text (cert, true);
    char *public_text = s_cert_text (cert, false);
    int rc = -1;
    if (!secret_text || !public_text)
        fprintf (stderr, "zlb-keygen: out of memory\n");
    else
    if (s_write_file (secret_path, secret_text, 0600, args->force) == 0) {
        rc = s_write_file (args->path, public_text, 0644, args->force);
        if (rc != 0)
            unlink (secret_path);
    }
    zstr_free (&secret_text);
    zstr_free (&public_text);
    return rc;
}

int
main (int argc, char *argv [])
{
    s_args_t args = {0};
    int rc = s_parse (&args, argc, argv);
    if (rc >= 0)
        return rc;
    char secret_path [S_PATH_MAX];
    if (snprintf (secret_path, sizeof (secret_path), "%s_secret", args.path)
        >= (int) sizeof (secret_path)) {
        fprintf (stderr, "zlb-keygen: path too long\n");
        return 2;
    }
    if (s_check_free (args.path, args.force) || s_check_free (secret_path, args.force))
        return 1;
    zcert_t *cert = zcert_new ();
    if (!cert) {
        fprintf (stderr, "zlb-keygen: cannot make a key pair\n");
        return 1;
    }
    if (args.name)
        zcert_set_meta (cert, "name", "%s", args.name);
    if (args.services)
        zcert_set_meta (cert, "services", "%s", args.services);
    rc = s_write (&args, cert, secret_path) == 0 ? 0 : 1;
    if (rc == 0 && !args.quiet)
        printf ("%s\n", zcert_public_txt (cert));
    zcert_destroy (&cert);
    return rc;
}
