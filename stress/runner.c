/*  runner.c - threads and poll loops of a zlb-stress run (see runner.h).

    Each thread: one loop over its streams --
        flush finished seconds -> take results -> send what is due ->
        decide whether the run is over -> sleep until the next thing to do.
    The sleep is a ppoll on the sockets' ZMQ_FDs with a nanosecond timeout
    (after checking ZMQ_EVENTS, exactly as zmq_poll does internally): in
    open loop the next send is often less than a millisecond away, and
    zmq_poll's millisecond timeout would make every such send late, which
    the coordinated-omission correction would then (rightly) charge to the
    system under test.                                                    */

#define _GNU_SOURCE             //  ppoll
#include "runner.h"

#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <time.h>
#include "stream.h"
#include "util.h"

#define S_NS_PER_S      1000000000LL
#define S_MAX_SLEEP_NS  50000000LL      //  wake at least this often to see a stop
#define S_PROGRESS_WAIT_NS 300000000LL  //  how long past a second to wait for late threads

typedef struct _s_shared_t s_shared_t;

typedef struct {
    s_shared_t *shared;          //  the run this thread belongs to
    size_t index;                //  thread number
    zlb_stress_stream_t **streams;   //  the streams it drives
    size_t nstreams;
    struct pollfd *fds;          //  their sockets' ZMQ_FDs (one per broker each), for ppoll
    size_t nfds;
    zlb_stress_stats_t *stats;   //  its figures
    zlb_stress_interval_t interval;  //  the current second
    size_t second;               //  index of the current second
    zlb_log_t *log;              //  its own handle on the run log (may be NULL)
    pthread_t thread;
    bool started;                //  thread was created
} s_thread_t;

struct _s_shared_t {
    zlb_stress_plan_t plan;      //  what every thread knows
    zlb_stress_series_t *series; //  per-second series
    atomic_int running;          //  threads not yet finished
    atomic_bool stop;            //  stop sending (signal, or a thread failed)
    atomic_bool interrupted;     //  stopped by SIGINT/SIGTERM
    atomic_int sending;          //  threads still sending
    _Atomic int64_t send_end_ns; //  when the last of them stopped
};

//  --- one thread -----------------------------------------------------------

//  Hand over every second that is over at now.
static void
s_flush_seconds (s_thread_t *self, int64_t now)
{
    const zlb_stress_plan_t *plan = &self->shared->plan;
    if (now < plan->measure_ns)
        return;
    while (now >= plan->measure_ns + (int64_t) (self->second + 1) * S_NS_PER_S) {
        zlb_stress_series_flush (self->shared->series, self->second, &self->interval);
        self->second++;
    }
}

//  True if some socket already has input (then we must not sleep).
static bool
s_any_readable (s_thread_t *self)
{
    for (size_t i = 0; i < self->nstreams; i++)
        for (size_t j = 0; j < zlb_stress_stream_socks (self->streams [i]); j++)
            if (zsock_events (zlb_stress_stream_sock (self->streams [i], j)) & ZMQ_POLLIN)
                return true;
    return false;
}

static void
s_sleep_until (s_thread_t *self, int64_t wake, int64_t now)
{
    if (wake <= now || s_any_readable (self))
        return;
    int64_t wait = wake - now;
    if (wait > S_MAX_SLEEP_NS)
        wait = S_MAX_SLEEP_NS;
    struct timespec timeout = { (time_t) (wait / S_NS_PER_S), (long) (wait % S_NS_PER_S) };
    ppoll (self->fds, self->nfds, &timeout, NULL);
}

//  Earliest moment this thread has something to do.
static int64_t
s_next_wake (s_thread_t *self, int64_t now, bool sending, int64_t drain_end)
{
    const zlb_stress_plan_t *plan = &self->shared->plan;
    int64_t wake = now < plan->measure_ns? plan->measure_ns
                 : plan->measure_ns + (int64_t) (self->second + 1) * S_NS_PER_S;
    if (sending && plan->end_ns < wake && plan->end_ns > now)
        wake = plan->end_ns;
    if (!sending && drain_end < wake)
        wake = drain_end;
    for (size_t i = 0; i < self->nstreams; i++) {
        int64_t at = zlb_stress_stream_next_wake (self->streams [i], plan, now, sending);
        if (at < wake)
            wake = at;
    }
    return wake;
}

