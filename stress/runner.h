/*  runner.h - drive a zlb-stress run: threads, streams, the poll loops.

    zlb_stress_run starts params->threads threads; each owns the streams
    i with i % threads == its index (one zlb_client_t each) and drives them
    from one poll loop. Warmup, then the measured period, then a drain for
    stragglers. The calling thread prints progress once a second through
    the callback and, when all threads are done, merges their figures.    */

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
    int64_t elapsed_ns;              //  measured start to last result (or end)
    double throughput_rps;           //  ok / elapsed
    bool interrupted;                //  stopped early by SIGINT/SIGTERM
    char started_at [32];            //  UTC time the measured period began
} zlb_stress_result_t;

//  Called by the runner's caller thread for each second of the measured
//  period; errors/timeouts are totals so far.
typedef void (zlb_stress_progress_fn) (void *arg, size_t second,
                                       const zlb_stress_second_t *summary,
                                       uint64_t errors, uint64_t timeouts);

//  Run the load. 0 on success (result filled, release with _fini), -1 if
//  the run could not start (reason in err).
int zlb_stress_run (const zlb_stress_params_t *params, zlb_log_t *log,
                    zlb_stress_progress_fn *progress, void *progress_arg,
                    zlb_stress_result_t *result, char *err, size_t errsize);

void zlb_stress_result_fini (zlb_stress_result_t *result);

#endif
