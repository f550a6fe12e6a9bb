/*  verdict.h - how a zlb-stress run ended: its exit code and, when it
    failed, a hint for people that names the likely cause.

    Exit 1 when replies were lost or mismatched, when no request succeeded,
    or when errors + timeouts are above --max-error-rate of the requests
    sent (default 0: any). The hint is derived from what happened: no reply
    at all (every request timed out) points at the broker endpoint; only
    504/404 answers point at the service having no worker.                */

#ifndef ZLB_STRESS_VERDICT_H_INCLUDED
#define ZLB_STRESS_VERDICT_H_INCLUDED

#include <stddef.h>
#include "params.h"
#include "runner.h"

//  0 or 1; when 1, why (one line, no newline) in hint.
int zlb_stress_verdict (const zlb_stress_params_t *params, const zlb_stress_result_t *result,
                        char *hint, size_t size);

#endif
