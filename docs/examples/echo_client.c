/*  echo_client.c - a whole program that embeds a zlb client: it sends each
    MESSAGE to the "echo" service and prints the answer. Build and run:

        cc echo_client.c $(pkg-config --cflags --libs zlb) -o echo_client
        ./echo_client tcp://127.0.0.1:5555 hello world                      */

#include <zlb/zlb.h>
#include <stdio.h>
#include <string.h>

int
main (int argc, char *argv [])
{
    if (argc < 3) {
        fprintf (stderr, "usage: echo_client ENDPOINT MESSAGE...\n");
        return 2;
    }
    zlb_client_options_t options;
    zlb_client_options_defaults (&options);
    options.timeout_ms = 2000;            //  per attempt; then the same id goes again
    zlb_client_t *client = zlb_client_new (argv [1], &options);
    if (!client) {
        perror ("zlb_client_new");        //  e.g. an endpoint without tcp://
        return 2;
    }
    int failed = 0;
    for (int index = 2; index < argc && !failed; index++) {
        zlb_result_t result;              //  points into the client until its next call
        if (zlb_client_request (client, "echo", argv [index], strlen (argv [index]),
                                &result) != 0)
            failed = 1;                   //  could not send, or interrupted
        else
        if (result.status == ZLB_STATUS_OK)
            printf ("reply=%.*s worker=%s rtt_us=%ld\n", (int) result.payload_size,
                    (const char *) result.payload, result.worker,
                    (long) (result.rtt_ns / 1000));
        else {
            fprintf (stderr, "status %d: %s\n", result.status, result.error);
            failed = 1;                   //  408: no answer after all retries
        }
    }
    zlb_client_destroy (&client);
    return failed;
}
