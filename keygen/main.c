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
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "certstore.h"
#include "curve.h"
#include "mdp.h"
#include "zlb/zlb.h"

#define S_PATH_MAX 4096

typedef struct {
    const char *path;             //  public file; secret is path + "_secret"
    const char *name;             //  metadata "name" (optional)
    const char *services;         //  metadata "services" (optional)
    bool force;                   //  overwrite existing files
    bool quiet;                   //  do not print the public key
} s_args_t;

static void
s_usage (FILE *out)
{
    fprintf (out,
"Usage: zlb-keygen [OPTIONS] PATH\n"
"Write a CURVE certificate pair: PATH (public) and PATH_secret (both keys,\n"
"mode 0600). Prints the public key (Z85).\n\n"
"  --name NAME          metadata: a name for logs and humans\n"
"  --services LIST      metadata: services a worker with this key may offer,\n"
"                       comma-separated (the broker enforces it when the\n"
"                       public file is in its --allow-workers directory)\n"
"  --force              replace existing files (atomically; a symbolic link\n"
"                       at PATH is replaced, never followed)\n"
"  -q, --quiet          print nothing\n"
"  -h, --help           show this help\n"
"  -V, --version        show the version\n");
}

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
        if (!mdp_service_valid (start, size) || (size >= 4 && memcmp (start, "mmi.", 4) == 0))
            return false;
        if (!comma)
            return true;
        start = comma + 1;
    }
}

static int
s_parse (s_args_t *args, int argc, char *argv [])
{
    static struct option longopts [] = {
        {"name", required_argument, 0, 'n'}, {"services", required_argument, 0, 's'},
        {"force", no_argument, 0, 'f'}, {"quiet", no_argument, 0, 'q'},
        {"help", no_argument, 0, 'h'}, {"version", no_argument, 0, 'V'}, {0, 0, 0, 0}
    };
    int option;
    opterr = 0;
    while ((option = getopt_long (argc, argv, "qhV", longopts, NULL)) != -1) {
        switch (option) {
            case 'n': args->name = optarg; break;
            case 's': args->services = optarg; break;
            case 'f': args->force = true; break;
            case 'q': args->quiet = true; break;
            case 'h': s_usage (stdout); return 0;
            case 'V': printf ("zlb-keygen %s\n", ZLB_VERSION_STRING); return 0;
            default:
                fprintf (stderr, "zlb-keygen: unknown option or missing value: '%s'\n"
                         "Try 'zlb-keygen --help'.\n", argv [optind - 1]);
                return 2;
        }
    }
    if (optind != argc - 1 || !*argv [optind]) {
        fprintf (stderr, "zlb-keygen: give exactly one PATH\nTry 'zlb-keygen --help'.\n");
        return 2;
    }
    args->path = argv [optind];
    if (args->services && !s_services_valid (args->services)) {
        fprintf (stderr, "zlb-keygen: invalid --services: service names (printable,"
                 " no spaces, not mmi.*) separated by commas, under %d bytes in all\n",
                 ZLB_CERT_SERVICES_MAX);
        return 2;
    }
    if (args->name && strpbrk (args->name, "\"\n\r")) {
        fprintf (stderr, "zlb-keygen: --name must not contain quotes or newlines\n");
        return 2;
    }
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
