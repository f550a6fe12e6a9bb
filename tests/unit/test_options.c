/*  test_options.c - the table-driven option layer (lib/options.h) with
    nasty command lines: every refusal says "PROG: ..." and then the one
    "Try 'PROG --help'." line; nothing is stored from a refused value.    */

#define _GNU_SOURCE               //  open_memstream
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "zlb/zlb.h"
#include "options.h"

typedef struct {
    int64_t count;
    int small;
    size_t bytes;
    int64_t wait_ms;
    const char *endpoint;
    const char *service;
    const char *path;
    bool quiet;
    zlb_log_level_t level;
    zlb_opt_list_t binds;
    bool count_given;
} s_target_t;

typedef struct {
    s_target_t target;
    zlb_option_t table [11];      //  ten options and ZLB_OPT_END
    zlb_options_t options;
    char *out, *err;              //  what was printed
    size_t out_size, err_size;
    char **args;
    int nargs;
} s_fixture_t;

static void
s_setup (s_fixture_t *self)
{
    memset (self, 0, sizeof *self);
    s_target_t *t = &self->target;
    t->count = 7;
    t->wait_ms = 1000;
    t->endpoint = "tcp://127.0.0.1:5555";
    const zlb_option_t table [] = {
        {"count", 'n', ZLB_OPT_INT, "N", ZLB_OPT_INTO (t->count), .min = 1, .max = 100,
         .given = &t->count_given, .help = "how many"},
        {"small", 0, ZLB_OPT_INT, "N", ZLB_OPT_INTO (t->small), .min = -5, .max = 5,
         .help = "an int target"},
        {"size", 'S', ZLB_OPT_SIZE, "B", ZLB_OPT_INTO (t->bytes), .min = 0,
         .max = 1024 * 1024, .help = "bytes"},
        {"wait", 0, ZLB_OPT_DURATION, "D", ZLB_OPT_INTO (t->wait_ms), .min = 1,
         .max = 3600000, .unit_ms = 1000, .help = "a wait"},
        {"connect", 'c', ZLB_OPT_ENDPOINT, "EP", ZLB_OPT_INTO (t->endpoint), .help = "ep"},
        {"service", 0, ZLB_OPT_SERVICE, "NAME", ZLB_OPT_INTO (t->service), .help = "svc"},
        {"log", 0, ZLB_OPT_PATH, "FILE", ZLB_OPT_INTO (t->path), .help = "file"},
        {"quiet", 'q', ZLB_OPT_FLAG, ZLB_OPT_INTO (t->quiet), .help = "hush"},
        {"log-level", 'L', ZLB_OPT_CUSTOM, "LEVEL", .target = &t->level,
         .check = zlb_opt_log_level, .default_text = "info", .help = "level"},
        {"bind", 0, ZLB_OPT_ENDPOINT, "EP", ZLB_OPT_INTO (t->binds), .repeatable = true,
         .help = "bind"},
        ZLB_OPT_END
    };
    _Static_assert (sizeof table == sizeof self->table, "the fixture holds the whole table");
    memcpy (self->table, table, sizeof table);
    self->options = (zlb_options_t) {.prog = "prog", .usage = "Usage: prog\n",
                                     .table = self->table, .max_args = 1};
}

//  Parse the NULL-terminated words (argv [0] is "prog"); capture output.
static int
s_parse (s_fixture_t *self, ...)
{
    static char *argv [32];
    int argc = 0;
    argv [argc++] = "prog";
    va_list words;
    va_start (words, self);
    for (char *word; (word = va_arg (words, char *)) != NULL; )
        argv [argc++] = word;
    va_end (words);
    free (self->out);
    free (self->err);
    FILE *out = open_memstream (&self->out, &self->out_size);
    FILE *err = open_memstream (&self->err, &self->err_size);
    self->options.out = out;
    self->options.err = err;
    int rc = zlb_options_parse (&self->options, argc, argv, &self->args, &self->nargs);
    fclose (out);
    fclose (err);
    return rc;
}

static void
s_teardown (s_fixture_t *self)
{
    free (self->out);
    free (self->err);
}

//  A refusal: exactly "prog: <first>\nTry 'prog --help'.\n".
static void
s_assert_refused (s_fixture_t *self, int rc, const char *first)
{
    char expected [512];
    snprintf (expected, sizeof expected, "prog: %s\nTry 'prog --help'.\n", first);
    assert_int_equal (rc, ZLB_OPTIONS_BAD);
    assert_string_equal (self->err, expected);
    assert_int_equal (self->out_size, 0);
}

