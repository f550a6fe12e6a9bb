/*  credit_window.c - the adaptive worker's window (credit_window.h).  */

#include "credit_window.h"

#include <stdbool.h>
#include <string.h>

#define S_EPOCH_SAMPLES   32      //  round-trip samples per epoch
#define S_SERVED_MIN      8       //  requests measured before the first change
#define S_STEADY          8       //  requests served between two changes
#define S_WORTH_IT        20      //  strict unless rtt > service / 20 (5 %)
#define S_VOTES           8       //  requests in a row that must want a shrink

void
zlb_credit_window_init (zlb_credit_window_t *self, int max)
{
    memset (self, 0, sizeof *self);
    self->max = max < 1 ? 1 : max;
    self->window = 1;
    self->since_change = S_STEADY;    //  no wider window before: gaps count at once
}

void
zlb_credit_window_served (zlb_credit_window_t *self, int64_t service_ns)
{
    if (service_ns < 0)
        service_ns = 0;
    //  A moving average over about the last 8 requests.
    if (self->served == 0)
        self->service_ns = service_ns;
    else
        self->service_ns += (service_ns - self->service_ns) / 8;
    if (self->served < UINT32_MAX)
        self->served++;
    if (self->since_change < UINT32_MAX)
        self->since_change++;
}

static int64_t
s_min (int64_t a, int64_t b)
{
    return a == 0 ? b : b == 0 ? a : a < b ? a : b;
}

void
zlb_credit_window_gap (zlb_credit_window_t *self, int64_t gap_ns)
{
    //  Only one request at a time, and none left from a wider window,
    //  makes the gap a round trip: with more, the next request may have
    //  been on its way before our reply (a gap of microseconds).
    if (gap_ns <= 0 || self->window > 1 || self->since_change < S_STEADY)
        return;
    self->rtt_epoch_ns = s_min (self->rtt_epoch_ns, gap_ns);
    if (++self->epoch_samples == S_EPOCH_SAMPLES) {
        self->rtt_last_ns = self->rtt_epoch_ns;
        self->rtt_epoch_ns = 0;
        self->epoch_samples = 0;
    }
}

int64_t
zlb_credit_window_rtt (const zlb_credit_window_t *self)
{
    return s_min (self->rtt_last_ns, self->rtt_epoch_ns);
}

//  What the rule says for these figures.
static int
s_wanted (const zlb_credit_window_t *self, int64_t rtt)
{
    int64_t service = self->service_ns;
    if (rtt <= service / S_WORTH_IT)
        return 1;
    if (service <= 0 || rtt / service >= self->max)
        return self->max;
    int64_t wanted = 1 + (rtt + service - 1) / service;
    return wanted > self->max ? self->max : (int) wanted;
}

int
zlb_credit_window_update (zlb_credit_window_t *self)
{
    int64_t rtt = zlb_credit_window_rtt (self);
    if (self->served < S_SERVED_MIN || rtt == 0 || self->since_change < S_STEADY)
        return self->window;
    //  Grow at once. Shrink only to half or less (or to 1), and only when
    //  S_VOTES requests in a row say so: a service time that wobbles (the
    //  worker shares a CPU and is preempted mid-request) must not flap the
    //  window, and a window a little too wide costs nothing while idle
    //  workers are served first.
    int wanted = s_wanted (self, rtt);
    bool grow = wanted > self->window;
    bool shrink = wanted < self->window && (wanted == 1 || wanted * 2 <= self->window);
    self->shrink_votes = shrink ? self->shrink_votes + 1 : 0;
    if (grow || self->shrink_votes >= S_VOTES) {
        self->window = wanted;
        self->since_change = 0;
        self->shrink_votes = 0;
    }
    return self->window;
}
