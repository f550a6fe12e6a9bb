/*  params.h - zlb-stress command line (see docs/stress.md).               */

#ifndef ZLB_STRESS_PARAMS_H_INCLUDED
#define ZLB_STRESS_PARAMS_H_INCLUDED

#include <stdbool.h>
#include <stdio.h>
#include <stddef.h>
#include <stdint.h>
#include "zlb/log.h"
#include "options.h"

typedef struct {
    const char *connect;        //  the first broker endpoint (what reports name)
    zlb_opt_list_t brokers;     //  every --connect, in order (each client uses all)
    const char *service;        //  service to call
    size_t clients;             //  request streams (one zlb_client_t each)
    size_t threads;             //  threads driving the streams
    size_t pipeline;            //  requests in flight per stream
    bool pipeline_set;          //  given on the command line
    double rate;                //  open loop: total req/s; 0 = closed loop
    int64_t duration_ms;        //  measured period (unless --requests ends it first)
    bool duration_set;          //  given on the command line
    uint64_t requests;          //  total counted requests; 0 = no limit
    int64_t warmup_ms;          //  unmeasured period before the measured one
    size_t size;                //  payload bytes per request
    int timeout_ms;             //  client: wait per attempt
    int retries;                //  client: resends after the first attempt
    int64_t drain_ms;           //  wait for stragglers after the last send
    double max_error_rate;      //  errors + timeouts over sent above this: exit 1
    const char *json_path;      //  --json FILE or NULL
    const char *csv_path;       //  --csv FILE or NULL
    const char *report_path;    //  --report FILE.svg|.html or NULL
    const char *log_path;       //  --log FILE or NULL
    zlb_log_level_t log_level;  //  --log-level
    const char *broker_key;     //  --broker-key FILE: CURVE on
    const char *curve_secret;   //  --curve-secret FILE or NULL (ephemeral keys)
    char curve_server_key [41]; //  broker's public key (Z85), "" when plain
    uint8_t curve_public [32];  //  our keys from --curve-secret (binary)
    uint8_t curve_secret_key [32];
    bool curve_cert_set;        //  curve_public/curve_secret_key are loaded
} zlb_stress_params_t;

//  Parse argv (lib/options.h): ZLB_OPTIONS_RUN when params are ready,
//  ZLB_OPTIONS_DONE after --help/--version, ZLB_OPTIONS_BAD after saying
//  on stderr what is wrong.
int zlb_stress_params_parse (zlb_stress_params_t *self, int argc, char **argv);

#endif
