/*  test_mdp.c - MDP frame helpers and the command-line value parsers.     */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <string.h>

#include "zlb/zlb.h"
#include "mdp.h"
#include "util.h"

static void
test_frame_is (void **state)
{
    (void) state;
    zframe_t *frame = zframe_new ("MDPC01", 6);
    assert_true (mdp_frame_is (frame, MDP_CLIENT));
    assert_false (mdp_frame_is (frame, MDP_WORKER));
    assert_false (mdp_frame_is (frame, "MDPC0"));
    assert_false (mdp_frame_is (frame, "MDPC011"));
    assert_false (mdp_frame_is (NULL, MDP_CLIENT));
    zframe_destroy (&frame);
    frame = zframe_new (NULL, 0);
    assert_true (mdp_frame_is (frame, ""));
    assert_false (mdp_frame_is (frame, MDP_CLIENT));
    zframe_destroy (&frame);
}

static void
test_service_names (void **state)
{
    (void) state;
    char name [300];
    memset (name, 'a', sizeof name);
    assert_true (mdp_service_valid ("echo", 4));
    assert_true (mdp_service_valid ("mmi.service", 11));
    assert_true (mdp_service_valid (name, 255));
    assert_false (mdp_service_valid (name, 256));
    assert_false (mdp_service_valid ("", 0));
    assert_false (mdp_service_valid (NULL, 3));
    assert_false (mdp_service_valid ("a b", 3));
    assert_false (mdp_service_valid ("a\0b", 3));
    assert_false (mdp_service_valid ("\xff", 1));
}

static void
test_names_and_errors (void **state)
{
    (void) state;
    assert_string_equal (mdp_command_name (MDP_READY), "READY");
    assert_string_equal (mdp_command_name (MDP_DISCONNECT), "DISCONNECT");
    assert_string_equal (mdp_command_name (0), "UNKNOWN");
    assert_string_equal (mdp_command_name (6), "UNKNOWN");
    assert_string_equal (mdp_strerror (MDP_E_PROTOCOL), "unknown protocol header");
}

static void
test_address_str (void **state)
{
    (void) state;
    char buf [64];
    assert_string_equal (mdp_bytes_str ("w1#2", 4, buf, sizeof buf), "w1#2");
    const char *binary = "\x00\x6b\x8b\x45\x67";
    assert_string_equal (mdp_bytes_str (binary, 5, buf, sizeof buf), "006b8b4567");
    assert_string_equal (mdp_bytes_str (binary, 5, buf, 5), "006b");   //  cut, terminated
    assert_string_equal (mdp_bytes_str (NULL, 0, buf, sizeof buf), "");
}

static void
test_parse_int (void **state)
{
    (void) state;
    int64_t value;
    assert_int_equal (zlb_parse_int64 ("42", 0, 100, &value), 0);
    assert_int_equal (value, 42);
    assert_int_equal (zlb_parse_int64 ("-1", 0, 100, &value), -1);
    assert_int_equal (zlb_parse_int64 ("101", 0, 100, &value), -1);
    assert_int_equal (zlb_parse_int64 ("12abc", 0, 100, &value), -1);
    assert_int_equal (zlb_parse_int64 ("", 0, 100, &value), -1);
    assert_int_equal (zlb_parse_int64 (" 5", 0, 100, &value), -1);
    assert_int_equal (zlb_parse_int64 ("99999999999999999999", 0, INT64_MAX, &value), -1);
    assert_int_equal (zlb_parse_int64 (NULL, 0, 100, &value), -1);
}

static void
test_parse_duration_and_size (void **state)
{
    (void) state;
    int64_t value;
    assert_int_equal (zlb_parse_duration_ms ("250ms", 1, &value), 0);
    assert_int_equal (value, 250);
    assert_int_equal (zlb_parse_duration_ms ("10s", 1, &value), 0);
    assert_int_equal (value, 10000);
    assert_int_equal (zlb_parse_duration_ms ("2m", 1, &value), 0);
    assert_int_equal (value, 120000);
    assert_int_equal (zlb_parse_duration_ms ("3", 1000, &value), 0);
    assert_int_equal (value, 3000);
    assert_int_equal (zlb_parse_duration_ms ("3x", 1, &value), -1);
    assert_int_equal (zlb_parse_duration_ms ("-3s", 1, &value), -1);
    assert_int_equal (zlb_parse_duration_ms ("s", 1, &value), -1);
    assert_int_equal (zlb_parse_size ("4k", &value), 0);
    assert_int_equal (value, 4096);
    assert_int_equal (zlb_parse_size ("1MiB", &value), 0);
    assert_int_equal (value, 1048576);
    assert_int_equal (zlb_parse_size ("64", &value), 0);
    assert_int_equal (value, 64);
    assert_int_equal (zlb_parse_size ("64q", &value), -1);
    assert_int_equal (zlb_parse_size ("9223372036854775807k", &value), -1);
}

static void
test_default_id (void **state)
{
    (void) state;
    char buf [ZLB_WORKER_ID_MAX + 1];
    zlb_default_id (buf, sizeof buf);
    char pid [16];
    snprintf (pid, sizeof pid, "-%d", (int) getpid ());
    assert_non_null (strstr (buf, pid));
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_frame_is),
        cmocka_unit_test (test_service_names),
        cmocka_unit_test (test_names_and_errors),
        cmocka_unit_test (test_address_str),
        cmocka_unit_test (test_parse_int),
        cmocka_unit_test (test_parse_duration_and_size),
        cmocka_unit_test (test_default_id),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
