/*  test_log.c - log line format, levels, rate limiting, reopen, sharing,
    and typed fields that hostile values cannot break out of.              */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <ctype.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "zlb/zlb.h"

static char s_path [64];

static int
s_setup (void **state)
{
    (void) state;
    snprintf (s_path, sizeof s_path, "/tmp/zlb-test-log-%d.log", (int) getpid ());
    unlink (s_path);
    return 0;
}

static int
s_teardown (void **state)
{
    (void) state;
    unlink (s_path);
    return 0;
}

//  Reads the whole log file (caller frees) and counts its lines.
static char *
s_slurp (const char *path, int *lines)
{
    FILE *file = fopen (path, "r");
    assert_non_null (file);
    char *text = calloc (1, 1 << 20);
    size_t size = fread (text, 1, (1 << 20) - 1, file);
    fclose (file);
    *lines = 0;
    for (size_t index = 0; index < size; index++)
        *lines += text [index] == '\n';
    return text;
}

static void
test_line_format (void **state)
{
    (void) state;
    zlb_log_t *log = zlb_log_new (s_path, "broker", "main", ZLB_LOG_INFO);
    assert_non_null (log);
    zlb_log (log, ZLB_LOG_INFO, "worker_ready", "worker=%s service=%s", "w1#1", "echo");
    zlb_log (log, ZLB_LOG_NOTICE, "started", NULL);
    zlb_log_destroy (&log);
    assert_null (log);
    zlb_log_destroy (&log);                      //  twice is safe

    int lines;
    char *text = s_slurp (s_path, &lines);
    assert_int_equal (lines, 2);
    regex_t pattern;
    assert_int_equal (regcomp (&pattern,
        "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{6}Z INFO    "
        "broker\\[main\\] worker_ready worker=w1#1 service=echo\n"
        "[^ ]+ NOTICE  broker\\[main\\] started\n$", REG_EXTENDED), 0);
    assert_int_equal (regexec (&pattern, text, 0, NULL, 0), 0);
    regfree (&pattern);
    free (text);
}

//  Counts calls, to prove a disabled level does not evaluate its arguments.
static int s_evaluations;
static const char *
s_expensive (void)
{
    s_evaluations++;
    return "x";
}

static void
test_levels (void **state)
{
    (void) state;
    zlb_log_t *log = zlb_log_new (s_path, "worker", "w1", ZLB_LOG_INFO);
    assert_true (zlb_log_enabled (log, ZLB_LOG_ERROR));
    assert_true (zlb_log_enabled (log, ZLB_LOG_INFO));
    assert_false (zlb_log_enabled (log, ZLB_LOG_DEBUG));
    assert_false (zlb_log_enabled (NULL, ZLB_LOG_ERROR));
    zlb_log (log, ZLB_LOG_DEBUG, "heartbeat", "x=%s", s_expensive ());
    assert_int_equal (s_evaluations, 0);
    zlb_log_set_level (log, ZLB_LOG_DEBUG);
    zlb_log (log, ZLB_LOG_DEBUG, "heartbeat", "x=%s", s_expensive ());
    assert_int_equal (s_evaluations, 1);
    zlb_log (NULL, ZLB_LOG_ERROR, "nothing", NULL);   //  a NULL log is silent
    zlb_log_destroy (&log);

    zlb_log_level_t level;
    assert_int_equal (zlb_log_level_parse ("debug", &level), 0);
    assert_int_equal (level, ZLB_LOG_DEBUG);
    assert_int_equal (zlb_log_level_parse ("WARNING", &level), 0);
    assert_int_equal (level, ZLB_LOG_WARNING);
    assert_int_equal (zlb_log_level_parse ("verbose", &level), -1);
    assert_int_equal (zlb_log_level_parse (NULL, &level), -1);
}

