/*  render.h - zlb-ctl output: msgpack bodies as JSON or as tables.       */

#ifndef ZLB_CTL_RENDER_H_INCLUDED
#define ZLB_CTL_RENDER_H_INCLUDED

#include <msgpack.h>
#include <stdio.h>

//  Value of key in a msgpack map, or NULL (also when obj is not a map).
const msgpack_object *ctl_get (const msgpack_object *obj, const char *key);

//  Any msgpack object as JSON (strings escaped, bin as base64-free hex).
void ctl_json (FILE *out, const msgpack_object *obj);

//  Tables for people; each takes the decoded reply of its mmi service.
void ctl_stats_table (FILE *out, const msgpack_object *stats);
void ctl_services_table (FILE *out, const msgpack_object *services);
void ctl_workers_table (FILE *out, const msgpack_object *workers);

#endif
