/*  test_log.c - log line format, levels, rate limiting, reopen, sharing.  */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
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
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
