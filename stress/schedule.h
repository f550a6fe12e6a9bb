/*  schedule.h - the open-loop send schedule of zlb-stress (pure functions).

    A total rate R is split over S streams at a constant pace: request k of
    stream i is due at  start + (k * S + i) / R  seconds, so the streams
    interleave evenly (stream 0 at 0, stream 1 at 1/R, ...) and together
    send R requests per second. No clock or socket is read here, which is
    what makes the schedule unit-testable; the runner asks "how many are
    due by now?" and "when is the next one due?".                          */

#ifndef ZLB_SCHEDULE_H_INCLUDED
#define ZLB_SCHEDULE_H_INCLUDED

#include <stddef.h>
#include <stdint.h>

typedef struct {
    double rate;             //  total requests per second, > 0
    size_t streams;          //  number of streams sharing the rate, > 0
    int64_t start_ns;        //  time of request 0 of stream 0 (monotonic ns)
} zlb_schedule_t;

//  Set up a schedule. 0 on success, -1 if rate <= 0 or streams == 0.
int zlb_schedule_init (zlb_schedule_t *self, double rate, size_t streams, int64_t start_ns);

//  Intended send time of request k (0-based) of stream `stream`.
int64_t zlb_schedule_time_ns (const zlb_schedule_t *self, size_t stream, uint64_t k);

//  How many requests of `stream` are due at or before now_ns, i.e. the
//  smallest n with time_ns (stream, n) > now_ns.
uint64_t zlb_schedule_due (const zlb_schedule_t *self, size_t stream, int64_t now_ns);

#endif
