/*  total.c - zlb-ctl over several brokers: their mmi.* replies summed.

    Pure functions over decoded replies (tests/unit/test_ctl_total.c). A
    field a broker left out or mistyped counts as 0 in a sum, like "-" in
    its own table.                                                         */

#include "total.h"
#include "render.h"
#include "msgpack_put.h"

#include <stdlib.h>
#include <string.h>

#define S_COUNT(array) (sizeof (array) / sizeof ((array) [0]))

static bool
s_float_of (const msgpack_object *obj, const char *key, double *number)
{
    const msgpack_object *value = ctl_get (obj, key);
    if (!value || (value->type != MSGPACK_OBJECT_FLOAT64
               &&  value->type != MSGPACK_OBJECT_FLOAT32))
        return false;
    *number = value->via.f64;
    return true;
}

static uint64_t
s_uint_or_0 (const msgpack_object *obj, const char *key)
{
    uint64_t number = 0;
    return ctl_uint_of (obj, key, &number) ? number : 0;
}

//  count, truncated (any broker's), brokers and answering: the tail of
//  the services and workers totals.
static void
s_pack_tail (msgpack_packer *pk, const msgpack_object *const *replies, size_t count,
             uint64_t rows)
{
    bool truncated = false;
    uint64_t answering = 0;
    for (size_t index = 0; index < count; index++) {
        const msgpack_object *flag = ctl_get (replies [index], "truncated");
        truncated |= flag && flag->type == MSGPACK_OBJECT_BOOLEAN && flag->via.boolean;
        answering += replies [index] != NULL;
    }
    zlb_put_uint (pk, "count", rows);
    zlb_put_bool (pk, "truncated", truncated);
    zlb_put_uint (pk, "brokers", count);
    zlb_put_uint (pk, "answering", answering);
}

//  --------------------------------------------------------------------------
//  mmi.stats

static const char *const s_stats_summed [] = {
    "requests", "routed", "replies", "workers_seen", "redeliveries", "handed_back", "expired", "busy",
    "deadline", "failed", "too_large", "bad_request", "malformed", "disconnects",
    "send_failures", "refused", "workers", "queued", "held_bytes"
};

void
ctl_total_stats (const msgpack_object *const *stats, size_t count, msgpack_sbuffer *out)
{
    msgpack_packer pk;
    msgpack_packer_init (&pk, out, msgpack_sbuffer_write);
    uint64_t answering = 0;
    for (size_t index = 0; index < count; index++)
        answering += stats [index] != NULL;
    msgpack_pack_map (&pk, S_COUNT (s_stats_summed) + 2);
    zlb_put_uint (&pk, "brokers", count);
    zlb_put_uint (&pk, "answering", answering);
    for (size_t key = 0; key < S_COUNT (s_stats_summed); key++) {
        uint64_t sum = 0;
        for (size_t index = 0; index < count; index++)
            sum += s_uint_or_0 (stats [index], s_stats_summed [key]);
        zlb_put_uint (&pk, s_stats_summed [key], sum);
    }
}

//  --------------------------------------------------------------------------
//  mmi.services

static const char *const s_services_summed [] = {
    "workers", "ready", "busy", "queued", "requests", "replies", "redeliveries", "errors",
    "service_time_count"
};

//  A service row and its name, for sorting every broker's rows by name.
typedef struct {
    const msgpack_object *row;
    const msgpack_object *name;
} s_named_t;

static int
s_name_cmp (const void *a, const void *b)
{
    const msgpack_object *x = ((const s_named_t *) a)->name;
    const msgpack_object *y = ((const s_named_t *) b)->name;
    size_t size = x->via.str.size < y->via.str.size ? x->via.str.size : y->via.str.size;
    int rc = memcmp (x->via.str.ptr, y->via.str.ptr, size);
    return rc ? rc : (x->via.str.size > y->via.str.size) - (x->via.str.size < y->via.str.size);
}

static bool
s_same_name (const s_named_t *a, const s_named_t *b)
{
    return s_name_cmp (a, b) == 0;
}

//  Every named row of reply[list] over the brokers; caller frees.
static s_named_t *
s_collect (const msgpack_object *const *replies, size_t count, const char *list,
           size_t *rows)
{
    size_t total = 0;
    for (size_t index = 0; index < count; index++) {
        const msgpack_object *array = ctl_get (replies [index], list);
        if (array && array->type == MSGPACK_OBJECT_ARRAY)
            total += array->via.array.size;
    }
    s_named_t *named = calloc (total ? total : 1, sizeof (*named));
    *rows = 0;
    for (size_t index = 0; named && index < count; index++) {
        const msgpack_object *array = ctl_get (replies [index], list);
        for (uint32_t row = 0; array && array->type == MSGPACK_OBJECT_ARRAY
                               && row < array->via.array.size; row++) {
            const msgpack_object *name = ctl_get (&array->via.array.ptr [row], "service");
            if (name && name->type == MSGPACK_OBJECT_STR)
                named [(*rows)++] = (s_named_t) {&array->via.array.ptr [row], name};
        }
    }
    return named;
}