static void
test_rate_limit (void **state)
{
    (void) state;
    zlb_log_t *log = zlb_log_new (s_path, "broker", "main", ZLB_LOG_INFO);
    zlb_ratelimit_t limit = {.burst = 5};
    for (int index = 0; index < 1000; index++)
        zlb_log_limited (log, &limit, ZLB_LOG_WARNING, "malformed", "n=%d", index);
    assert_int_equal (limit.suppressed, 995);
    //  The first line of the next window reports what was dropped.
    limit.window_start -= 1000;
    zlb_log_limited (log, &limit, ZLB_LOG_WARNING, "malformed", "n=last");
    zlb_log_destroy (&log);
    int lines;
    char *text = s_slurp (s_path, &lines);
    assert_int_equal (lines, 7);
    assert_non_null (strstr (text, "log_suppressed lines=995"));
    free (text);
}

static void
test_reopen (void **state)
{
    (void) state;
    char moved [80];
    snprintf (moved, sizeof moved, "%s.1", s_path);
    zlb_log_t *log = zlb_log_new (s_path, "broker", "main", ZLB_LOG_INFO);
    zlb_log (log, ZLB_LOG_INFO, "before", NULL);
    assert_int_equal (rename (s_path, moved), 0);
    assert_int_equal (zlb_log_reopen (log), 0);
    zlb_log (log, ZLB_LOG_INFO, "after", NULL);
    zlb_log_destroy (&log);
    int lines;
    char *text = s_slurp (s_path, &lines);
    assert_int_equal (lines, 1);
    assert_non_null (strstr (text, "after"));
    free (text);
    unlink (moved);
}

//  Several processes appending to one file never tear a line.
static void
test_shared_file (void **state)
{
    (void) state;
    enum { WRITERS = 4, LINES = 500 };
    for (int writer = 0; writer < WRITERS; writer++)
        if (fork () == 0) {
            zlb_log_t *log = zlb_log_new (s_path, "worker", "w", ZLB_LOG_INFO);
            for (int index = 0; index < LINES; index++)
                zlb_log (log, ZLB_LOG_INFO, "served", "writer=%d n=%d pad=%0200d",
                         writer, index, 0);
            zlb_log_destroy (&log);
            _exit (0);
        }
    for (int writer = 0; writer < WRITERS; writer++)
        wait (NULL);
    int lines;
    char *text = s_slurp (s_path, &lines);
    assert_int_equal (lines, WRITERS * LINES);
    for (char *line = strtok (text, "\n"); line; line = strtok (NULL, "\n"))
        assert_non_null (strstr (line, " INFO    worker[w] served writer="));
    free (text);
}

static void
test_bad_path (void **state)
{
    (void) state;
    assert_null (zlb_log_new ("/nonexistent-dir/x.log", "a", "b", ZLB_LOG_INFO));
    zlb_log_t *log = zlb_log_new ("-", "a", "b", ZLB_LOG_INFO);   //  stderr
    assert_non_null (log);
    assert_int_equal (zlb_log_reopen (log), 0);
    zlb_log_destroy (&log);
}

//  --------------------------------------------------------------------------
//  Typed fields with hostile values: quotes, spaces, key=value injection,
//  newlines, ESC/OSC, invalid UTF-8, very long text. Every line must stay
//  one line, keep exactly the fields we wrote, and (JSON) parse strictly.

static const char *s_nasty [] = {
    "a\" forged=\"1",                                       //  quote + injection
    "x forged=1",                                           //  space + injection
    "one\n2026-01-01T00:00:00.000000Z ERROR   broker[main] forged x=1",
    "\x1b]0;pwned\x07\x1b[31mred\x1b[0m",                   //  OSC title, CSI colour
    "\xff\xfe\xc0\xaf\xed\xa0\x80 cut \xe2\x82",            //  invalid UTF-8
    "C1 \xc2\x9b" "31m and bidi \xe2\x80\xae" "gnp.exe",    //  8-bit CSI, RLO
    "back\\slash \\\" tab\t cr\r del\x7f",
    "h\xc3\xa9llo \xe2\x9c\x93",                            //  valid UTF-8 stays
};
#define S_NASTY_COUNT (sizeof s_nasty / sizeof s_nasty [0])

