/*  verdict.c - exit code and hint of a zlb-stress run (see verdict.h).    */

#include "verdict.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>

//  Error results with this status.
static uint64_t
s_count (const zlb_stress_stats_t *s, int status)
{
    uint64_t count = 0;
    for (size_t i = 0; i < s->nstatuses; i++)
        if (s->statuses [i].status == status)
            count += s->statuses [i].count;
    return count;
}

//  Nothing succeeded and every answer says "no worker".
static bool
s_no_worker (const zlb_stress_stats_t *s)
{
    return s->ok == 0 && s->errors > 0
        && s_count (s, ZLB_STATUS_NO_WORKER) + s_count (s, 404) == s->errors;
}

int
zlb_stress_verdict (const zlb_stress_params_t *params, const zlb_stress_result_t *result,
                    char *hint, size_t size)
{
    const zlb_stress_stats_t *s = result->stats;
    uint64_t failed = s->errors + s->timeouts;
    double rate = s->sent? (double) failed / (double) s->sent: 0;
    if (s->ok == 0 && s->errors == 0 && s->timeouts > 0)
        snprintf (hint, size, "no reply to any of %" PRIu64 " requests (%" PRIu64 " timed out):"
                  " is a broker running at %s?", s->sent, s->timeouts, params->connect);
    else
    if (s_no_worker (s))
        snprintf (hint, size, "every answer was 'no worker' (%" PRIu64 " x 504/404):"
                  " is a worker serving '%s'?", s->errors, params->service);
    else
    if (s->lost || s->mismatched)
        snprintf (hint, size, "%" PRIu64 " lost (still in flight when the %.1f s drain ended),"
                  " %" PRIu64 " mismatched replies", s->lost, params->drain_ms / 1e3,
                  s->mismatched);
    else
    if (s->ok == 0)
        snprintf (hint, size, "no request succeeded: %" PRIu64 " sent, %" PRIu64 " errors, %"
                  PRIu64 " timeouts (errors by status in the summary)", s->sent, s->errors,
                  s->timeouts);
    else
    if (rate > params->max_error_rate)
        snprintf (hint, size, "%" PRIu64 " of %" PRIu64 " requests failed (%" PRIu64 " errors, %"
                  PRIu64 " timeouts): %.2f%% is above --max-error-rate %.2f%%%s", failed,
                  s->sent, s->errors, s->timeouts, 100 * rate, 100 * params->max_error_rate,
                  s_count (s, ZLB_STATUS_NO_WORKER)? "; 504s mean no worker was free in time": "");
    else {
        *hint = 0;
        return 0;
    }
    return 1;
}
