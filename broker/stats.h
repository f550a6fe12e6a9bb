/*  stats.h - per-service and per-worker counters the broker keeps for
    operators (mmi.workers, mmi.services, /metrics).

    Everything here is O(1) and allocation-free on the message path: a few
    integer increments and, per reply, one bucket increment in a fixed
    histogram of service times (time from handing a request to a worker to
    its reply, as the broker sees it). Percentiles are computed only when
    someone asks.                                                           */

#ifndef ZLB_BROKER_STATS_H_INCLUDED
#define ZLB_BROKER_STATS_H_INCLUDED

#include <stddef.h>
#include <stdint.h>

//  Upper bounds of the service-time buckets in microseconds, 1-2-5 series;
//  the last bucket (index BROKER_TIME_BUCKETS) holds everything above.
#define BROKER_TIME_BUCKETS 22
extern const int64_t broker_time_bounds_us [BROKER_TIME_BUCKETS];

typedef struct {
    uint64_t counts [BROKER_TIME_BUCKETS + 1];  //  per bucket, not cumulative
    uint64_t total;               //  samples
    uint64_t sum_us;              //  sum of samples, microseconds
} broker_timing_t;

//  Broker error statuses counted per service, in this order.
typedef enum {
    BROKER_ERR_BAD_REQUEST = 0,   //  400
    BROKER_ERR_TOO_LARGE,         //  413
    BROKER_ERR_FAILED,            //  502
    BROKER_ERR_BUSY,              //  503
    BROKER_ERR_NO_WORKER,         //  504
    BROKER_ERR_KINDS
} broker_err_t;

extern const int broker_err_status [BROKER_ERR_KINDS];

typedef struct {
    uint64_t requests;            //  client requests accepted for the service
    uint64_t replies;             //  worker replies forwarded
    uint64_t redeliveries;        //  requests requeued after their worker died
    uint64_t errors [BROKER_ERR_KINDS];  //  error answers the broker made, by status
    broker_timing_t timing;       //  service times of forwarded replies
} broker_service_stats_t;

//  Record one service time (microseconds, negative counts as 0).
static inline void
broker_timing_record (broker_timing_t *timing, int64_t us)
{
    if (us < 0)
        us = 0;
    //  Binary search over 22 bounds: five comparisons.
    size_t low = 0, high = BROKER_TIME_BUCKETS;
    while (low < high) {
        size_t mid = (low + high) / 2;
        if (us <= broker_time_bounds_us [mid])
            high = mid;
        else
            low = mid + 1;
    }
    timing->counts [low]++;
    timing->total++;
    timing->sum_us += (uint64_t) us;
}

//  Estimated quantile (0 < q < 1) in seconds, interpolated inside its
//  bucket; 0 when there are no samples.
double broker_timing_quantile (const broker_timing_t *timing, double q);

//  Index into errors [] for a status, or -1 if it is not one we count.
int broker_err_index (int status);

#endif
