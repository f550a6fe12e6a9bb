/*  report.h - what zlb-stress tells people: progress line, summary, JSON,
    CSV and the SVG picture. The JSON schema is in docs/stress.md.        */

#ifndef ZLB_STRESS_REPORT_H_INCLUDED
#define ZLB_STRESS_REPORT_H_INCLUDED

#include <stdbool.h>
#include <stdio.h>
#include "params.h"
#include "runner.h"

//  Format a duration given in ns for people: "412.3us", "1.23ms", "2.50s".
char *zlb_stress_fmt_ns (double ns, char *buf, size_t size);

//  One progress line (no newline handling: the caller decides \r or \n);
//  a second of the drain after the measured period says so.
void zlb_stress_progress_line (char *buf, size_t size, size_t second, bool drain,
                               const zlb_stress_second_t *summary,
                               uint64_t errors, uint64_t timeouts);

//  The final summary for people.
void zlb_stress_summary_print (FILE *out, const zlb_stress_params_t *params,
                               const zlb_stress_result_t *result);

//  Write the JSON document / the CSV series ("-": standard output). 0 on
//  success, -1 with errno.
int zlb_stress_json_write (const char *path, const zlb_stress_params_t *params,
                           const zlb_stress_result_t *result);
int zlb_stress_csv_write (const char *path, const zlb_stress_result_t *result);

//  Write the SVG picture (or an HTML page holding it when path ends in
//  .html). 0 on success, -1 with errno.
int zlb_stress_svg_write (const char *path, const zlb_stress_params_t *params,
                          const zlb_stress_result_t *result);

#endif