static void
test_forms (void **state)
{
    (void) state;
    s_fixture_t f;
    s_setup (&f);
    assert_int_equal (s_parse (&f, "--count", "5", "-S4k", "--wait=2", "-qL", "debug",
                               "word", "--", "--count", NULL), ZLB_OPTIONS_BAD);
    //  "--" ends the options: "--count" after it is a second argument, and
    //  max_args is 1.
    assert_non_null (strstr (f.err, "unexpected argument '--count'"));
    assert_int_equal (s_parse (&f, "--count", "5", "-S4k", "--wait=2", "-qL", "debug",
                               "word", "--small", "-5", "-n", "9", NULL), ZLB_OPTIONS_RUN);
    assert_int_equal (f.target.count, 9);            //  the last one counts
    assert_true (f.target.count_given);
    assert_int_equal (f.target.small, -5);           //  a value may start with '-'
    assert_int_equal (f.target.bytes, 4096);
    assert_int_equal (f.target.wait_ms, 2000);       //  bare number: unit_ms
    assert_true (f.target.quiet);
    assert_int_equal (f.target.level, ZLB_LOG_DEBUG);
    assert_int_equal (f.nargs, 1);
    assert_string_equal (f.args [0], "word");
    assert_int_equal (s_parse (&f, "-", NULL), ZLB_OPTIONS_RUN);   //  "-" is an argument
    assert_int_equal (f.nargs, 1);
    s_teardown (&f);
}

static void
test_numbers (void **state)
{
    (void) state;
    s_fixture_t f;
    s_setup (&f);
    s_assert_refused (&f, s_parse (&f, "--count", "12x", NULL),
                      "--count: '12x': expected a whole number from 1 to 100");
    s_assert_refused (&f, s_parse (&f, "--count", "0", NULL),
                      "--count: '0': expected a whole number from 1 to 100");
    s_assert_refused (&f, s_parse (&f, "--count", "", NULL),
                      "--count: '': expected a whole number from 1 to 100");
    s_assert_refused (&f, s_parse (&f, "--count", " 5", NULL),
                      "--count: ' 5': expected a whole number from 1 to 100");
    s_assert_refused (&f, s_parse (&f, "--count=99999999999999999999999", NULL),
                      "--count: '99999999999999999999999': expected a whole number"
                      " from 1 to 100");
    s_assert_refused (&f, s_parse (&f, "--small", "4294967297", NULL),
                      "--small: '4294967297': expected a whole number from -5 to 5");
    s_assert_refused (&f, s_parse (&f, "--size", "2m", NULL),
                      "--size: '2m': expected a size from 0 to 1MiB (e.g. 64, 4k, 1m)");
    s_assert_refused (&f, s_parse (&f, "--size", "-1", NULL),
                      "--size: '-1': expected a size from 0 to 1MiB (e.g. 64, 4k, 1m)");
    s_assert_refused (&f, s_parse (&f, "--size", "99999999999999999999g", NULL),
                      "--size: '99999999999999999999g': expected a size from 0 to 1MiB"
                      " (e.g. 64, 4k, 1m)");
    s_assert_refused (&f, s_parse (&f, "--wait", "soon", NULL),
                      "--wait: 'soon': expected a duration from 1ms to 1h"
                      " (e.g. 250ms, 2s, 1m)");
    s_assert_refused (&f, s_parse (&f, "--wait", "9223372036854775807s", NULL),
                      "--wait: '9223372036854775807s': expected a duration from 1ms to 1h"
                      " (e.g. 250ms, 2s, 1m)");
    assert_int_equal (f.target.count, 7);            //  nothing stored from a refusal
    assert_int_equal (f.target.small, 0);
    assert_int_equal (f.target.wait_ms, 1000);
    assert_false (f.target.count_given);
    s_teardown (&f);
}

