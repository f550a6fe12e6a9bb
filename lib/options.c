/*  options.c - parse a command line from its table (options.h).

    The checks are the library's own (names.h, util.h, log.h): a value the
    parser accepts is one the library accepts.                             */

#include "options.h"
#include "names.h"
#include "util.h"
#include "zlb/zlb.h"

#include <errno.h>
#include <string.h>

//  --help and --version, in every table.
static const zlb_option_t s_builtin [] = {
    {.name = "help", .letter = 'h', .type = ZLB_OPT_FLAG, .help = "show this help and exit"},
    {.name = "version", .letter = 'V', .type = ZLB_OPT_FLAG,
     .help = "show the version and exit"},
    {.name = NULL}
};

const zlb_option_t *
zlb_options_builtin (void)
{
    return s_builtin;
}

int
zlb_options_fail (const zlb_options_t *self, const char *flag, const char *format, ...)
{
    FILE *err = self->err ? self->err : stderr;
    fprintf (err, "%s: ", self->prog);
    if (flag)
        fprintf (err, "%s: ", flag);
    va_list args;
    va_start (args, format);
    vfprintf (err, format, args);
    va_end (args);
    fprintf (err, "\nTry '%s --help'.\n", self->prog);
    return ZLB_OPTIONS_BAD;
}

//  The entry for a long name (name_size bytes) or a letter, else NULL.
static const zlb_option_t *
s_find (const zlb_option_t *table, const char *name, size_t name_size, char letter)
{
    for (int pass = 0; pass < 2; pass++, table = s_builtin)
        for (const zlb_option_t *entry = table; entry->name; entry++)
            if (name ? strlen (entry->name) == name_size
                       && memcmp (entry->name, name, name_size) == 0
                     : entry->letter && entry->letter == letter)
                return entry;
    return NULL;
}

//  A number into an int-, int64_t- or size_t-sized target (ranges keep
//  it within the target; sizes and counts are never negative).
static void
s_store_number (const zlb_option_t *entry, int64_t number)
{
    if (entry->target_size == sizeof (int)) {
        int value = (int) number;
        memcpy (entry->target, &value, sizeof value);
    }
    else
        memcpy (entry->target, &number, sizeof number);
}

//  A number's value: NULL, or why text is not one (into reason).
static const char *
s_number (const zlb_option_t *entry, const char *text, int64_t *number,
          char *reason, size_t size)
{
    char low [32], high [32];
    zlb_opt_format (entry, entry->min, low, sizeof low);
    zlb_opt_format (entry, entry->max, high, sizeof high);
    int rc = -1;
    const char *what = "a whole number", *example = "";
    if (entry->type == ZLB_OPT_INT)
        rc = zlb_parse_int64 (text, entry->min, entry->max, number);
    else
    if (entry->type == ZLB_OPT_SIZE) {
        rc = zlb_parse_size (text, number);
        what = "a size", example = " (e.g. 64, 4k, 1m)";
    }
    else {
        rc = zlb_parse_duration_ms (text, entry->unit_ms ? entry->unit_ms : 1, number);
        what = "a duration", example = " (e.g. 250ms, 2s, 1m)";
    }
    if (rc == 0 && *number >= entry->min && *number <= entry->max)
        return NULL;
    snprintf (reason, size, "expected %s from %s to %s%s", what, low, high, example);
    return reason;
}

//  Why value is wrong for entry (NULL: it is fine), reason has room for it.
static const char *
s_check (const zlb_option_t *entry, const char *value, char *reason, size_t size)
{
    int64_t number;
    switch (entry->type) {
        case ZLB_OPT_INT:
        case ZLB_OPT_SIZE:
        case ZLB_OPT_DURATION:
            if (s_number (entry, value, &number, reason, size))
                return reason;
            s_store_number (entry, number);
            return NULL;
        case ZLB_OPT_PATH:
            return *value ? NULL : "expected a file name";
        case ZLB_OPT_STRING:
            return *value ? NULL : "expected some text";
        case ZLB_OPT_ENDPOINT:
            return zlb_endpoint_valid (value) ? NULL
                 : zlb_endpoint_why (value, EINVAL, reason, size);
        case ZLB_OPT_SERVICE:
            return zlb_service_name_valid (value) ? NULL
                 : "expected a service name: 1-255 printable characters, no spaces";
        case ZLB_OPT_CUSTOM:
            return entry->check (value, entry->target);
        default:
            return NULL;
    }
}

//  Store a text value (strings, paths, endpoints, services).
static int
s_store_text (const zlb_options_t *self, const zlb_option_t *entry, const char *flag,
              const char *value)
{
    if (entry->repeatable) {
        zlb_opt_list_t *list = (zlb_opt_list_t *) entry->target;
        if (list->count == ZLB_OPT_LIST_MAX)
            return zlb_options_fail (self, flag, "given more than %d times",
                                     ZLB_OPT_LIST_MAX);
        for (int index = 0; entry->distinct && index < list->count; index++)
            if (strcmp (list->items [index], value) == 0)
                return zlb_options_fail (self, flag, "'%s' given twice", value);
        list->items [list->count++] = value;
    }
    else
        *(const char **) entry->target = value;
    return ZLB_OPTIONS_RUN;
}

