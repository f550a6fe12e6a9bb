/*  outputs.c - output paths of zlb-stress (see outputs.h).                */

#include "outputs.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static bool
s_is_stdout (const char *path)
{
    return strcmp (path, "-") == 0;
}

static bool
s_ends_with (const char *text, const char *suffix)
{
    size_t n = strlen (text), k = strlen (suffix);
    return n >= k && strcasecmp (text + n - k, suffix) == 0;
}

//  Can we write path? Try it: open an existing file without truncating,
//  or create the file and remove it again. -1 with errno.
static int
s_writable (const char *path)
{
    struct stat st;
    if (stat (path, &st) == 0 && S_ISDIR (st.st_mode)) {
        errno = EISDIR;
        return -1;
    }
    int fd = open (path, O_WRONLY | O_APPEND);
    bool created = false;
    if (fd < 0 && errno == ENOENT) {
        fd = open (path, O_WRONLY | O_CREAT | O_EXCL, 0644);
        created = fd >= 0;
    }
    if (fd < 0)
        return -1;
    close (fd);
    if (created)
        unlink (path);
    return 0;
}

static int
s_check (const char *flag, const char *path, bool dash_ok, char *err, size_t errsize)
{
    if (!path)
        return 0;
    if (s_is_stdout (path)) {
        if (dash_ok)
            return 0;
        snprintf (err, errsize, "--%s: '-' (standard output) is only for --json and --csv", flag);
        return -1;
    }
    if (*path == 0 || s_writable (path)) {
        snprintf (err, errsize, "--%s: cannot write '%s': %s", flag, path,
                  *path? strerror (errno): "empty path");
        return -1;
    }
    return 0;
}

int
zlb_stress_outputs_check (const zlb_stress_params_t *params, char *err, size_t errsize)
{
    const char *report = params->report_path;
    if (report && !s_ends_with (report, ".svg") && !s_ends_with (report, ".html")) {
        snprintf (err, errsize, "--report: '%s' must end in .svg or .html (the format)", report);
        return -1;
    }
    if (params->json_path && params->csv_path
    &&  s_is_stdout (params->json_path) && s_is_stdout (params->csv_path)) {
        snprintf (err, errsize, "--json and --csv cannot both be '-' (standard output)");
        return -1;
    }
    if (s_check ("json", params->json_path, true, err, errsize)
    ||  s_check ("csv", params->csv_path, true, err, errsize)
    ||  s_check ("report", report, false, err, errsize)
    ||  s_check ("log", params->log_path, true, err, errsize))
        return -1;
    return 0;
}

bool
zlb_stress_outputs_use_stdout (const zlb_stress_params_t *params)
{
    return (params->json_path && s_is_stdout (params->json_path))
        || (params->csv_path && s_is_stdout (params->csv_path));
}

FILE *
zlb_stress_output_open (const char *path)
{
    return s_is_stdout (path)? stdout: fopen (path, "w");
}

int
zlb_stress_output_close (FILE *out)
{
    bool failed = ferror (out) != 0;
    if (out == stdout)
        return fflush (out) || failed? -1: 0;
    return fclose (out) || failed? -1: 0;
}
