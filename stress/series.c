/*  series.c - per-second time series shared by the threads (see series.h). */

#include "series.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include "stats.h"

typedef struct {
    zlb_stress_interval_t sum;   //  merged counts; sum.rtt freed when summarised
    size_t flushes;              //  threads that have flushed this second
    zlb_stress_second_t summary; //  filled when summarised
} s_entry_t;

struct _zlb_stress_series_t {
    pthread_mutex_t mutex;       //  guards everything below
    size_t threads;              //  flushes that make a second complete
    s_entry_t *entries;          //  one per second, index = second
    size_t size;                 //  seconds in use
    size_t capacity;             //  seconds allocated
};

zlb_stress_series_t *
zlb_stress_series_new (size_t threads)
{
    zlb_stress_series_t *self = (zlb_stress_series_t *) calloc (1, sizeof (*self));
    if (!self)
        return NULL;
    pthread_mutex_init (&self->mutex, NULL);
    self->threads = threads;
    return self;
}

void
zlb_stress_series_destroy (zlb_stress_series_t **self_p)
{
    if (self_p && *self_p) {
        zlb_stress_series_t *self = *self_p;
        for (size_t i = 0; i < self->size; i++)
            zlb_histogram_destroy (&self->entries [i].sum.rtt);
        free (self->entries);
        pthread_mutex_destroy (&self->mutex);
        free (self);
        *self_p = NULL;
    }
}

int
zlb_stress_interval_init (zlb_stress_interval_t *self)
{
    memset (self, 0, sizeof (*self));
    self->rtt = zlb_histogram_new (ZLB_STRESS_HIST_LOWEST, ZLB_STRESS_HIST_HIGHEST);
    return self->rtt? 0: -1;
}

void
zlb_stress_interval_fini (zlb_stress_interval_t *self)
{
    zlb_histogram_destroy (&self->rtt);
}

static void
s_interval_reset (zlb_stress_interval_t *self)
{
    self->sent = self->ok = self->errors = self->timeouts = 0;
    zlb_histogram_reset (self->rtt);
}

//  Make entries [0, second] exist. Caller holds the mutex.
static s_entry_t *
s_require (zlb_stress_series_t *self, size_t second)
{
    if (second >= self->capacity) {
        size_t capacity = self->capacity? self->capacity * 2: 64;
        while (capacity <= second)
            capacity *= 2;
        s_entry_t *entries = (s_entry_t *) realloc (self->entries, capacity * sizeof (s_entry_t));
        if (!entries)
            return NULL;
        memset (entries + self->capacity, 0, (capacity - self->capacity) * sizeof (s_entry_t));
        self->entries = entries;
        self->capacity = capacity;
    }
    if (second >= self->size)
        self->size = second + 1;
    return &self->entries [second];
}

int
zlb_stress_series_flush (zlb_stress_series_t *self, size_t second,
                         zlb_stress_interval_t *interval)
{
    int rc = 0;
    pthread_mutex_lock (&self->mutex);
    s_entry_t *entry = s_require (self, second);
    if (entry) {
        entry->sum.sent += interval->sent;
        entry->sum.ok += interval->ok;
        entry->sum.errors += interval->errors;
        entry->sum.timeouts += interval->timeouts;
        entry->flushes++;
        if (zlb_histogram_count (interval->rtt) && !entry->summary.complete) {
            if (!entry->sum.rtt)
                entry->sum.rtt = zlb_histogram_new (ZLB_STRESS_HIST_LOWEST, ZLB_STRESS_HIST_HIGHEST);
            if (entry->sum.rtt)
                zlb_histogram_merge (entry->sum.rtt, interval->rtt);
        }
    }
    else
        rc = -1;
    pthread_mutex_unlock (&self->mutex);
    s_interval_reset (interval);
    return rc;
}

//  Fill the summary from the merged counts. Caller holds the mutex.
static void
s_summarise (s_entry_t *entry, double span_s)
{
    zlb_stress_second_t *out = &entry->summary;
    out->sent = entry->sum.sent;
    out->ok = entry->sum.ok;
    out->errors = entry->sum.errors;
    out->timeouts = entry->sum.timeouts;
    out->span_s = span_s > 0? span_s: 1;
    out->rps = (double) out->ok / out->span_s;
    zlb_histogram_t *rtt = entry->sum.rtt;
    if (rtt) {
        out->p50 = zlb_histogram_percentile (rtt, 50);
        out->p90 = zlb_histogram_percentile (rtt, 90);
        out->p99 = zlb_histogram_percentile (rtt, 99);
        out->p999 = zlb_histogram_percentile (rtt, 99.9);
        out->max = zlb_histogram_max (rtt);
        out->mean = zlb_histogram_mean (rtt);
    }
}

bool
zlb_stress_series_summarise (zlb_stress_series_t *self, size_t second,
                             bool force, double span_s, zlb_stress_second_t *out)
{
    bool found = false;
    pthread_mutex_lock (&self->mutex);
    if (second < self->size) {
        s_entry_t *entry = &self->entries [second];
        bool complete = entry->flushes >= self->threads;
        if (!entry->summary.complete && (complete || force)) {
            s_summarise (entry, span_s);
            if (complete) {
                //  Nobody will add to it again: keep the numbers, drop the histogram.
                entry->summary.complete = true;
                zlb_histogram_destroy (&entry->sum.rtt);
            }
        }
        if (entry->summary.complete || force) {
            *out = entry->summary;
            found = true;
        }
    }
    pthread_mutex_unlock (&self->mutex);
    return found;
}

bool
zlb_stress_series_get (zlb_stress_series_t *self, size_t second, zlb_stress_second_t *out)
{
    bool found = false;
    pthread_mutex_lock (&self->mutex);
    if (second < self->size) {
        *out = self->entries [second].summary;
        found = true;
    }
    pthread_mutex_unlock (&self->mutex);
    return found;
}

size_t
zlb_stress_series_size (zlb_stress_series_t *self)
{
    pthread_mutex_lock (&self->mutex);
    size_t size = self->size;
    pthread_mutex_unlock (&self->mutex);
    return size;
}