//  Note when this thread stopped sending: the last one to stop ends the
//  measured period (for a timed run, at most its planned end).
static void
s_stopped_sending (s_shared_t *shared, int64_t now)
{
    int64_t seen = atomic_load (&shared->send_end_ns);
    while (now > seen && !atomic_compare_exchange_weak (&shared->send_end_ns, &seen, now))
        ;
    atomic_fetch_sub (&shared->sending, 1);
}

static void *
s_thread_main (void *arg)
{
    s_thread_t *self = (s_thread_t *) arg;
    s_shared_t *shared = self->shared;
    const zlb_stress_plan_t *plan = &shared->plan;
    zlb_stress_sink_t sink = { self->stats, &self->interval, self->log, { .burst = 10 } };
    prctl (PR_SET_TIMERSLACK, 1UL, 0, 0, 0);    //  wake on time, not up to 50 us late
    bool sending = true;
    bool measuring = false;
    int64_t drain_end = INT64_MAX;
    while (true) {
        int64_t now = zlb_mono_ns ();
        if (!measuring && now >= plan->measure_ns) {
            for (size_t i = 0; i < self->nstreams; i++)
                zlb_stress_stream_measure_start (self->streams [i]);
            measuring = true;
        }
        s_flush_seconds (self, now);
        size_t pending = 0;
        bool done = true;
        for (size_t i = 0; i < self->nstreams; i++) {
            zlb_stress_stream_t *stream = self->streams [i];
            if (zlb_stress_stream_receive (stream, plan, &sink, now))
                atomic_store (&shared->stop, true);
            if (sending && !atomic_load (&shared->stop))
                zlb_stress_stream_send (stream, plan, &sink, now);
            pending += zlb_stress_stream_pending (stream);
            done = done && zlb_stress_stream_done (stream, plan, now);
        }
        if (sending && (done || atomic_load (&shared->stop) || zsys_interrupted)) {
            sending = false;
            s_stopped_sending (shared, now);
            int64_t drain = plan->params->drain_ms * 1000000;
            if (atomic_load (&shared->stop) || zsys_interrupted)
                drain = drain < S_NS_PER_S? drain: S_NS_PER_S;   //  user wants out
            drain_end = now + drain;
        }
        if (!sending && (pending == 0 || now >= drain_end))
            break;
        s_sleep_until (self, s_next_wake (self, now, sending, drain_end), now);
    }
    //  Seconds up to now, including the one in progress.
    int64_t now = zlb_mono_ns ();
    s_flush_seconds (self, now);
    if (now >= plan->measure_ns)
        zlb_stress_series_flush (shared->series, self->second, &self->interval);
    for (size_t i = 0; i < self->nstreams; i++)
        zlb_stress_stream_finish (self->streams [i], plan, self->stats);
    atomic_fetch_sub (&shared->running, 1);
    return NULL;
}

//  --- setting up -----------------------------------------------------------

//  Measured requests stream `index` may send (--requests split evenly).
static uint64_t
s_quota (const zlb_stress_params_t *params, size_t index)
{
    if (params->requests == 0)
        return UINT64_MAX;
    uint64_t share = params->requests / params->clients;
    return share + (index < params->requests % params->clients? 1: 0);
}

static int
s_thread_init (s_thread_t *self, s_shared_t *shared, size_t index,
               const zlb_stress_params_t *params, char *err, size_t errsize)
{
    self->shared = shared;
    self->index = index;
    self->nstreams = (params->clients - index + params->threads - 1) / params->threads;
    self->streams = (zlb_stress_stream_t **) calloc (self->nstreams, sizeof (void *));
    size_t brokers = (size_t) params->brokers.count;
    self->fds = (struct pollfd *) calloc (self->nstreams * brokers, sizeof (struct pollfd));
    self->stats = zlb_stress_stats_new ();
    if (!self->streams || !self->fds || !self->stats || zlb_stress_interval_init (&self->interval)) {
        snprintf (err, errsize, "out of memory");
        return -1;
    }
    if (params->log_path) {
        char id [24];
        snprintf (id, sizeof (id), "t%zu", index);
        self->log = zlb_log_new (params->log_path, "stress", id, params->log_level);
    }
    for (size_t i = 0; i < self->nstreams; i++) {
        size_t stream = index + i * params->threads;
        self->streams [i] = zlb_stress_stream_new (&shared->plan, stream,
                                                   s_quota (params, stream), self->log);
        if (!self->streams [i]) {
            snprintf (err, errsize, "cannot create a client for %s%s: %s",
                      params->connect, brokers > 1 ? " and the other brokers" : "",
                      strerror (errno));
            return -1;
        }
        for (size_t j = 0; j < brokers; j++) {
            self->fds [self->nfds].fd = zsock_fd (zlb_stress_stream_sock (self->streams [i], j));
            self->fds [self->nfds++].events = POLLIN;
        }
    }
    return 0;
}

