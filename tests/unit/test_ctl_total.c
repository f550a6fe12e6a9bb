/*  test_ctl_total.c - zlb-ctl's cluster totals (ctl/total.c): counters
    summed, per-broker values left out, a service on two brokers once,
    every worker with its broker, and odd replies (a broker that did not
    answer, rows of the wrong type) never crash nor count.                */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <msgpack.h>
#include <string.h>

#include "total.h"
#include "render.h"

//  A packed reply and its decoded form.
typedef struct {
    msgpack_sbuffer sbuf;
    msgpack_packer pk;
    msgpack_unpacked unpacked;
} s_msg_t;

static void
s_begin (s_msg_t *msg)
{
    msgpack_sbuffer_init (&msg->sbuf);
    msgpack_packer_init (&msg->pk, &msg->sbuf, msgpack_sbuffer_write);
    msgpack_unpacked_init (&msg->unpacked);
}

static const msgpack_object *
s_end (s_msg_t *msg)
{
    assert_true (ctl_total_unpack (&msg->sbuf, &msg->unpacked));
    return &msg->unpacked.data;
}

static void
s_done (s_msg_t *msg)
{
    msgpack_unpacked_destroy (&msg->unpacked);
    msgpack_sbuffer_destroy (&msg->sbuf);
}

static void
s_str (msgpack_packer *pk, const char *text)
{
    msgpack_pack_str (pk, strlen (text));
    msgpack_pack_str_body (pk, text, strlen (text));
}

static void
s_uint (msgpack_packer *pk, const char *key, uint64_t value)
{
    s_str (pk, key);
    msgpack_pack_uint64 (pk, value);
}

static void
s_float (msgpack_packer *pk, const char *key, double value)
{
    s_str (pk, key);
    msgpack_pack_double (pk, value);
}

static uint64_t
s_get (const msgpack_object *obj, const char *key)
{
    uint64_t number = 0;
    assert_true (ctl_uint_of (obj, key, &number));
    return number;
}

//  {requests, workers, uptime_s, heartbeat_ms, services}
static const msgpack_object *
s_stats (s_msg_t *msg, uint64_t requests, uint64_t workers)
{
    s_begin (msg);
    msgpack_pack_map (&msg->pk, 5);
    s_uint (&msg->pk, "requests", requests);
    s_uint (&msg->pk, "workers", workers);
    s_float (&msg->pk, "uptime_s", 12.5);
    s_uint (&msg->pk, "heartbeat_ms", 2500);
    s_uint (&msg->pk, "services", 1);
    return s_end (msg);
}

static void
test_stats_summed (void **state)
{
    (void) state;
    s_msg_t a, b, total;
    const msgpack_object *replies [3] = {s_stats (&a, 10, 2), NULL, s_stats (&b, 5, 3)};
    s_begin (&total);
    ctl_total_stats (replies, 3, &total.sbuf);
    const msgpack_object *sum = s_end (&total);
    assert_int_equal (s_get (sum, "requests"), 15);
    assert_int_equal (s_get (sum, "workers"), 5);
    assert_int_equal (s_get (sum, "replies"), 0);
    assert_int_equal (s_get (sum, "brokers"), 3);
    assert_int_equal (s_get (sum, "answering"), 2);
    assert_null (ctl_get (sum, "uptime_s"));
    assert_null (ctl_get (sum, "heartbeat_ms"));
    assert_null (ctl_get (sum, "services"));
    s_done (&a);
    s_done (&b);
    s_done (&total);
}

//  One service row: {service, workers, requests, oldest_s, p50_s}.
static void
s_service (msgpack_packer *pk, const char *name, uint64_t workers, uint64_t requests,
           double oldest)
{
    msgpack_pack_map (pk, 5);
    s_str (pk, "service");
    s_str (pk, name);
    s_uint (pk, "workers", workers);
    s_uint (pk, "requests", requests);
    s_float (pk, "oldest_s", oldest);
    s_float (pk, "p50_s", 0.001);
}

static const msgpack_object *
s_services_a (s_msg_t *msg)
{
    s_begin (msg);
    msgpack_pack_map (&msg->pk, 1);
    s_str (&msg->pk, "services");
    msgpack_pack_array (&msg->pk, 4);
    s_service (&msg->pk, "other", 1, 7, 0);
    s_service (&msg->pk, "echo", 1, 10, 0.5);
    msgpack_pack_uint64 (&msg->pk, 3);            //  not a row
    msgpack_pack_map (&msg->pk, 1);               //  a row with no name
    s_uint (&msg->pk, "workers", 9);
    return s_end (msg);
}

static const msgpack_object *
s_services_b (s_msg_t *msg)
{
    s_begin (msg);
    msgpack_pack_map (&msg->pk, 2);
    s_str (&msg->pk, "services");
    msgpack_pack_array (&msg->pk, 1);
    s_service (&msg->pk, "echo", 2, 5, 1.5);
    s_str (&msg->pk, "truncated");
    msgpack_pack_true (&msg->pk);
    return s_end (msg);
}