//  One total row from the rows group[0..size) of the same service.
static void
s_pack_service (msgpack_packer *pk, const s_named_t *group, size_t size)
{
    msgpack_pack_map (pk, S_COUNT (s_services_summed) + 4);
    zlb_put_key (pk, "service");
    msgpack_pack_object (pk, *group [0].name);
    zlb_put_uint (pk, "brokers", size);
    for (size_t key = 0; key < S_COUNT (s_services_summed); key++) {
        uint64_t sum = 0;
        for (size_t index = 0; index < size; index++)
            sum += s_uint_or_0 (group [index].row, s_services_summed [key]);
        zlb_put_uint (pk, s_services_summed [key], sum);
    }
    double oldest = 0, time_sum = 0, number;
    for (size_t index = 0; index < size; index++) {
        if (s_float_of (group [index].row, "oldest_s", &number) && number > oldest)
            oldest = number;
        if (s_float_of (group [index].row, "service_time_sum_s", &number))
            time_sum += number;
    }
    zlb_put_double (pk, "oldest_s", oldest);
    zlb_put_double (pk, "service_time_sum_s", time_sum);
}

void
ctl_total_services (const msgpack_object *const *replies, size_t count, msgpack_sbuffer *out)
{
    msgpack_packer pk;
    msgpack_packer_init (&pk, out, msgpack_sbuffer_write);
    size_t rows;
    s_named_t *named = s_collect (replies, count, "services", &rows);
    if (named)
        qsort (named, rows, sizeof (*named), s_name_cmp);
    size_t services = 0;
    for (size_t index = 0; named && index < rows; index++)
        services += index == 0 || !s_same_name (&named [index - 1], &named [index]);
    msgpack_pack_map (&pk, 5);
    zlb_put_key (&pk, "services");
    msgpack_pack_array (&pk, services);
    for (size_t start = 0, end; named && start < rows; start = end) {
        for (end = start + 1; end < rows && s_same_name (&named [start], &named [end]); end++)
            ;
        s_pack_service (&pk, &named [start], end - start);
    }
    s_pack_tail (&pk, replies, count, services);
    free (named);
}

//  --------------------------------------------------------------------------
//  mmi.workers

void
ctl_total_workers (const msgpack_object *const *replies, const char *const *brokers,
                   size_t count, msgpack_sbuffer *out)
{
    msgpack_packer pk;
    msgpack_packer_init (&pk, out, msgpack_sbuffer_write);
    uint32_t rows = 0;
    for (size_t index = 0; index < count; index++) {
        const msgpack_object *array = ctl_get (replies [index], "workers");
        if (array && array->type == MSGPACK_OBJECT_ARRAY)
            rows += array->via.array.size;
    }
    msgpack_pack_map (&pk, 5);
    zlb_put_key (&pk, "workers");
    msgpack_pack_array (&pk, rows);
    for (size_t index = 0; index < count; index++) {
        const msgpack_object *array = ctl_get (replies [index], "workers");
        for (uint32_t row = 0; array && array->type == MSGPACK_OBJECT_ARRAY
                               && row < array->via.array.size; row++) {
            const msgpack_object *worker = &array->via.array.ptr [row];
            bool map = worker->type == MSGPACK_OBJECT_MAP;
            msgpack_pack_map (&pk, (map ? worker->via.map.size : 0) + 1);
            zlb_put_text (&pk, "broker", brokers [index]);
            for (uint32_t field = 0; map && field < worker->via.map.size; field++) {
                msgpack_pack_object (&pk, worker->via.map.ptr [field].key);
                msgpack_pack_object (&pk, worker->via.map.ptr [field].val);
            }
        }
    }
    s_pack_tail (&pk, replies, count, rows);
}

bool
ctl_total_unpack (const msgpack_sbuffer *packed, msgpack_unpacked *unpacked)
{
    size_t offset = 0;
    return msgpack_unpack_next (unpacked, packed->data, packed->size, &offset)
           == MSGPACK_UNPACK_SUCCESS
        && unpacked->data.type == MSGPACK_OBJECT_MAP;
}
