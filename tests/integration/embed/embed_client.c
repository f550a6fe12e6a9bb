/*  embed_client.c - the smallest program that embeds a zlb client. The
    install test builds it against an installed tree with nothing but
    `pkg-config --cflags --libs zlb`, then runs it against a broker.
    Usage: embed_client ENDPOINT MESSAGE; prints the reply, exits 0 on 200. */

#include <zlb/zlb.h>
#include <stdio.h>
#include <string.h>

int
main (int argc, char *argv [])
{
    if (argc != 3) {
        fprintf (stderr, "usage: embed_client ENDPOINT MESSAGE\n");
        return 2;
    }
    zlb_client_options_t options;
    zlb_client_options_defaults (&options);
    options.timeout_ms = 2000;
    options.retries = 1;
    zlb_client_t *client = zlb_client_new (argv [1], &options);
    if (!client)
        return 2;
    zlb_result_t result;
    int rc = zlb_client_request (client, "echo", argv [2], strlen (argv [2]), &result);
    if (rc == 0)
        printf ("status=%d worker=%s reply=%.*s\n", result.status, result.worker,
                (int) result.payload_size, (const char *) result.payload);
    rc = rc == 0 && result.status == ZLB_STATUS_OK ? 0 : 1;
    zlb_client_destroy (&client);
    return rc;
}
