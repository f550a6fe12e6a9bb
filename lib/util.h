/*  util.h - small helpers shared by the programs (internal).               */

#ifndef ZLB_UTIL_H_INCLUDED
#define ZLB_UTIL_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

//  Parse a whole decimal integer in [min, max]. 0 on success, -1 otherwise.
int zlb_parse_int64 (const char *text, int64_t min, int64_t max, int64_t *value);

//  Parse a duration: "250ms", "10s", "2m", or a bare number of `unit_ms`
//  milliseconds. Result in ms. 0 on success, -1 otherwise.
int zlb_parse_duration_ms (const char *text, int64_t unit_ms, int64_t *ms);

//  Parse a size: "64", "4k"/"4KiB", "1m"/"1MiB", "2g"/"2GiB". 0 on success, -1 otherwise.
int zlb_parse_size (const char *text, int64_t *bytes);

//  The wall-clock time in UTC, ISO 8601: "2026-11-27T08:22:51Z", or with
//  micros "2026-11-27T08:22:51.123456Z" (buf of at least 28 bytes).
//  Returns its length.
size_t zlb_utc_timestamp (char *buf, size_t size, bool micros);

//  Default worker/client id: "hostname-pid" into buf.
char *zlb_default_id (char *buf, size_t bufsize);

//  endpoint.c: why an endpoint could not be bound or connected, for an
//  error message - a missing scheme ("endpoint needs a scheme:
//  tcp://HOST:PORT?"), else the reason for error (an errno from libzmq)
//  with the usual cause. Written into buf; returns buf.
const char *zlb_endpoint_why (const char *endpoint, int error, char *buf, size_t size);

//  After a request got no answer: is anything listening at the endpoint
//  (tcp://, ipc://)? Says which on stderr, named: "PROG: cannot reach the
//  broker at EP: Connection refused (...)" or "... accepts connections but
//  did not answer". Waits at most a second.
void zlb_endpoint_report (const char *prog, const char *endpoint);

//  Largest body by default, everywhere (the broker's --max-body default).
#define ZLB_MAX_BODY_DEFAULT (1024 * 1024)

//  ZMQ_MAXMSGSIZE for a socket that carries bodies up to max_body: the body
//  plus 64 KiB for the other frames of the envelope, at most INT32_MAX.
//  libzmq checks it against each frame's header before allocating, and
//  drops the connection of a peer that sends more.
int zlb_frame_limit (size_t max_body);

#endif
