/*  histogram.c - log-linear high-dynamic-range histogram (see histogram.h).

    Index of a value v:
      v < 256            -> v                       (exact)
      v >= 256, msb = m  -> (m - 7) * 128 + (v >> (m - 7))
    The second form keeps the top 8 bits of v, so sub-buckets in the range
    [2^m, 2^(m+1)) are 2^(m-7) wide: 1/128 of the range's low edge.       */

#include "histogram.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define S_LINEAR_LIMIT (2 * ZLB_HISTOGRAM_SUB_BUCKETS)    //  256: exact below this

struct _zlb_histogram_t {
    int64_t lowest;              //  smaller values are clamped up to this
    int64_t highest;             //  larger values are clamped down to this
    size_t size;                 //  number of counters
    uint64_t *counts;            //  one counter per bucket
    uint64_t total;              //  values recorded
    uint64_t clamped_low;        //  values that were below lowest
    uint64_t clamped_high;       //  values that were above highest
    int64_t min;                 //  smallest value recorded (after clamping)
    int64_t max;                 //  largest value recorded (after clamping)
    double sum;                  //  exact sum, for the mean
    double sum_sq;               //  sum of squares, for the standard deviation
};

static size_t
s_index (int64_t value)
{
    if (value < S_LINEAR_LIMIT)
        return (size_t) value;
    int msb = 63 - __builtin_clzll ((unsigned long long) value);
    int shift = msb - 7;
    return (size_t) shift * ZLB_HISTOGRAM_SUB_BUCKETS + (size_t) (value >> shift);
}

//  Lowest value of bucket idx and its width.
static void
s_bucket_range (size_t idx, int64_t *low, int64_t *width)
{
    if (idx < S_LINEAR_LIMIT) {
        *low = (int64_t) idx;
        *width = 1;
        return;
    }
    size_t shift = idx / ZLB_HISTOGRAM_SUB_BUCKETS - 1;
    size_t sub = idx - shift * ZLB_HISTOGRAM_SUB_BUCKETS;
    *low = (int64_t) sub << shift;
    *width = (int64_t) 1 << shift;
}

zlb_histogram_t *
zlb_histogram_new (int64_t lowest, int64_t highest)
{
    if (lowest < 1 || highest <= lowest || highest > ((int64_t) 1 << 62))
        return NULL;
    zlb_histogram_t *self = (zlb_histogram_t *) calloc (1, sizeof (*self));
    if (!self)
        return NULL;
    self->lowest = lowest;
    self->highest = highest;
    self->size = s_index (highest) + 1;
    self->counts = (uint64_t *) calloc (self->size, sizeof (uint64_t));
    if (!self->counts) {
        free (self);
        return NULL;
    }
    return self;
}

void
zlb_histogram_destroy (zlb_histogram_t **self_p)
{
    if (self_p && *self_p) {
        free ((*self_p)->counts);
        free (*self_p);
        *self_p = NULL;
    }
}

void
zlb_histogram_record (zlb_histogram_t *self, int64_t value)
{
    if (value < self->lowest) {
        value = self->lowest;
        self->clamped_low++;
    }
    else
    if (value > self->highest) {
        value = self->highest;
        self->clamped_high++;
    }
    self->counts [s_index (value)]++;
    if (self->total == 0 || value < self->min)
        self->min = value;
    if (self->total == 0 || value > self->max)
        self->max = value;
    self->total++;
    self->sum += (double) value;
    self->sum_sq += (double) value * (double) value;
}

int
zlb_histogram_merge (zlb_histogram_t *self, const zlb_histogram_t *other)
{
    if (self->lowest != other->lowest || self->highest != other->highest)
        return -1;
    if (other->total == 0)
        return 0;
    for (size_t i = 0; i < self->size; i++)
        self->counts [i] += other->counts [i];
    if (self->total == 0 || other->min < self->min)
        self->min = other->min;
    if (self->total == 0 || other->max > self->max)
        self->max = other->max;
    self->total += other->total;
    self->clamped_low += other->clamped_low;
    self->clamped_high += other->clamped_high;
    self->sum += other->sum;
    self->sum_sq += other->sum_sq;
    return 0;
}

void
zlb_histogram_reset (zlb_histogram_t *self)
{
    memset (self->counts, 0, self->size * sizeof (uint64_t));
    self->total = self->clamped_low = self->clamped_high = 0;
    self->min = self->max = 0;
    self->sum = self->sum_sq = 0;
}

uint64_t zlb_histogram_count (const zlb_histogram_t *self) { return self->total; }
uint64_t zlb_histogram_clamped_low (const zlb_histogram_t *self) { return self->clamped_low; }
uint64_t zlb_histogram_clamped_high (const zlb_histogram_t *self) { return self->clamped_high; }
int64_t zlb_histogram_min (const zlb_histogram_t *self) { return self->min; }
int64_t zlb_histogram_max (const zlb_histogram_t *self) { return self->max; }

double
zlb_histogram_mean (const zlb_histogram_t *self)
{
    return self->total? self->sum / (double) self->total: 0;
}

double
zlb_histogram_stddev (const zlb_histogram_t *self)
{
    if (self->total == 0)
        return 0;
    double mean = zlb_histogram_mean (self);
    double variance = self->sum_sq / (double) self->total - mean * mean;
    return variance > 0? sqrt (variance): 0;
}

int64_t
zlb_histogram_percentile (const zlb_histogram_t *self, double percentile)
{
    if (self->total == 0)
        return 0;
    if (percentile >= 100)
        return self->max;
    if (percentile <= 0)
        return self->min;
    //  Rank of the wanted value, 1-based: the smallest count that covers it.
    uint64_t rank = (uint64_t) ceil (percentile / 100.0 * (double) self->total);
    if (rank < 1)
        rank = 1;
    uint64_t seen = 0;
    for (size_t i = 0; i < self->size; i++) {
        seen += self->counts [i];
        if (seen >= rank) {
            int64_t low, width;
            s_bucket_range (i, &low, &width);
            int64_t value = low + width - 1;
            if (value > self->max)
                value = self->max;
            if (value < self->min)
                value = self->min;
            return value;
        }
    }
    return self->max;
}

bool
zlb_histogram_next_bucket (const zlb_histogram_t *self, size_t *index,
                           int64_t *low, int64_t *high, uint64_t *count)
{
    for (size_t i = *index; i < self->size; i++) {
        if (self->counts [i]) {
            int64_t width;
            s_bucket_range (i, low, &width);
            *high = *low + width - 1;
            *count = self->counts [i];
            *index = i + 1;
            return true;
        }
    }
    *index = self->size;
    return false;
}
