/*  metrics.h - the parts of the Prometheus /metrics endpoint.

    The broker's loop only copies numbers: when the HTTP thread needs fresh
    figures (at most once a second, and only while someone scrapes) it asks
    over its actor pipe, and the loop answers with a snapshot, a flat copy
    of the counters (O(services), no formatting). Everything else runs in
    the thread: accepting and timing out connections, parsing (http.h),
    formatting the text, serving it from a one-second cache.

    metrics.c         the broker's side: bind, snapshot, the pipe
    metrics_server.c  the HTTP thread
    metrics_text.c    snapshot -> exposition text (a pure function)        */

#ifndef ZLB_BROKER_METRICS_H_INCLUDED
#define ZLB_BROKER_METRICS_H_INCLUDED

#include <czmq.h>

#include "broker.h"
#include "stats.h"

//  One service's figures at snapshot time.
typedef struct {
    const char *name;             //  points into the snapshot's own block
    broker_service_stats_t stats; //  counters and service-time histogram
    size_t queued;                //  requests waiting
    size_t ready;                 //  workers ready
    size_t workers;               //  workers registered (ready + busy)
    double oldest_s;              //  wait of the oldest queued request
} broker_metrics_service_t;

//  Everything /metrics shows, copied out of the broker in one go. One
//  allocation: free it with broker_metrics_snapshot_destroy.
typedef struct {
    zlb_broker_stats_t broker;    //  the broker-wide counters
    double uptime_s;              //  seconds since the broker started
    double start_time_s;          //  Unix time it started
    size_t count;                 //  services
    broker_metrics_service_t *services;  //  count of them, in table order
} broker_metrics_snapshot_t;

//  metrics.c (the broker's thread). NULL when out of memory.
broker_metrics_snapshot_t *broker_metrics_snapshot_new (zlb_broker_t *broker);
void broker_metrics_snapshot_destroy (broker_metrics_snapshot_t **self_p);

//  metrics_text.c: the text exposition format 0.0.4 of a snapshot, in a
//  malloc'd buffer the caller frees; its length in *size_p. NULL when out
//  of memory.
char *broker_metrics_text (const broker_metrics_snapshot_t *snapshot, size_t *size_p);

//  metrics_server.c: the HTTP thread, a zactor body. args is the
//  listening socket's descriptor (cast to intptr_t), owned from then on.
//  Its pipe carries, thread -> broker: "SNAP" (send me a snapshot) and
//  "LOG" level fields (a line for the broker's log); broker -> thread:
//  "SNAP" pointer (a broker_metrics_snapshot_t, ownership passes; NULL when
//  none could be made).
void broker_metrics_server (zsock_t *pipe, void *args);

//  Limits of the HTTP server (docs/operations.md, "Prometheus").
#define BROKER_METRICS_CONN_MAX 32        //  connections at once; more: 503 and closed
#define BROKER_METRICS_HEAD_MS 3000       //  from accept to a complete request head
#define BROKER_METRICS_LIFE_MS 10000      //  from accept to the end of the answer
#define BROKER_METRICS_CLOSE_MS 1000      //  after the answer, for the peer to close
#define BROKER_METRICS_CACHE_MS 1000      //  the text is rebuilt at most this often
#define BROKER_METRICS_ANSWERS_PER_S 10   //  answers with the text a second; more wait

#endif