static void
s_thread_fini (s_thread_t *self)
{
    for (size_t i = 0; self->streams && i < self->nstreams; i++)
        zlb_stress_stream_destroy (&self->streams [i]);
    free (self->streams);
    free (self->fds);
    zlb_stress_stats_destroy (&self->stats);
    zlb_stress_interval_fini (&self->interval);
    zlb_log_destroy (&self->log);
}

static void
s_plan (s_shared_t *shared, const zlb_stress_params_t *params)
{
    zlb_stress_plan_t *plan = &shared->plan;
    plan->params = params;
    plan->open_loop = params->rate > 0;
    plan->start_ns = zlb_mono_ns ();
    plan->measure_ns = plan->start_ns + params->warmup_ms * 1000000;
    //  --requests alone runs until done; --duration (given or default) ends it.
    bool timed = params->duration_set || params->requests == 0;
    plan->end_ns = timed? plan->measure_ns + params->duration_ms * 1000000: INT64_MAX;
    if (plan->open_loop)
        zlb_schedule_init (&plan->schedule, params->rate, params->clients, plan->start_ns);
}

//  --- the caller's side: progress, then merge -------------------------------

static void
s_sleep_ns (int64_t ns)
{
    if (ns <= 0)
        return;
    struct timespec ts = { (time_t) (ns / S_NS_PER_S), (long) (ns % S_NS_PER_S) };
    nanosleep (&ts, NULL);
}

//  When the measured period ended, as far as is known now (INT64_MAX:
//  not yet).
static int64_t
s_measured_end (s_shared_t *shared)
{
    int64_t end = shared->plan.end_ns;
    if (atomic_load (&shared->sending) == 0 && atomic_load (&shared->send_end_ns) < end)
        end = atomic_load (&shared->send_end_ns);
    return end;
}

//  Report each second as it completes until every thread is done.
static void
s_progress_loop (s_shared_t *shared, zlb_stress_progress_fn *progress, void *arg)
{
    const zlb_stress_plan_t *plan = &shared->plan;
    size_t second = 0;
    uint64_t errors = 0, timeouts = 0;
    while (true) {
        if (zsys_interrupted) {
            //  Stop sending, then clear the flag so the clients can still take
            //  the answers in flight during the (shortened) drain; a second
            //  signal sets it again and ends the drain at once.
            atomic_store (&shared->interrupted, true);
            atomic_store (&shared->stop, true);
            zsys_interrupted = 0;
        }
        bool running = atomic_load (&shared->running) > 0;
        int64_t now = zlb_mono_ns ();
        int64_t due = plan->measure_ns + (int64_t) (second + 1) * S_NS_PER_S;
        if (!running && (now < due || second >= zlb_stress_series_size (shared->series)))
            break;                  //  done; a second cut short is not a progress line
        if (now < due) {
            int64_t wait = due - now;
            s_sleep_ns (wait < S_MAX_SLEEP_NS? wait: S_MAX_SLEEP_NS);
            continue;
        }
        zlb_stress_second_t summary;
        bool force = !running || now >= due + S_PROGRESS_WAIT_NS;
        if (zlb_stress_series_summarise (shared->series, second, force, 1.0, &summary)) {
            errors += summary.errors;
            timeouts += summary.timeouts;
            bool drain = due - S_NS_PER_S >= s_measured_end (shared);
            if (progress)
                progress (arg, second, drain, &summary, errors, timeouts);
            second++;
        }
        else
            s_sleep_ns (5000000);
    }
}