static void
test_texts (void **state)
{
    (void) state;
    s_fixture_t f;
    s_setup (&f);
    s_assert_refused (&f, s_parse (&f, "--connect", "localhost:5555", NULL),
                      "--connect: 'localhost:5555': endpoint needs a scheme:"
                      " tcp://localhost:5555?");
    s_assert_refused (&f, s_parse (&f, "--service", "a b", NULL), "--service: 'a b':"
                      " expected a service name: 1-255 printable characters, no spaces");
    s_assert_refused (&f, s_parse (&f, "--service", "", NULL), "--service: '':"
                      " expected a service name: 1-255 printable characters, no spaces");
    s_assert_refused (&f, s_parse (&f, "--log", "", NULL), "--log: '': expected a file name");
    s_assert_refused (&f, s_parse (&f, "-L", "loud", NULL),
                      "--log-level: 'loud': expected error, warning, notice, info or debug");
    assert_string_equal (f.target.endpoint, "tcp://127.0.0.1:5555");
    assert_null (f.target.service);
    for (int index = 0; index < ZLB_OPT_LIST_MAX; index++)
        assert_int_equal (s_parse (&f, "--bind", "ipc://x", NULL), ZLB_OPTIONS_RUN);
    s_assert_refused (&f, s_parse (&f, "--bind", "ipc://x", NULL),
                      "--bind: given more than 16 times");
    s_teardown (&f);
}

//  A distinct repeatable option refuses a value given twice, by name.
static void
test_distinct (void **state)
{
    (void) state;
    s_fixture_t f;
    s_setup (&f);
    zlb_opt_list_t peers = { .count = 0 };
    const zlb_option_t table [] = {
        {"peer", 'p', ZLB_OPT_ENDPOINT, "EP", ZLB_OPT_INTO (peers), .repeatable = true,
         .distinct = true, .help = "peer"},
        ZLB_OPT_END
    };
    f.options.table = table;
    assert_int_equal (s_parse (&f, "--peer", "ipc://a", "-p", "ipc://b", NULL),
                      ZLB_OPTIONS_RUN);
    assert_int_equal (peers.count, 2);
    assert_string_equal (peers.items [1], "ipc://b");
    peers.count = 0;
    s_assert_refused (&f, s_parse (&f, "--peer", "ipc://a", "--peer=ipc://a", NULL),
                      "--peer: 'ipc://a' given twice");
    assert_int_equal (peers.count, 1);
    s_teardown (&f);
}

static void
test_usage_errors (void **state)
{
    (void) state;
    s_fixture_t f;
    s_setup (&f);
    s_assert_refused (&f, s_parse (&f, "--no-such-flag", NULL), "--no-such-flag: unknown option");
    s_assert_refused (&f, s_parse (&f, "--no-such=3", NULL), "--no-such: unknown option");
    s_assert_refused (&f, s_parse (&f, "--coun", "3", NULL), "--coun: unknown option");
    s_assert_refused (&f, s_parse (&f, "-x", NULL), "-x: unknown option");
    s_assert_refused (&f, s_parse (&f, "-qx", NULL), "-x: unknown option");
    s_assert_refused (&f, s_parse (&f, "--count", NULL), "--count: missing value (N)");
    s_assert_refused (&f, s_parse (&f, "-n", NULL), "-n: missing value (N)");
    s_assert_refused (&f, s_parse (&f, "--quiet=yes", NULL), "--quiet: takes no value");
    s_assert_refused (&f, s_parse (&f, "a", "b", NULL), "unexpected argument 'b'");
    s_teardown (&f);
}

static void
test_help_and_version (void **state)
{
    (void) state;
    s_fixture_t f;
    s_setup (&f);
    assert_int_equal (s_parse (&f, "--version", "--no-such-flag", NULL), ZLB_OPTIONS_DONE);
    assert_string_equal (f.out, "prog " ZLB_VERSION_STRING "\n");
    assert_int_equal (s_parse (&f, "-h", NULL), ZLB_OPTIONS_DONE);
    assert_int_equal (f.err_size, 0);
    //  Every option, its range and its default come from the table.
    assert_non_null (strstr (f.out, "Usage: prog\n"));
    assert_non_null (strstr (f.out, "  -n, --count N"));
    assert_non_null (strstr (f.out, "(1-100; default 7)"));
    assert_non_null (strstr (f.out, "      --wait D"));
    assert_non_null (strstr (f.out, "(1ms-1h; default 1s)"));
    assert_non_null (strstr (f.out, "(default tcp://127.0.0.1:5555)"));
    assert_non_null (strstr (f.out, "(repeatable)"));
    assert_non_null (strstr (f.out, "  -V, --version"));
    for (char *line = f.out; line && *line; line = strchr (line, '\n') ? strchr (line, '\n') + 1 : NULL) {
        char *end = strchr (line, '\n');
        assert_true ((end ? end - line : (long) strlen (line)) <= 79);
    }
    s_teardown (&f);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_forms),
        cmocka_unit_test (test_numbers),
        cmocka_unit_test (test_texts),
        cmocka_unit_test (test_distinct),
        cmocka_unit_test (test_usage_errors),
        cmocka_unit_test (test_help_and_version),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
