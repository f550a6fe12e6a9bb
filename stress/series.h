/*  series.h - the per-second time series of a zlb-stress run.

    Threads count what happened in each second of the measured period into
    a private zlb_stress_interval_t and hand it over (flush) once the second
    is over; the series merges it under a mutex. A second is complete when
    every thread has flushed it; the main thread then summarises it (for
    the progress line) and frees its histogram, so a long run keeps a few
    numbers per second, not a histogram per second.                       */

#ifndef ZLB_STRESS_SERIES_H_INCLUDED
#define ZLB_STRESS_SERIES_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "histogram.h"

//  What one thread saw in one second.
typedef struct {
    uint64_t sent;               //  measured requests sent
    uint64_t ok;                 //  ok replies
    uint64_t errors;             //  error results (mismatches included)
    uint64_t timeouts;           //  408 results
    zlb_histogram_t *rtt;        //  corrected round trips of the ok replies
} zlb_stress_interval_t;

//  One second of the series, once summarised.
typedef struct {
    uint64_t sent;               //  measured requests sent in this second
    uint64_t ok;                 //  ok replies received in this second
    uint64_t errors;             //  error results in this second
    uint64_t timeouts;           //  timeouts in this second
    double span_s;               //  length of the second (the last may be shorter)
    double rps;                  //  ok / span_s
    int64_t p50, p90, p99, p999, max;   //  corrected round trip, ns
    double mean;                 //  ns
    bool complete;               //  every thread flushed it (or the run ended)
} zlb_stress_second_t;

typedef struct _zlb_stress_series_t zlb_stress_series_t;

//  A series filled by `threads` threads.
zlb_stress_series_t *zlb_stress_series_new (size_t threads);
void zlb_stress_series_destroy (zlb_stress_series_t **self_p);

//  Interval helpers (owned by one thread).
int zlb_stress_interval_init (zlb_stress_interval_t *self);
void zlb_stress_interval_fini (zlb_stress_interval_t *self);

//  Hand over a thread's counts for second `second` and reset the interval.
//  Each thread flushes its seconds in order, each exactly once.
//  -1 on out of memory (the counts are lost for the series only).
int zlb_stress_series_flush (zlb_stress_series_t *self, size_t second,
                             zlb_stress_interval_t *interval);

//  Summarise second `second` if every thread has flushed it, or if force
//  (the run is over, or we stopped waiting). Copies it to *out. Returns
//  true when the second exists (possibly still incomplete when forced).
bool zlb_stress_series_summarise (zlb_stress_series_t *self, size_t second,
                                  bool force, double span_s,
                                  zlb_stress_second_t *out);

//  Copy the last summary made of second `second` (after the run: all of
//  them). false if there is no such second.
bool zlb_stress_series_get (zlb_stress_series_t *self, size_t second,
                            zlb_stress_second_t *out);

//  Number of seconds that have any data.
size_t zlb_stress_series_size (zlb_stress_series_t *self);

#endif
