/*  zlb-keygen - write a CurveZMQ certificate pair for zlb.

    PATH gets the public certificate (hand it to peers, or drop it in the
    broker's --allow-clients / --allow-workers directory) and PATH_secret
    both keys, created mode 0600 (give it to --curve-secret). Files are
    czmq zcert files, so any czmq program reads them. Existing files are
    never overwritten unless --force.

    Exit codes: 0 written, 1 could not write, 2 bad flags.                */

#include <czmq.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

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
"  --force              overwrite existing files\n"
"  -q, --quiet          print nothing\n"
"  -h, --help           show this help\n"
"  -V, --version        show the version\n");
}

//  A services list must be service names separated by commas.
static bool
s_services_valid (const char *list)
{
    const char *start = list;
    while (true) {
        const char *comma = strchr (start, ',');
        size_t size = comma ? (size_t) (comma - start) : strlen (start);
        if (!mdp_service_valid (start, size))
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
        fprintf (stderr, "zlb-keygen: invalid --services '%s': service names "
                 "(printable, no spaces) separated by commas\n", args->services);
        return 2;
    }
    if (args->name && strpbrk (args->name, "\"\n\r")) {
        fprintf (stderr, "zlb-keygen: --name must not contain quotes or newlines\n");
        return 2;
    }
    return -1;
}

//  Refuse to clobber a key someone may be using, unless asked to.
static int
s_check_free (const char *path, bool force)
{
    if (!force && access (path, F_OK) == 0) {
        fprintf (stderr, "zlb-keygen: '%s' exists (use --force to overwrite)\n", path);
        return -1;
    }
    if (force)
        unlink (path);
    return 0;
}

//  Write both files; the secret one never exists with wider permissions
//  than 0600, not even for an instant (umask, then chmod to be sure).
static int
s_write (const s_args_t *args, zcert_t *cert, const char *secret_path)
{
    mode_t old_mask = umask (077);
    int rc = zcert_save_secret (cert, secret_path);
    umask (old_mask);
    if (rc != 0 || chmod (secret_path, 0600) != 0) {
        fprintf (stderr, "zlb-keygen: cannot write '%s': %s\n", secret_path, strerror (errno));
        return -1;
    }
    if (zcert_save_public (cert, args->path) != 0) {
        fprintf (stderr, "zlb-keygen: cannot write '%s': %s\n", args->path, strerror (errno));
        unlink (secret_path);
        return -1;
    }
    chmod (args->path, 0644);
    return 0;
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
