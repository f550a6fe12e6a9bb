/*  stats.c - per-thread counters and histograms (see stats.h).           */

#include "stats.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

zlb_stress_stats_t *
zlb_stress_stats_new (void)
{
    zlb_stress_stats_t *self = (zlb_stress_stats_t *) calloc (1, sizeof (*self));
    if (!self)
        return NULL;
    self->workers = (zlb_stress_worker_count_t *)
        calloc (ZLB_STRESS_MAX_WORKERS, sizeof (zlb_stress_worker_count_t));
    self->rtt = zlb_histogram_new (ZLB_STRESS_HIST_LOWEST, ZLB_STRESS_HIST_HIGHEST);
    self->rtt_raw = zlb_histogram_new (ZLB_STRESS_HIST_LOWEST, ZLB_STRESS_HIST_HIGHEST);
    self->latency = zlb_histogram_new (ZLB_STRESS_HIST_LOWEST, ZLB_STRESS_HIST_HIGHEST);
    self->service = zlb_histogram_new (ZLB_STRESS_HIST_LOWEST, ZLB_STRESS_HIST_HIGHEST);
    if (!self->workers || !self->rtt || !self->rtt_raw || !self->latency || !self->service)
        zlb_stress_stats_destroy (&self);
    return self;
}

void
zlb_stress_stats_destroy (zlb_stress_stats_t **self_p)
{
    if (self_p && *self_p) {
        zlb_stress_stats_t *self = *self_p;
        free (self->workers);
        zlb_histogram_destroy (&self->rtt);
        zlb_histogram_destroy (&self->rtt_raw);
        zlb_histogram_destroy (&self->latency);
        zlb_histogram_destroy (&self->service);
        free (self);
        *self_p = NULL;
    }
}

static void
s_add_status (zlb_stress_stats_t *self, int status, uint64_t count)
{
    for (size_t i = 0; i < self->nstatuses; i++)
        if (self->statuses [i].status == status) {
            self->statuses [i].count += count;
            return;
        }
    if (self->nstatuses < ZLB_STRESS_MAX_STATUSES - 1 || status == ZLB_STRESS_STATUS_OTHER) {
        self->statuses [self->nstatuses].status = status;
        self->statuses [self->nstatuses].count = count;
        self->nstatuses++;
    }
    else
        s_add_status (self, ZLB_STRESS_STATUS_OTHER, count);
}

void
zlb_stress_stats_error (zlb_stress_stats_t *self, int status)
{
    s_add_status (self, status, 1);
}

static void
s_add_worker (zlb_stress_stats_t *self, const char *worker, uint64_t count)
{
    //  Linear search: a run sees a handful of workers, and the last one
    //  found is the likeliest next, so look there first.
    for (size_t i = self->nworkers; i-- > 0;)
        if (strcmp (self->workers [i].id, worker) == 0) {
            self->workers [i].count += count;
            return;
        }
    if (self->nworkers == ZLB_STRESS_MAX_WORKERS) {
        self->workers_other += count;
        return;
    }
    zlb_stress_worker_count_t *entry = &self->workers [self->nworkers++];
    snprintf (entry->id, sizeof (entry->id), "%s", worker);
    entry->count = count;
}

void
zlb_stress_stats_worker (zlb_stress_stats_t *self, const char *worker)
{
    s_add_worker (self, worker && *worker? worker: "(none)", 1);
}

void
zlb_stress_stats_merge (zlb_stress_stats_t *self, const zlb_stress_stats_t *other)
{
    self->sent += other->sent;
    self->ok += other->ok;
    self->errors += other->errors;
    self->timeouts += other->timeouts;
    self->lost += other->lost;
    self->mismatched += other->mismatched;
    self->unknown += other->unknown;
    self->retries += other->retries;
    self->duplicates += other->duplicates;
    self->send_failures += other->send_failures;
    self->unsent += other->unsent;
    if (other->last_done_ns > self->last_done_ns)
        self->last_done_ns = other->last_done_ns;
    for (size_t i = 0; i < other->nstatuses; i++)
        s_add_status (self, other->statuses [i].status, other->statuses [i].count);
    for (size_t i = 0; i < other->nworkers; i++)
        s_add_worker (self, other->workers [i].id, other->workers [i].count);
    self->workers_other += other->workers_other;
    for (size_t i = 0; i < other->nbrokers; i++) {
        self->brokers [i].attempts += other->brokers [i].attempts;
        self->brokers [i].replies += other->brokers [i].replies;
    }
    if (other->nbrokers > self->nbrokers)
        self->nbrokers = other->nbrokers;
    zlb_histogram_merge (self->rtt, other->rtt);
    zlb_histogram_merge (self->rtt_raw, other->rtt_raw);
    zlb_histogram_merge (self->latency, other->latency);
    zlb_histogram_merge (self->service, other->service);
}

static int
s_status_cmp (const void *a, const void *b)
{
    int sa = ((const zlb_stress_status_count_t *) a)->status;
    int sb = ((const zlb_stress_status_count_t *) b)->status;
    return (sa > sb) - (sa < sb);
}

static int
s_worker_cmp (const void *a, const void *b)
{
    return strcmp (((const zlb_stress_worker_count_t *) a)->id,
                   ((const zlb_stress_worker_count_t *) b)->id);
}

void
zlb_stress_stats_sort (zlb_stress_stats_t *self)
{
    qsort (self->statuses, self->nstatuses, sizeof (self->statuses [0]), s_status_cmp);
    qsort (self->workers, self->nworkers, sizeof (self->workers [0]), s_worker_cmp);
}