//  Apply one option and its value (NULL for flags).
static int
s_apply (const zlb_options_t *self, const zlb_option_t *entry, const char *value)
{
    char flag [80], reason [300];
    snprintf (flag, sizeof flag, "--%s", entry->name);
    if (entry == &s_builtin [0]) {
        zlb_options_help (self, self->out ? self->out : stdout);
        return ZLB_OPTIONS_DONE;
    }
    if (entry == &s_builtin [1]) {
        fprintf (self->out ? self->out : stdout, "%s %s\n", self->prog, ZLB_VERSION_STRING);
        return ZLB_OPTIONS_DONE;
    }
    int rc = ZLB_OPTIONS_RUN;
    if (entry->type == ZLB_OPT_FLAG)
        *(bool *) entry->target = true;
    else {
        const char *why = s_check (entry, value, reason, sizeof reason);
        if (why)
            return zlb_options_fail (self, flag, "'%s': %s", value, why);
        bool text = entry->type != ZLB_OPT_INT && entry->type != ZLB_OPT_SIZE
                 && entry->type != ZLB_OPT_DURATION && entry->type != ZLB_OPT_CUSTOM;
        if (text)
            rc = s_store_text (self, entry, flag, value);
    }
    if (entry->given && rc == ZLB_OPTIONS_RUN)
        *entry->given = true;
    return rc;
}

//  --name, --name=value, --name value. *index moves past a value taken.
static int
s_long (const zlb_options_t *self, int argc, char **argv, int *index)
{
    const char *name = argv [*index] + 2;
    const char *equals = strchr (name, '=');
    size_t name_size = equals ? (size_t) (equals - name) : strlen (name);
    char flag [80];
    snprintf (flag, sizeof flag, "--%.*s", (int) name_size, name);
    const zlb_option_t *entry = s_find (self->table, name, name_size, 0);
    if (!entry)
        return zlb_options_fail (self, flag, "unknown option");
    if (entry->type == ZLB_OPT_FLAG) {
        if (equals)
            return zlb_options_fail (self, flag, "takes no value");
        return s_apply (self, entry, NULL);
    }
    const char *value = equals ? equals + 1 : *index + 1 < argc ? argv [++*index] : NULL;
    if (!value)
        return zlb_options_fail (self, flag, "missing value (%s)",
                                 entry->value_name ? entry->value_name : "VALUE");
    return s_apply (self, entry, value);
}

//  -x, -xVALUE, -x VALUE, and flags bundled: -qj.
static int
s_short (const zlb_options_t *self, int argc, char **argv, int *index)
{
    const char *letters = argv [*index] + 1;
    for (size_t at = 0; letters [at]; at++) {
        char flag [3] = {'-', letters [at], 0};
        const zlb_option_t *entry = s_find (self->table, NULL, 0, letters [at]);
        if (!entry)
            return zlb_options_fail (self, flag, "unknown option");
        if (entry->type == ZLB_OPT_FLAG) {
            int rc = s_apply (self, entry, NULL);
            if (rc != ZLB_OPTIONS_RUN)
                return rc;
            continue;
        }
        const char *value = letters [at + 1] ? letters + at + 1
                          : *index + 1 < argc ? argv [++*index] : NULL;
        if (!value)
            return zlb_options_fail (self, flag, "missing value (%s)",
                                     entry->value_name ? entry->value_name : "VALUE");
        return s_apply (self, entry, value);
    }
    return ZLB_OPTIONS_RUN;
}

int
zlb_options_parse (const zlb_options_t *self, int argc, char **argv,
                   char ***args, int *nargs)
{
    int found = 0;                //  arguments kept, moved to argv [1..]
    bool options_done = false;
    for (int index = 1; index < argc; index++) {
        const char *arg = argv [index];
        int rc = ZLB_OPTIONS_RUN;
        if (options_done || arg [0] != '-' || arg [1] == 0)
            argv [1 + found++] = argv [index];
        else
        if (strcmp (arg, "--") == 0)
            options_done = true;
        else
            rc = arg [1] == '-' ? s_long (self, argc, argv, &index)
                                : s_short (self, argc, argv, &index);
        if (rc != ZLB_OPTIONS_RUN)
            return rc;
    }
    if (self->max_args >= 0 && found > self->max_args)
        return zlb_options_fail (self, NULL, "unexpected argument '%s'",
                                 argv [1 + self->max_args]);
    if (args)
        *args = argv + 1;
    if (nargs)
        *nargs = found;
    return ZLB_OPTIONS_RUN;
}

//  --------------------------------------------------------------------------
//  Checks shared by the programs

const char *
zlb_opt_log_level (const char *value, void *target)
{
    return zlb_log_level_parse (value, (zlb_log_level_t *) target)
         ? "expected error, warning, notice, info or debug" : NULL;
}

const char *
zlb_opt_log_format (const char *value, void *target)
{
    return zlb_log_format_parse (value, (zlb_log_format_t *) target)
         ? "expected text or json" : NULL;
}

const char *
zlb_opt_worker_service (const char *value, void *target)
{
    if (!zlb_worker_service_valid (value))
        return "expected a service name: 1-255 printable characters, no spaces, not mmi.*";
    *(const char **) target = value;
    return NULL;
}

const char *
zlb_opt_worker_id (const char *value, void *target)
{
    if (!zlb_worker_id_valid (value))
        return "expected 1-64 printable characters without spaces";
    *(const char **) target = value;
    return NULL;
}
