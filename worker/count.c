/*  count.c - zlb-worker --count N: N worker processes from one command.

    Why processes and not threads: a worker that crashes (a poison request,
    --fail-on) takes only itself down; each one has its own pid, so
    scripts/scale.sh and systemd can stop exactly one with SIGTERM; and the
    library's worker is one per thread anyway, so processes cost nothing
    extra in code. The parent does no ZeroMQ at all: it only forwards
    signals and collects exit codes. It is not a supervisor (it does not
    restart a child that died): use systemd for that.                       */

#include "count.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#define S_COUNT_MAX 1024

volatile sig_atomic_t zlb_worker_hup;

static pid_t s_children [S_COUNT_MAX];
static volatile sig_atomic_t s_nchildren;

static void
s_on_hup (int signum)
{
    (void) signum;
    zlb_worker_hup = 1;
}

void
zlb_worker_hup_install (void)
{
    struct sigaction action = {.sa_handler = s_on_hup};
    sigemptyset (&action.sa_mask);
    sigaction (SIGHUP, &action, NULL);
}

//  Parent: pass the signal on to every child (kill is async-signal-safe).
static void
s_forward (int signum)
{
    for (int index = 0; index < s_nchildren; index++)
        if (s_children [index] > 0)
            kill (s_children [index], signum);
}

static void
s_parent_signals (void)
{
    struct sigaction action = {.sa_handler = s_forward};
    sigemptyset (&action.sa_mask);
    sigaction (SIGINT, &action, NULL);
    sigaction (SIGTERM, &action, NULL);
    sigaction (SIGHUP, &action, NULL);
}

//  Wait for every child; exit 0 only if all exited 0.
static void
s_parent_wait (int count, int failed)
{
    int left = count;
    while (left > 0) {
        int status;
        pid_t pid = waitpid (-1, &status, 0);
        if (pid == -1) {
            if (errno == EINTR)
                continue;
            break;               //  ECHILD: nobody left
        }
        left--;
        if (!WIFEXITED (status) || WEXITSTATUS (status) != 0) {
            failed++;
            fprintf (stderr, "zlb-worker: child %d %s %d\n", (int) pid,
                     WIFEXITED (status) ? "exited with" : "killed by signal",
                     WIFEXITED (status) ? WEXITSTATUS (status) : WTERMSIG (status));
        }
    }
    exit (failed ? 1 : 0);
}

int
zlb_worker_fork (int count)
{
    if (count < 1 || count > S_COUNT_MAX)
        count = 1;
    //  Handlers first, so a signal during the forks reaches those started.
    s_parent_signals ();
    for (int index = 1; index <= count; index++) {
        pid_t pid = fork ();
        if (pid == 0) {
            //  Child: default dispositions; libzlb's own handlers come later.
            signal (SIGINT, SIG_DFL);
            signal (SIGTERM, SIG_DFL);
            signal (SIGHUP, SIG_DFL);
            return index;
        }
        if (pid == -1) {
            fprintf (stderr, "zlb-worker: fork failed: %s\n", strerror (errno));
            s_forward (SIGTERM);
            s_parent_wait (index - 1, 1);
        }
        s_children [index - 1] = pid;
        s_nchildren = index;
    }
    s_parent_wait (count, 0);
    return 0;                    //  not reached
}
