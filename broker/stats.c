/*  stats.c - service-time histogram quantiles and error-kind mapping.    */

#include "stats.h"

const int64_t broker_time_bounds_us [BROKER_TIME_BUCKETS] = {
    10, 20, 50, 100, 200, 500,
    1000, 2000, 5000, 10000, 20000, 50000,
    100000, 200000, 500000, 1000000, 2000000, 5000000,
    10000000, 20000000, 50000000, 100000000
};

const int broker_err_status [BROKER_ERR_KINDS] = {400, 413, 502, 503, 504};

double
broker_timing_quantile (const broker_timing_t *timing, double q)
{
    if (!timing->total)
        return 0;
    //  Rank of the sample we want, 1-based.
    double rank = q * (double) timing->total;
    if (rank < 1)
        rank = 1;
    uint64_t seen = 0;
    for (size_t index = 0; index <= BROKER_TIME_BUCKETS; index++) {
        uint64_t count = timing->counts [index];
        if (count == 0 || (double) (seen + count) < rank) {
            seen += count;
            continue;
        }
        double low = index ? (double) broker_time_bounds_us [index - 1] : 0;
        //  The overflow bucket has no upper bound: report its lower one.
        if (index == BROKER_TIME_BUCKETS)
            return low / 1e6;
        double high = (double) broker_time_bounds_us [index];
        double within = (rank - (double) seen) / (double) count;
        return (low + (high - low) * within) / 1e6;
    }
    return (double) broker_time_bounds_us [BROKER_TIME_BUCKETS - 1] / 1e6;
}

int
broker_err_index (int status)
{
    for (int index = 0; index < BROKER_ERR_KINDS; index++)
        if (broker_err_status [index] == status)
            return index;
    return -1;
}
