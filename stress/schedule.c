/*  schedule.c - constant-rate send schedule (see schedule.h).             */

#include "schedule.h"

#include <math.h>

int
zlb_schedule_init (zlb_schedule_t *self, double rate, size_t streams, int64_t start_ns)
{
    if (!(rate > 0) || !isfinite (rate) || streams == 0)
        return -1;
    self->rate = rate;
    self->streams = streams;
    self->start_ns = start_ns;
    return 0;
}

int64_t
zlb_schedule_time_ns (const zlb_schedule_t *self, size_t stream, uint64_t k)
{
    //  Slot number across all streams; long double keeps ns precision for
    //  runs far longer than anyone will make.
    long double slot = (long double) k * (long double) self->streams + (long double) stream;
    return self->start_ns + (int64_t) (slot * 1e9L / (long double) self->rate);
}

uint64_t
zlb_schedule_due (const zlb_schedule_t *self, size_t stream, int64_t now_ns)
{
    if (now_ns < zlb_schedule_time_ns (self, stream, 0))
        return 0;
    //  Estimate by arithmetic, then correct the rounding against time_ns so
    //  that due () and time_ns () can never disagree.
    long double elapsed = (long double) (now_ns - self->start_ns);
    long double slots = elapsed * (long double) self->rate / 1e9L - (long double) stream;
    uint64_t n = (uint64_t) floorl (slots / (long double) self->streams) + 1;
    while (n > 0 && zlb_schedule_time_ns (self, stream, n - 1) > now_ns)
        n--;
    while (zlb_schedule_time_ns (self, stream, n) <= now_ns)
        n++;
    return n;
}