//  Writes one line per nasty value (plus a long one), format given.
static void
s_write_nasty (zlb_log_format_t format)
{
    zlb_log_t *log = zlb_log_new (s_path, "broker", "main", ZLB_LOG_INFO);
    assert_non_null (log);
    zlb_log_set_format (log, format);
    for (size_t index = 0; index < S_NASTY_COUNT; index++)
        zlb_log_kv (log, ZLB_LOG_WARNING, "nasty", ZLB_STR ("worker", s_nasty [index]),
                    ZLB_UINT ("n", index), ZLB_BYTES ("raw", "a\0b=c", 5),
                    ZLB_INT ("last", -1));
    char *long_text = malloc (9000);
    memset (long_text, 'x', 8999);
    long_text [8999] = 0;
    zlb_log_kv (log, ZLB_LOG_WARNING, "nasty", ZLB_UINT ("n", S_NASTY_COUNT),
                ZLB_STR ("worker", long_text), ZLB_INT ("last", -1));
    free (long_text);
    zlb_log_destroy (&log);
}

//  No byte a terminal or a line reader acts on, except each line's end.
static void
s_assert_inert (const char *text)
{
    for (const unsigned char *c = (const unsigned char *) text; *c; c++)
        assert_true (*c == '\n' || (*c >= 0x20 && *c != 0x7f));
    assert_null (strstr (text, "\xc2\x9b"));
    assert_null (strstr (text, "\xe2\x80\xae"));
}

//  Skip one text-line value (bare, or "quoted with \ escapes"); NULL if bad.
static const char *
s_text_value_end (const char *cursor)
{
    if (*cursor != '"') {
        while (*cursor && *cursor != ' ' && *cursor != '"')
            cursor++;
        return cursor;
    }
    for (cursor++; *cursor && *cursor != '"'; cursor++)
        if (*cursor == '\\' && !*++cursor)
            return NULL;
    return *cursor == '"' ? cursor + 1 : NULL;
}

//  The keys of a text line's fields, "k1,k2,..." into keys.
static void
s_text_keys (const char *line, char *keys, size_t size)
{
    const char *cursor = strstr (line, " nasty");
    assert_non_null (cursor);
    cursor += 6;
    keys [0] = 0;
    while (*cursor == ' ') {
        const char *key = ++cursor;
        while (*cursor && *cursor != '=' && *cursor != ' ')
            cursor++;
        assert_true (*cursor == '=');
        strncat (keys, key, (size_t) (cursor - key));
        strncat (keys, ",", size - strlen (keys) - 1);
        cursor = s_text_value_end (cursor + 1);
        assert_non_null (cursor);
    }
    assert_true (*cursor == 0);
}

static void
test_fields_text (void **state)
{
    (void) state;
    s_write_nasty (ZLB_LOG_TEXT);
    int lines;
    char *text = s_slurp (s_path, &lines);
    assert_int_equal (lines, S_NASTY_COUNT + 1);
    s_assert_inert (text);
    assert_non_null (strstr (text, "worker=\"a\\\" forged=\\\"1\" n=0 raw=\"a\\x00b=c\" last=-1\n"));
    assert_non_null (strstr (text, "worker=\"\\x1b]0;pwned\\x07\\x1b[31mred\\x1b[0m\""));
    assert_non_null (strstr (text, "worker=\"\\xff\\xfe\\xc0\\xaf\\xed\\xa0\\x80 cut \\xe2\\x82\""));
    assert_non_null (strstr (text, "worker=\"h\xc3\xa9llo \xe2\x9c\x93\""));
    char keys [256];
    int index = 0;
    for (char *line = strtok (text, "\n"); line; line = strtok (NULL, "\n"), index++) {
        assert_true (strlen (line) < 2048);
        s_text_keys (line, keys, sizeof keys);
        assert_string_equal (keys, index < (int) S_NASTY_COUNT ? "worker,n,raw,last,"
                                                               : "n,cut,");
    }
    free (text);
}

