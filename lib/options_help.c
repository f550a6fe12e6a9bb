/*  options_help.c - the --help text, generated from the options table
    (options.h): the names, ranges and defaults shown are the ones the
    parser uses.                                                           */

#include "options.h"

#include <inttypes.h>
#include <string.h>

#define S_WIDTH       79          //  wrap the help here
#define S_COLUMN_MAX  28          //  where the help text starts, at most

void
zlb_opt_format (const zlb_option_t *entry, int64_t value, char *buf, size_t size)
{
    static const struct { zlb_opt_type_t type; int64_t factor; const char *unit; } units [] = {
        {ZLB_OPT_SIZE, 1024 * 1024 * 1024, "GiB"}, {ZLB_OPT_SIZE, 1024 * 1024, "MiB"},
        {ZLB_OPT_SIZE, 1024, "KiB"}, {ZLB_OPT_DURATION, 3600000, "h"},
        {ZLB_OPT_DURATION, 60000, "m"}, {ZLB_OPT_DURATION, 1000, "s"},
        {ZLB_OPT_DURATION, 1, "ms"}
    };
    for (size_t index = 0; index < sizeof units / sizeof units [0]; index++)
        if (entry->type == units [index].type && value != 0 && value != INT64_MAX
        &&  value % units [index].factor == 0) {
            snprintf (buf, size, "%" PRId64 "%s", value / units [index].factor,
                      units [index].unit);
            return;
        }
    snprintf (buf, size, "%" PRId64, value);
}

//  The value a number's target holds before parsing.
static int64_t
s_target_number (const zlb_option_t *entry)
{
    if (entry->target_size == sizeof (int)) {
        int value;
        memcpy (&value, entry->target, sizeof value);
        return value;
    }
    int64_t value;
    memcpy (&value, entry->target, sizeof value);
    return value;
}

//  "(1-1000; repeatable; default 3)" for entry, or "" when nothing to say.
static void
s_notes (const zlb_option_t *entry, char *buf, size_t size)
{
    char range [80] = "", fallback [160] = "";
    bool number = entry->type == ZLB_OPT_INT || entry->type == ZLB_OPT_SIZE
               || entry->type == ZLB_OPT_DURATION;
    if (number) {
        char low [32], high [32];
        zlb_opt_format (entry, entry->min, low, sizeof low);
        zlb_opt_format (entry, entry->max, high, sizeof high);
        if (entry->max == INT64_MAX)
            snprintf (range, sizeof range, "at least %s", low);
        else
            snprintf (range, sizeof range, "%s-%s", low, high);
    }
    const char *shown = entry->default_text;
    if (!shown && number && entry->target && !entry->repeatable) {
        zlb_opt_format (entry, s_target_number (entry), fallback, sizeof fallback);
        shown = fallback;
    }
    else
    if (!shown && entry->target && entry->type != ZLB_OPT_FLAG && !entry->repeatable)
        shown = *(const char **) entry->target;
    snprintf (buf, size, "%s%s%s%s%s%s%s", *range || entry->repeatable || (shown && *shown)
              ? " (" : "", range, *range && entry->repeatable ? "; " : "",
              entry->repeatable ? "repeatable" : "",
              (*range || entry->repeatable) && shown && *shown ? "; " : "",
              shown && *shown ? "default " : "", shown ? shown : "");
    if (*buf)
        strncat (buf, ")", size - strlen (buf) - 1);
}

//  "  -c, --connect ENDPOINT" into buf; returns its length.
static int
s_left (const zlb_option_t *entry, bool letters, char *buf, size_t size)
{
    char letter [8] = "";
    if (entry->letter)
        snprintf (letter, sizeof letter, "-%c, ", entry->letter);
    return snprintf (buf, size, "  %s%s--%s%s%s", letter,
                     letters && !entry->letter ? "    " : "", entry->name,
                     entry->value_name ? " " : "", entry->value_name ? entry->value_name : "");
}

//  text wrapped to S_WIDTH, from column on; the first line goes after
//  `used` characters already printed on it.
static void
s_wrap (FILE *out, const char *text, int column, int used)
{
    int room = S_WIDTH - column;
    while (*text) {
        while (*text == ' ')
            text++;
        int take = (int) strlen (text);
        if (take > room) {
            take = room;
            while (take > 0 && text [take] != ' ')
                take--;
            if (take == 0)
                take = room;      //  one word longer than the line
        }
        fprintf (out, "%*s%.*s\n", used < column ? column - used : 0, "", take, text);
        used = 0;
        text += take;
    }
}

static void
s_option (FILE *out, const zlb_option_t *entry, bool letters, int column)
{
    char left [96], notes [256], text [1024];
    int used = s_left (entry, letters, left, sizeof left);
    fputs (left, out);
    if (used + 2 > column) {
        fputc ('\n', out);
        used = 0;
    }
    s_notes (entry, notes, sizeof notes);
    snprintf (text, sizeof text, "%s%s", entry->help ? entry->help : "", notes);
    s_wrap (out, text, column, used);
}

void
zlb_options_help (const zlb_options_t *self, FILE *out)
{
    const zlb_option_t *tables [2] = {self->table, zlb_options_builtin ()};
    bool letters = false;
    int column = 0;
    char left [96];
    for (int pass = 0; pass < 2; pass++)
        for (const zlb_option_t *entry = tables [pass]; entry->name; entry++)
            letters |= entry->letter != 0;
    for (int pass = 0; pass < 2; pass++)
        for (const zlb_option_t *entry = tables [pass]; entry->name; entry++) {
            int width = s_left (entry, letters, left, sizeof left) + 2;
            if (width <= S_COLUMN_MAX && width > column)
                column = width;
        }
    fputs (self->usage, out);
    for (int pass = 0; pass < 2; pass++)
        for (const zlb_option_t *entry = tables [pass]; entry->name; entry++)
            s_option (out, entry, letters, column);
    if (self->footer)
        fprintf (out, "\n%s", self->footer);
}
