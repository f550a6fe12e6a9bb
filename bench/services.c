/*  services.c - fill a broker's service table, for bench/metrics.sh.

        zlb-bench-services ENDPOINT N

    Sends one MDP 0.1 REQUEST to each of N services nobody serves
    ("svc-0" .. "svc-N-1") from one DEALER, then holds the connection until
    SIGINT/SIGTERM. Run the broker with a long --request-timeout-ms and a
    --max-services above N: each request stays queued, so each service stays
    in the table and shows up in every /metrics family.                     */

#include <czmq.h>
#include <stdio.h>
#include <stdlib.h>

int
main (int argc, char *argv [])
{
    int count = argc == 3 ? atoi (argv [2]) : 0;
    if (count < 1) {
        fprintf (stderr, "usage: zlb-bench-services ENDPOINT N\n");
        return 2;
    }
    zsock_t *dealer = zsock_new_dealer (argv [1]);
    if (!dealer) {
        fprintf (stderr, "zlb-bench-services: cannot connect %s\n", argv [1]);
        return 1;
    }
    for (int index = 0; index < count; index++) {
        char service [32];
        snprintf (service, sizeof (service), "svc-%d", index);
        zstr_sendx (dealer, "", "MDPC01", service, "waiting", NULL);
    }
    printf ("services=%d\n", count);
    fflush (stdout);
    while (!zsys_interrupted)
        zclock_sleep (100);
    zsock_destroy (&dealer);
    return 0;
}