//  A strict JSON validator (RFC 8259), enough for one log line: an object
//  of string keys and string/number/true/false/null values. Raw bytes in
//  strings must be valid UTF-8 and no control characters. Collects keys.
static bool s_json_value (const char **p);

static bool
s_utf8_ok (const unsigned char **p)
{
    const unsigned char *c = *p;
    int more = c [0] >= 0xf0 && c [0] <= 0xf4 ? 3 : c [0] >= 0xe0 ? 2 : c [0] >= 0xc2 ? 1 : -1;
    if (c [0] > 0xf4 || more < 0)
        return false;
    for (int index = 1; index <= more; index++)
        if ((c [index] & 0xc0) != 0x80)
            return false;
    if ((c [0] == 0xe0 && c [1] < 0xa0) || (c [0] == 0xed && c [1] > 0x9f)
    ||  (c [0] == 0xf0 && c [1] < 0x90) || (c [0] == 0xf4 && c [1] > 0x8f))
        return false;
    *p = c + more + 1;
    return true;
}

static bool
s_json_string (const char **p, char *out, size_t size)
{
    const unsigned char *c = (const unsigned char *) *p;
    if (*c++ != '"')
        return false;
    const unsigned char *start = c;
    while (*c != '"') {
        if (*c < 0x20)
            return false;
        if (*c == '\\') {
            c++;
            if (*c == 'u') {
                for (int index = 1; index <= 4; index++)
                    if (!isxdigit (c [index]))
                        return false;
                c += 5;
            }
            else
            if (*c && strchr ("\"\\/bfnrt", *c))
                c++;
            else
                return false;
        }
        else
        if (*c >= 0x80) {
            if (!s_utf8_ok (&c))
                return false;
        }
        else
            c++;
    }
    if (out)
        snprintf (out, size, "%.*s", (int) (c - start), (const char *) start);
    *p = (const char *) c + 1;
    return true;
}

static bool
s_json_value (const char **p)
{
    if (**p == '"')
        return s_json_string (p, NULL, 0);
    for (const char **word = (const char * []) {"true", "false", "null", NULL}; *word; word++)
        if (strncmp (*p, *word, strlen (*word)) == 0) {
            *p += strlen (*word);
            return true;
        }
    regex_t number;
    regmatch_t match;
    regcomp (&number, "^-?(0|[1-9][0-9]*)(\\.[0-9]+)?([eE][-+]?[0-9]+)?", REG_EXTENDED);
    bool ok = regexec (&number, *p, 1, &match, 0) == 0;
    regfree (&number);
    if (ok)
        *p += match.rm_eo;
    return ok;
}

//  True when line is exactly one valid JSON object and a newline; its
//  keys "k1,k2,..." into keys.
static bool
s_json_object (const char *line, char *keys, size_t size)
{
    const char *p = line;
    keys [0] = 0;
    if (*p++ != '{')
        return false;
    while (true) {
        char key [64];
        if (!s_json_string (&p, key, sizeof key) || *p++ != ':' || !s_json_value (&p))
            return false;
        strncat (keys, key, size - strlen (keys) - 2);
        strcat (keys, ",");
        if (*p == '}')
            return strcmp (p, "}") == 0;
        if (*p++ != ',')
            return false;
    }
}

