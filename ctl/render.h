/*  render.h - zlb-ctl output: msgpack bodies as JSON or as tables.       */

#ifndef ZLB_CTL_RENDER_H_INCLUDED
#define ZLB_CTL_RENDER_H_INCLUDED

#include <msgpack.h>
#include <stdbool.h>
#include <stdio.h>

//  Value of key in a msgpack map, or NULL (also when obj is not a map).
const msgpack_object *ctl_get (const msgpack_object *obj, const char *key);

//  The unsigned integer under key; false when missing or of another type.
bool ctl_uint_of (const msgpack_object *obj, const char *key, uint64_t *number);

//  Any msgpack object as JSON (strings escaped, bin as base64-free hex).
void ctl_json (FILE *out, const msgpack_object *obj);

//  Tables for people; each takes the decoded reply of its mmi service.
void ctl_stats_table (FILE *out, const msgpack_object *stats);
void ctl_services_table (FILE *out, const msgpack_object *services);
void ctl_workers_table (FILE *out, const msgpack_object *workers);

//  The stats table without its first line (version, uptime, settings).
void ctl_stats_counters (FILE *out, const msgpack_object *stats);

//  The workers table with a BROKER column (the field broker of each row).
void ctl_cluster_workers_table (FILE *out, const msgpack_object *workers);

//  Which broker's table the services' REQ/S follow (0 with one broker):
//  rates are kept per scope and service name, so brokers do not mix.
void ctl_rate_scope (int scope);

#endif
