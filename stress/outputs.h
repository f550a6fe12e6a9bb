/*  outputs.h - where zlb-stress writes its files (--json, --csv, --report,
    --log): checked before any load is sent, so that a typo costs nothing
    but an exit 2; "-" is standard output for --json and --csv.          */

#ifndef ZLB_STRESS_OUTPUTS_H_INCLUDED
#define ZLB_STRESS_OUTPUTS_H_INCLUDED

#include <stdbool.h>
#include <stdio.h>
#include "params.h"

//  0 when every output path given can be written (an existing file is
//  not touched, a new one is created and removed again), -1 with a
//  one-line reason in err: a missing folder, a directory, no permission,
//  a --report name not ending in .svg or .html, "-" where it is not allowed.
int zlb_stress_outputs_check (const zlb_stress_params_t *params, char *err, size_t errsize);

//  True when --json or --csv is "-": the summary for people then goes to
//  standard error so that standard output holds only the data.
bool zlb_stress_outputs_use_stdout (const zlb_stress_params_t *params);

//  Open path for writing ("-": stdout), and close what it returned
//  (stdout is flushed, not closed). Close returns 0, or -1 on a write error.
FILE *zlb_stress_output_open (const char *path);
int zlb_stress_output_close (FILE *out);

#endif
