/*  stats.h - what one zlb-stress thread counts and measures.

    Each thread owns one zlb_stress_stats_t and touches it without locks;
    the main thread merges them all once the threads have finished.
    Histograms hold nanoseconds, 1 us .. 60 s.                            */

#ifndef ZLB_STRESS_STATS_H_INCLUDED
#define ZLB_STRESS_STATS_H_INCLUDED

#include <stdint.h>
#include <stddef.h>
#include "zlb/zlb.h"
#include "histogram.h"

#define ZLB_STRESS_HIST_LOWEST  1000LL              //  1 us in ns
#define ZLB_STRESS_HIST_HIGHEST 60000000000LL       //  60 s in ns
#define ZLB_STRESS_MAX_STATUSES 32                  //  distinct error statuses kept
#define ZLB_STRESS_MAX_WORKERS  1024                //  distinct worker ids kept

typedef struct {
    int status;                  //  ZLB_STATUS_* or ZLB_STRESS_STATUS_MISMATCH
    uint64_t count;              //  results with that status
} zlb_stress_status_count_t;

typedef struct {
    char id [ZLB_WORKER_ID_MAX + 1];   //  worker id from the confirmations
    uint64_t count;              //  ok replies it served
} zlb_stress_worker_count_t;

//  Pseudo status for "200 but the payload or id did not match".
#define ZLB_STRESS_STATUS_MISMATCH 0
//  Pseudo status for error statuses past ZLB_STRESS_MAX_STATUSES distinct ones.
#define ZLB_STRESS_STATUS_OTHER    (-1)

//  One broker as every client of the run used it (whole run, warmup included).
typedef struct {
    uint64_t attempts;           //  attempts sent to it (first sends and resends)
    uint64_t replies;            //  messages received from it (duplicates included)
} zlb_stress_broker_count_t;

typedef struct {
    uint64_t sent;               //  measured requests sent (logical, not attempts)
    uint64_t ok;                 //  status 200 and the payload matched
    uint64_t errors;             //  any other wire status, or a mismatch
    uint64_t timeouts;           //  408: no answer after all retries
    uint64_t lost;               //  still in flight when the drain ended
    uint64_t mismatched;         //  payload differed, or a reply to no request of ours
    uint64_t unknown;            //  results whose id matched no request in flight
    uint64_t retries;            //  resends (client counters, measured period)
    uint64_t duplicates;         //  duplicate replies the client dropped
    uint64_t send_failures;      //  zlb_client_send refused (retried later)
    uint64_t unsent;             //  open loop: scheduled in the period but never sent
    int64_t last_done_ns;        //  monotonic time of the last measured result
    zlb_stress_status_count_t statuses [ZLB_STRESS_MAX_STATUSES];
    size_t nstatuses;            //  entries used in statuses
    zlb_stress_worker_count_t *workers;   //  per-worker ok counts
    size_t nworkers;             //  entries used in workers
    uint64_t workers_other;      //  ok replies from workers past the table's size
    zlb_stress_broker_count_t brokers [ZLB_CLIENT_MAX_BROKERS];   //  per --connect, in order
    size_t nbrokers;             //  entries used in brokers
    zlb_histogram_t *rtt;        //  round trip from the intended send time (corrected)
    zlb_histogram_t *rtt_raw;    //  round trip from the actual send (uncorrected)
    zlb_histogram_t *latency;    //  (rtt - service) / 2 from the confirmations
    zlb_histogram_t *service;    //  worker service time t_send - t_recv
} zlb_stress_stats_t;

zlb_stress_stats_t *zlb_stress_stats_new (void);
void zlb_stress_stats_destroy (zlb_stress_stats_t **self_p);

//  Count one error result with this status.
void zlb_stress_stats_error (zlb_stress_stats_t *self, int status);

//  Count one ok reply from this worker.
void zlb_stress_stats_worker (zlb_stress_stats_t *self, const char *worker);

//  Add other into self (counters, tables and histograms).
void zlb_stress_stats_merge (zlb_stress_stats_t *self, const zlb_stress_stats_t *other);

//  Sort the status and worker tables for printing (statuses ascending,
//  workers by id).
void zlb_stress_stats_sort (zlb_stress_stats_t *self);

#endif
