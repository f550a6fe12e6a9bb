/*  histogram.h - a high-dynamic-range latency histogram (zlb-stress).

    Log-linear buckets in the HdrHistogram manner: values below 256 are
    counted exactly; above that, every power-of-two range [2^k, 2^(k+1))
    is split into 128 equal sub-buckets, so a value is known to within
    1/128 (< 0.8 %) of itself. Values are plain int64 in the caller's unit
    (zlb-stress records nanoseconds) and are clamped into [lowest, highest];
    the clamped ones are counted so a report can say so.

    We write our own because Debian packages no C HdrHistogram (only Java
    and Go ones), and the part we need is ~200 lines. Not thread-safe: each
    thread records into its own histogram, and they are merged at the end. */

#ifndef ZLB_HISTOGRAM_H_INCLUDED
#define ZLB_HISTOGRAM_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct _zlb_histogram_t zlb_histogram_t;

//  Sub-buckets per power of two; relative resolution is 1 / this.
#define ZLB_HISTOGRAM_SUB_BUCKETS 128

//  New empty histogram for values in [lowest, highest] (1 <= lowest < highest).
//  Returns NULL on bad bounds or out of memory.
zlb_histogram_t *zlb_histogram_new (int64_t lowest, int64_t highest);

void zlb_histogram_destroy (zlb_histogram_t **self_p);

//  Count one value (clamped into [lowest, highest]).
void zlb_histogram_record (zlb_histogram_t *self, int64_t value);

//  Add all of other's counts to self. Both must have the same bounds;
//  returns -1 (and changes nothing) if they do not.
int zlb_histogram_merge (zlb_histogram_t *self, const zlb_histogram_t *other);

//  Forget everything recorded.
void zlb_histogram_reset (zlb_histogram_t *self);

uint64_t zlb_histogram_count (const zlb_histogram_t *self);
//  Values that were below lowest / above highest when recorded.
uint64_t zlb_histogram_clamped_low (const zlb_histogram_t *self);
uint64_t zlb_histogram_clamped_high (const zlb_histogram_t *self);
//  Smallest and largest (clamped) values recorded; 0 when empty.
int64_t zlb_histogram_min (const zlb_histogram_t *self);
int64_t zlb_histogram_max (const zlb_histogram_t *self);
//  Exact mean and standard deviation of the (clamped) values; 0 when empty.
double zlb_histogram_mean (const zlb_histogram_t *self);
double zlb_histogram_stddev (const zlb_histogram_t *self);

//  The value at or below which `percentile` % of the values lie (0..100),
//  reported as the highest value equivalent to its bucket, clipped to the
//  recorded min/max, so it is never below the true value and at most
//  1/128 above it; percentile <= 0 gives the min. 0 when empty.
int64_t zlb_histogram_percentile (const zlb_histogram_t *self, double percentile);

//  Walk the non-empty buckets in increasing order. Start with *index = 0;
//  each call returns true and fills the bucket's value range and count,
//  or false when there are no more.
bool zlb_histogram_next_bucket (const zlb_histogram_t *self, size_t *index,
                                int64_t *low, int64_t *high, uint64_t *count);

#endif