static void
test_fields_json (void **state)
{
    (void) state;
    s_write_nasty (ZLB_LOG_JSON);
    int lines;
    char *text = s_slurp (s_path, &lines);
    assert_int_equal (lines, S_NASTY_COUNT + 1);
    s_assert_inert (text);
    assert_non_null (strstr (text, "\"worker\":\"a\\\" forged=\\\"1\",\"n\":0,"
                                   "\"raw\":\"a\\u0000b=c\",\"last\":-1}\n"));
    assert_non_null (strstr (text, "\"worker\":\"\\u001b]0;pwned\\u0007\\u001b[31mred"));
    assert_non_null (strstr (text, "\"worker\":\"\\ufffd\\ufffd\\ufffd\\ufffd\\ufffd"
                                   "\\ufffd\\ufffd cut \\ufffd\\ufffd\""));
    assert_non_null (strstr (text, "\"worker\":\"C1 \\u009b31m and bidi \\u202egnp.exe\""));
    assert_non_null (strstr (text, "\"worker\":\"h\xc3\xa9llo \xe2\x9c\x93\""));
    char keys [256];
    int index = 0;
    for (char *line = strtok (text, "\n"); line; line = strtok (NULL, "\n"), index++) {
        assert_true (s_json_object (line, keys, sizeof keys));
        assert_string_equal (keys, index < (int) S_NASTY_COUNT
                             ? "ts,level,component,instance,event,worker,n,raw,last,"
                             : "ts,level,component,instance,event,n,cut,");
    }
    free (text);
}

//  The validator itself rejects what it must (so the test above means something).
static void
test_json_validator (void **state)
{
    (void) state;
    char keys [256];
    assert_true (s_json_object ("{\"a\":\"\xc3\xa9\",\"b\":-1.5e3,\"c\":null}", keys, sizeof keys));
    assert_false (s_json_object ("{\"a\":\"\xff\"}", keys, sizeof keys));
    assert_false (s_json_object ("{\"a\":\"\x1b\"}", keys, sizeof keys));
    assert_false (s_json_object ("{\"a\":\"x\" \"b\":1}", keys, sizeof keys));
    assert_false (s_json_object ("{\"a\":\"\\x41\"}", keys, sizeof keys));
    assert_false (s_json_object ("{\"a\":01}", keys, sizeof keys));
}

//  Typed fields are not evaluated when the level is off.
static void
test_fields_level (void **state)
{
    (void) state;
    zlb_log_t *log = zlb_log_new (s_path, "worker", "w1", ZLB_LOG_INFO);
    s_evaluations = 0;
    zlb_log_kv (log, ZLB_LOG_DEBUG, "heartbeat", ZLB_STR ("x", s_expensive ()));
    assert_int_equal (s_evaluations, 0);
    zlb_ratelimit_t limit = {.burst = 1};
    zlb_log_kv_limited (log, &limit, ZLB_LOG_DEBUG, "x", ZLB_STR ("x", s_expensive ()));
    assert_int_equal (s_evaluations, 0);
    zlb_log_kv_limited (log, &limit, ZLB_LOG_INFO, "x", ZLB_STR ("x", s_expensive ()));
    zlb_log_kv_limited (log, &limit, ZLB_LOG_INFO, "x", ZLB_STR ("x", s_expensive ()));
    assert_int_equal (s_evaluations, 2);
    assert_int_equal (limit.suppressed, 1);
    zlb_log_destroy (&log);
}

//  The printf form escapes control bytes in text lines too.
static void
test_printf_controls (void **state)
{
    (void) state;
    zlb_log_t *log = zlb_log_new (s_path, "broker", "main", ZLB_LOG_INFO);
    zlb_log (log, ZLB_LOG_INFO, "old", "error=\"%s\"", "a\nb\x1b[2J");
    zlb_log_destroy (&log);
    int lines;
    char *text = s_slurp (s_path, &lines);
    assert_int_equal (lines, 1);
    assert_non_null (strstr (text, " old error=\"a\\nb\\x1b[2J\"\n"));
    free (text);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown (test_line_format, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_levels, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_rate_limit, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_reopen, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_shared_file, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_bad_path, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_fields_text, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_fields_json, s_setup, s_teardown),
        cmocka_unit_test (test_json_validator),
        cmocka_unit_test_setup_teardown (test_fields_level, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_printf_controls, s_setup, s_teardown),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