static void
s_merge (s_thread_t *threads, size_t nthreads, s_shared_t *shared,
         zlb_stress_result_t *result)
{
    const zlb_stress_plan_t *plan = &shared->plan;
    for (size_t i = 0; i < nthreads; i++)
        zlb_stress_stats_merge (result->stats, threads [i].stats);
    zlb_stress_stats_sort (result->stats);
    //  Timed: the planned end, unless sending stopped sooner; --requests
    //  alone: until the last answer.
    int64_t end = atomic_load (&shared->send_end_ns);
    if (plan->end_ns == INT64_MAX && result->stats->last_done_ns > end)
        end = result->stats->last_done_ns;
    if (end > plan->end_ns)
        end = plan->end_ns;
    int64_t finished = zlb_mono_ns ();
    result->measured_ns = end > plan->measure_ns? end - plan->measure_ns: 0;
    result->drain_ns = finished > end? finished - end: 0;
    double seconds = result->measured_ns / 1e9;
    result->throughput_rps = seconds > 0? result->stats->ok / seconds: 0;
    //  Final pass over the series (drain included): every second now has
    //  all its data; the last one is usually shorter than a second.
    double total = (finished - plan->measure_ns) / 1e9;
    result->seconds = zlb_stress_series_size (shared->series);
    for (size_t s = 0; s < result->seconds; s++) {
        double span = total - (double) s;
        zlb_stress_second_t summary;
        zlb_stress_series_summarise (shared->series, s, true,
                                     span < 1? (span > 0.001? span: 0.001): 1, &summary);
    }
}

int
zlb_stress_run (const zlb_stress_params_t *params, zlb_log_t *log,
                zlb_stress_progress_fn *progress, void *progress_arg,
                zlb_stress_result_t *result, char *err, size_t errsize)
{
    memset (result, 0, sizeof (*result));
    s_shared_t shared;
    memset (&shared, 0, sizeof (shared));
    s_plan (&shared, params);
    shared.series = zlb_stress_series_new (params->threads);
    result->stats = zlb_stress_stats_new ();
    s_thread_t *threads = (s_thread_t *) calloc (params->threads, sizeof (s_thread_t));
    int rc = -1;
    if (!shared.series || !result->stats || !threads) {
        snprintf (err, errsize, "out of memory");
        goto cleanup;
    }
    for (size_t i = 0; i < params->threads; i++)
        if (s_thread_init (&threads [i], &shared, i, params, err, errsize))
            goto cleanup;
    //  The clock starts once every client exists, so connecting is not measured.
    s_plan (&shared, params);
    zlb_utc_timestamp (result->started_at, sizeof (result->started_at), false);
    zlb_log (log, ZLB_LOG_INFO, "run_start", "threads=%zu clients=%zu", params->threads,
             params->clients);
    atomic_store (&shared.running, (int) params->threads);
    atomic_store (&shared.sending, (int) params->threads);
    for (size_t i = 0; i < params->threads; i++) {
        if (pthread_create (&threads [i].thread, NULL, s_thread_main, &threads [i])) {
            atomic_store (&shared.stop, true);
            atomic_fetch_sub (&shared.running, (int) (params->threads - i));
            atomic_fetch_sub (&shared.sending, (int) (params->threads - i));
            snprintf (err, errsize, "cannot start thread %zu", i);
            break;
        }
        threads [i].started = true;
    }
    s_progress_loop (&shared, progress, progress_arg);
    for (size_t i = 0; i < params->threads; i++)
        if (threads [i].started)
            pthread_join (threads [i].thread, NULL);
    if (threads [params->threads - 1].started) {
        s_merge (threads, params->threads, &shared, result);
        result->series = shared.series;
        shared.series = NULL;
        result->interrupted = atomic_load (&shared.interrupted) || zsys_interrupted;
        rc = 0;
    }
cleanup:
    for (size_t i = 0; threads && i < params->threads; i++)
        s_thread_fini (&threads [i]);
    free (threads);
    zlb_stress_series_destroy (&shared.series);
    if (rc)
        zlb_stress_stats_destroy (&result->stats);
    return rc;
}

void
zlb_stress_result_fini (zlb_stress_result_t *result)
{
    zlb_stress_stats_destroy (&result->stats);
    zlb_stress_series_destroy (&result->series);
}
