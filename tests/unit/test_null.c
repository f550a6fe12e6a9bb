/*  test_null.c - every public function (include/zlb/ headers) called with NULL
    arguments, one at a time: the rule in zlb.h holds - no crash, -1 with
    errno EINVAL (or NULL from a constructor, a neutral value from a
    getter), and destroy functions take NULL and a pointer to NULL.       */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <errno.h>
#include <string.h>

#include "zlb/zlb.h"

#define S_ENDPOINT "inproc://test-null"

//  call must fail with -1 and errno EINVAL.
#define assert_einval(call)                  \
    do {                                     \
        errno = 0;                           \
        assert_int_equal ((call), -1);       \
        assert_int_equal (errno, EINVAL);    \
    } while (0)

static void
test_client (void **state)
{
    (void) state;
    zlb_client_options_defaults (NULL);
    errno = 0;
    assert_null (zlb_client_new (NULL, NULL));
    assert_int_equal (errno, EINVAL);
    zlb_client_destroy (NULL);
    zlb_client_t *none = NULL;
    zlb_client_destroy (&none);

    zlb_client_t *client = zlb_client_new (S_ENDPOINT, NULL);
    assert_non_null (client);
    uint64_t id;
    zlb_result_t result;
    zmsg_t *body = NULL;
    assert_einval (zlb_client_send (NULL, "echo", "x", 1, &id));
    assert_einval (zlb_client_send (client, NULL, "x", 1, &id));
    assert_einval (zlb_client_send (client, "echo", NULL, 1, &id));
    assert_einval (zlb_client_send_raw (NULL, "echo", &body, &id));
    assert_einval (zlb_client_send_raw (client, "echo", NULL, &id));
    assert_einval (zlb_client_send_raw (client, "echo", &body, &id));   //  *body_p NULL
    assert_einval (zlb_client_recv (NULL, &result, 0));
    assert_einval (zlb_client_recv (client, NULL, 0));
    assert_einval (zlb_client_request (NULL, "echo", "x", 1, &result));
    assert_einval (zlb_client_request (client, NULL, "x", 1, &result));
    assert_einval (zlb_client_request (client, "echo", "x", 1, NULL));
    assert_int_equal (zlb_client_inflight (NULL), 0);
    assert_int_equal (zlb_client_next_timeout_ms (NULL), -1);
    assert_null (zlb_client_sock (NULL));
    assert_null (zlb_client_new_multi (NULL, 1, NULL));
    assert_int_equal (errno, EINVAL);
    assert_int_equal (zlb_client_brokers (NULL), 0);
    assert_null (zlb_client_broker_sock (NULL, 0));
    zlb_client_broker_t info;
    assert_einval (zlb_client_broker_info (NULL, 0, &info));
    assert_einval (zlb_client_broker_info (client, 0, NULL));
    assert_einval (zlb_client_broker_info (client, 1, &info));
    assert_int_equal (zlb_client_brokers (client), 1);
    assert_ptr_equal (zlb_client_broker_sock (client, 0), zlb_client_sock (client));
    zlb_client_stats_t stats;
    memset (&stats, 0xff, sizeof stats);
    zlb_client_stats (NULL, &stats);
    assert_int_equal (stats.sent, 0);            //  NULL client: all zero
    zlb_client_stats (client, NULL);
    //  id_p may be NULL: the caller does not want the id.
    assert_int_equal (zlb_client_send (client, "echo", "x", 1, NULL), 0);
    zlb_client_destroy (&client);
    assert_null (client);
    zlb_client_destroy (&client);
}

static void
test_worker (void **state)
{
    (void) state;
    zlb_worker_options_defaults (NULL);
    errno = 0;
    assert_null (zlb_worker_new (NULL, NULL));
    assert_int_equal (errno, EINVAL);
    zlb_worker_destroy (NULL);
    zlb_worker_t *none = NULL;
    zlb_worker_destroy (&none);

    zlb_worker_t *worker = zlb_worker_new (S_ENDPOINT, NULL);
    assert_non_null (worker);
    zlb_work_t work;
    memset (&work, 0, sizeof work);
    zmsg_t *body = NULL;
    assert_einval (zlb_worker_recv (NULL, &work, 0));
    assert_einval (zlb_worker_recv (worker, NULL, 0));
    assert_einval (zlb_worker_reply (NULL, &work, ZLB_STATUS_OK, "x", 1, NULL));
    assert_einval (zlb_worker_reply (worker, NULL, ZLB_STATUS_OK, "x", 1, NULL));
    assert_einval (zlb_worker_reply_raw (NULL, &work, &body));
    assert_einval (zlb_worker_reply_raw (worker, NULL, &body));
    assert_einval (zlb_worker_reply_raw (worker, &work, NULL));
    zlb_worker_idle (NULL, 0);
    assert_null (zlb_worker_id (NULL));
    zlb_worker_stats_t stats;
    memset (&stats, 0xff, sizeof stats);
    zlb_worker_stats (NULL, &stats);
    assert_int_equal (stats.served, 0);
    zlb_worker_stats (worker, NULL);
    zlb_worker_destroy (&worker);
    assert_null (worker);
    zlb_worker_destroy (&worker);
}

