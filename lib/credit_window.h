/*  credit_window.h - how many requests an adaptive worker asks to hold
    (internal; docs/protocol.md "Adaptive credit").

    A worker is kept busy when its next request is already there as it
    finishes one: it needs 1 + ceil(rtt / service) in flight, where rtt is
    the broker round trip (reply out, next request in) and service its own
    time per request. When the round trip is under 1/20 of the service time
    it would win less than 5 %, and a slow worker holding a second request
    makes that request wait behind slow work: the window is 1, strict MDP.

    Pure state, no I/O, times in ns from the caller: unit-tested with made
    up figures (tests/unit/test_credit_window.c).                          */

#ifndef ZLB_CREDIT_WINDOW_H_INCLUDED
#define ZLB_CREDIT_WINDOW_H_INCLUDED

#include <stdint.h>

#define ZLB_CREDIT_WINDOW_DEFAULT_MAX 32  //  the ceiling when the user sets none

typedef struct {
    int max;                      //  never ask for more
    int window;                   //  what we ask for now (starts at 1)
    int64_t service_ns;           //  moving average of service time, 0 until measured
    unsigned served;              //  requests measured so far (saturates)
    int64_t rtt_last_ns;          //  min round trip of the last full epoch, 0: none
    int64_t rtt_epoch_ns;         //  min round trip of the current epoch, 0: no sample
    unsigned epoch_samples;       //  samples in the current epoch
    unsigned since_change;        //  requests served since the window last changed
    unsigned shrink_votes;        //  updates in a row that wanted a smaller window
} zlb_credit_window_t;

//  Start at window 1 (strict until measured), never above max (>= 1).
//  Round trips seen so far; 0 when none.
int64_t zlb_credit_window_rtt (const zlb_credit_window_t *self);

void zlb_credit_window_init (zlb_credit_window_t *self, int max);

//  One request served in service_ns (hand-out to reply).
void zlb_credit_window_served (zlb_credit_window_t *self, int64_t service_ns);

//  A round-trip sample: we replied holding nothing else, and the next
//  request came gap_ns later. It counts only while the window is 1 (and
//  has been for a few requests): with more in flight the next request may
//  have left the broker before our reply got there, so the gap says
//  nothing; the estimate from the strict start then stands. Idle periods
//  make large samples, so the estimate is the smallest of this epoch and
//  the last one: it drops at once and rises only when a whole epoch saw
//  nothing smaller.
void zlb_credit_window_gap (zlb_credit_window_t *self, int64_t gap_ns);

//  The window to ask for now. It changes at most every few requests, and
//  shrinks only to half or less (or to 1) after several requests in a row
//  wanted it, so a noisy sample does not flap it; the caller tells the broker when it differs from what it last asked
//  for (and the state then holds the new value).
int zlb_credit_window_update (zlb_credit_window_t *self);

#endif