//  The total row of a service, or NULL.
static const msgpack_object *
s_row (const msgpack_object *total, const char *list, const char *key, const char *name)
{
    const msgpack_object *rows = ctl_get (total, list);
    assert_non_null (rows);
    assert_int_equal (rows->type, MSGPACK_OBJECT_ARRAY);
    for (uint32_t index = 0; index < rows->via.array.size; index++) {
        const msgpack_object *value = ctl_get (&rows->via.array.ptr [index], key);
        if (value && value->type == MSGPACK_OBJECT_STR && value->via.str.size == strlen (name)
        &&  memcmp (value->via.str.ptr, name, value->via.str.size) == 0)
            return &rows->via.array.ptr [index];
    }
    return NULL;
}

static void
test_services_merged (void **state)
{
    (void) state;
    s_msg_t a, b, total;
    const msgpack_object *replies [3] = {s_services_a (&a), NULL, s_services_b (&b)};
    s_begin (&total);
    ctl_total_services (replies, 3, &total.sbuf);
    const msgpack_object *sum = s_end (&total);
    assert_int_equal (s_get (sum, "count"), 2);
    assert_int_equal (ctl_get (sum, "services")->via.array.size, 2);
    assert_true (ctl_get (sum, "truncated")->via.boolean);
    assert_int_equal (s_get (sum, "answering"), 2);
    const msgpack_object *echo = s_row (sum, "services", "service", "echo");
    assert_non_null (echo);
    assert_int_equal (s_get (echo, "workers"), 3);
    assert_int_equal (s_get (echo, "requests"), 15);
    assert_int_equal (s_get (echo, "brokers"), 2);
    assert_true (ctl_get (echo, "oldest_s")->via.f64 == 1.5);
    assert_null (ctl_get (echo, "p50_s"));
    const msgpack_object *other = s_row (sum, "services", "service", "other");
    assert_non_null (other);
    assert_int_equal (s_get (other, "requests"), 7);
    assert_int_equal (s_get (other, "brokers"), 1);
    s_done (&a);
    s_done (&b);
    s_done (&total);
}

//  {workers: [{id: ID}...]} with count ids.
static const msgpack_object *
s_workers (s_msg_t *msg, const char *const *ids, uint32_t count)
{
    s_begin (msg);
    msgpack_pack_map (&msg->pk, 1);
    s_str (&msg->pk, "workers");
    msgpack_pack_array (&msg->pk, count);
    for (uint32_t index = 0; index < count; index++) {
        msgpack_pack_map (&msg->pk, 1);
        s_str (&msg->pk, "id");
        s_str (&msg->pk, ids [index]);
    }
    return s_end (msg);
}

static void
test_workers_listed (void **state)
{
    (void) state;
    s_msg_t a, b, total;
    const char *const ids_a [] = {"a-1"}, *const ids_b [] = {"b-1", "b-2"};
    const msgpack_object *replies [3] = {s_workers (&a, ids_a, 1), NULL,
                                         s_workers (&b, ids_b, 2)};
    const char *const brokers [3] = {"ipc://a", "ipc://gone", "ipc://b"};
    s_begin (&total);
    ctl_total_workers (replies, brokers, 3, &total.sbuf);
    const msgpack_object *sum = s_end (&total);
    assert_int_equal (s_get (sum, "count"), 3);
    assert_int_equal (s_get (sum, "answering"), 2);
    const msgpack_object *worker = s_row (sum, "workers", "id", "b-2");
    assert_non_null (worker);
    const msgpack_object *broker = ctl_get (worker, "broker");
    assert_non_null (broker);
    assert_int_equal (broker->via.str.size, strlen ("ipc://b"));
    assert_memory_equal (broker->via.str.ptr, "ipc://b", broker->via.str.size);
    assert_non_null (s_row (sum, "workers", "broker", "ipc://a"));
    assert_null (s_row (sum, "workers", "broker", "ipc://gone"));
    s_done (&a);
    s_done (&b);
    s_done (&total);
}

static void
test_nobody_answered (void **state)
{
    (void) state;
    const msgpack_object *replies [2] = {NULL, NULL};
    const char *const brokers [2] = {"ipc://x", "ipc://y"};
    s_msg_t total;
    s_begin (&total);
    ctl_total_services (replies, 2, &total.sbuf);
    assert_int_equal (s_get (s_end (&total), "count"), 0);
    s_done (&total);
    s_begin (&total);
    ctl_total_workers (replies, brokers, 2, &total.sbuf);
    assert_int_equal (s_get (s_end (&total), "answering"), 0);
    s_done (&total);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_stats_summed),
        cmocka_unit_test (test_services_merged),
        cmocka_unit_test (test_workers_listed),
        cmocka_unit_test (test_nobody_answered),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