static void
test_log (void **state)
{
    (void) state;
    //  A NULL log is silence: everything accepts it.
    zlb_log_destroy (NULL);
    zlb_log_t *none = NULL;
    zlb_log_destroy (&none);
    assert_false (zlb_log_enabled (NULL, ZLB_LOG_ERROR));
    zlb_log_set_level (NULL, ZLB_LOG_DEBUG);
    zlb_log_set_format (NULL, ZLB_LOG_JSON);
    assert_int_equal (zlb_log_reopen (NULL), 0);
    zlb_log_field_t field = ZLB_STR ("key", NULL);
    zlb_log_fields (NULL, ZLB_LOG_ERROR, "event", &field, 1);
    zlb_log_write (NULL, ZLB_LOG_ERROR, "event", "n=%d", 1);
    zlb_ratelimit_t limit = {0};
    zlb_log_limit_flush (NULL, &limit, true);
    zlb_log_limited (NULL, &limit, ZLB_LOG_ERROR, "event", NULL);
    zlb_log_fields_limited (NULL, &limit, ZLB_LOG_ERROR, "event", &field, 1);
    zlb_log_format_t format;
    zlb_log_level_t level;
    assert_einval (zlb_log_format_parse (NULL, &format));
    assert_einval (zlb_log_format_parse ("json", NULL));
    assert_einval (zlb_log_level_parse (NULL, &level));
    assert_einval (zlb_log_level_parse ("info", NULL));

    zlb_log_t *log = zlb_log_new ("-", "test", "null", ZLB_LOG_ERROR);
    assert_non_null (log);
    zlb_log_fields (log, ZLB_LOG_ERROR, "null_fields", NULL, 0);
    zlb_log_fields (log, ZLB_LOG_ERROR, NULL, &field, 1);
    zlb_log_write (log, ZLB_LOG_ERROR, "null_format", NULL);
    zlb_log_write (log, ZLB_LOG_ERROR, NULL, NULL);
    zlb_log_limited (log, NULL, ZLB_LOG_ERROR, "no_limiter", NULL);
    zlb_log_fields_limited (log, NULL, ZLB_LOG_ERROR, "no_limiter", &field, 1);
    zlb_log_limit_flush (log, NULL, true);
    zlb_log_destroy (&log);
    assert_null (log);
    //  Constructor: NULL path is stderr, NULL names are "zlb" and "-".
    log = zlb_log_new (NULL, NULL, NULL, ZLB_LOG_ERROR);
    assert_non_null (log);
    zlb_log_destroy (&log);
}

static void
test_codec (void **state)
{
    (void) state;
    const char *err = NULL;
    zlb_request_t request;
    zlb_reply_t reply;
    zlb_confirm_t confirm;
    assert_null (zlb_request_encode (NULL));
    assert_null (zlb_reply_encode (NULL));
    assert_null (zlb_confirm_encode (NULL));
    assert_einval (zlb_request_decode (NULL, &request, &err));
    assert_non_null (err);
    assert_einval (zlb_reply_decode (NULL, &reply, NULL));     //  err may be NULL
    assert_einval (zlb_confirm_decode (NULL, &confirm, &err));
    zframe_t *frame = zframe_new ("x", 1);
    assert_einval (zlb_request_decode (frame, NULL, &err));
    assert_einval (zlb_reply_decode (frame, NULL, &err));
    assert_einval (zlb_confirm_decode (frame, NULL, &err));
    zframe_destroy (&frame);
    assert_int_equal (zlb_request_peek_id (NULL), 0);
    zmsg_t *msg = zlb_error_reply_new (1, ZLB_STATUS_BUSY, NULL, NULL);
    assert_non_null (msg);                       //  worker and error may be NULL
    zmsg_destroy (&msg);
    assert_string_equal (zlb_status_text (0), "unknown");
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_client),
        cmocka_unit_test (test_worker),
        cmocka_unit_test (test_log),
        cmocka_unit_test (test_codec),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
