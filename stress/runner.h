/*  runner.h - drive a zlb-stress run: threads, streams, the poll loops.

    zlb_stress_run starts params->threads threads; each owns the streams
    i with i % threads == its index (one zlb_client_t each) and drives them
    from one poll loop. Warmup, then the measured period, then a drain for
    stragglers, bounded by --drain. The measured period is --duration
    (shorter if --requests or a signal ends the sending first; with
    --requests alone it lasts until the last answer). The calling thread
    prints progress once a second through the callback, and when all
    threads are done, merges their figures.                               */

#ifndef ZLB_STRESS_RUNNER_H_INCLUDED
#define ZLB_STRESS_RUNNER_H_INCLUDED

#include <stdbool.h>
#include <stdint.h>
#include "zlb/zlb.h"
#include "params.h"
#include "series.h"
#include "stats.h"

typedef struct {
    zlb_stress_stats_t *stats;       //  merged figures of the measured period
    zlb_stress_series_t *series;     //  per-second series (all summarised)
    size_t seconds;                  //  entries in the series
    int64_t measured_ns;             //  the measured period (see above)
    int64_t drain_ns;                //  from its end until the last thread finished
    double throughput_rps;           //  ok / measured period
    bool interrupted;                //  stopped early by SIGINT/SIGTERM
    char started_at [32];            //  UTC time the measured period began
} zlb_stress_result_t;

//  Called by the runner's caller thread for each second after the warmup;
//  drain is true for a second that began after the measured period ended.
//  errors/timeouts are totals so far.
typedef void (zlb_stress_progress_fn) (void *arg, size_t second, bool drain,
                                       const zlb_stress_second_t *summary,
                                       uint64_t errors, uint64_t timeouts);

//  Run the load. 0 on success (result filled, release with _fini), -1 if
//  the run could not start (reason in err).
int zlb_stress_run (const zlb_stress_params_t *params, zlb_log_t *log,
                    zlb_stress_progress_fn *progress, void *progress_arg,
                    zlb_stress_result_t *result, char *err, size_t errsize);

void zlb_stress_result_fini (zlb_stress_result_t *result);

#endif
