/*  test_http.c - the /metrics request parser (broker/http.c) on good and
    nasty inputs: every byte of a request arriving one at a time, NULs and
    control bytes, bare CRs, folded or nameless headers, odd versions,
    oversized heads, and bytes past the end of the buffer never read.     */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "http.h"

//  The status for a string (no NUL in it), HEAD flag in *head.
static int
s_parse (const char *text, bool *head)
{
    broker_http_request_t request;
    int status = broker_http_parse (text, strlen (text), &request);
    assert_int_equal (status, request.status);
    if (head)
        *head = request.head;
    return status;
}

static void
test_good_requests (void **state)
{
    (void) state;
    bool head = true;
    assert_int_equal (s_parse ("GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n", &head), 200);
    assert_false (head);
    assert_int_equal (s_parse ("HEAD /metrics HTTP/1.0\r\n\r\n", &head), 200);
    assert_true (head);
    //  bare LF line ends, a query string, empty lines before the request line
    assert_int_equal (s_parse ("GET /metrics?name[]=zlb HTTP/1.1\n\n", NULL), 200);
    assert_int_equal (s_parse ("\r\n\nGET /metrics HTTP/1.1\r\n\r\n", NULL), 200);
    assert_int_equal (s_parse ("GET /metrics HTTP/1.1\r\nAccept: */*\r\nX-Empty:\r\n\r\n", NULL),
                      200);
    //  what curl and Prometheus send
    assert_int_equal (s_parse ("GET /metrics HTTP/1.1\r\nHost: 127.0.0.1:9550\r\nUser-Agent: "
                               "Prometheus/2.45.0\r\nAccept: application/openmetrics-text;"
                               "version=1.0.0;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1"
                               "\r\nAccept-Encoding: gzip\r\nX-Prometheus-Scrape-Timeout-"
                               "Seconds: 10\r\n\r\n", NULL), 200);
}

//  A good request fed one byte more at a time: more bytes needed until the
//  very last one, and never an early verdict.
static void
test_byte_by_byte (void **state)
{
    (void) state;
    const char *text = "GET /metrics HTTP/1.1\r\nHost: example\r\n\r\n";
    size_t size = strlen (text);
    broker_http_request_t request;
    for (size_t length = 0; length < size; length++)
        assert_int_equal (broker_http_parse (text, length, &request), 0);
    assert_int_equal (broker_http_parse (text, size, &request), 200);
}

static void
test_refused_requests (void **state)
{
    (void) state;
    assert_int_equal (s_parse ("POST /metrics HTTP/1.1\r\n\r\n", NULL), 405);
    assert_int_equal (s_parse ("get /metrics HTTP/1.1\r\n\r\n", NULL), 405);  //  case-sensitive
    assert_int_equal (s_parse ("GET / HTTP/1.1\r\n\r\n", NULL), 404);
    assert_int_equal (s_parse ("GET /metricsx HTTP/1.1\r\n\r\n", NULL), 404);
    assert_int_equal (s_parse ("GET /metrics/ HTTP/1.1\r\n\r\n", NULL), 404);
    assert_int_equal (s_parse ("GET /metrics HTTP/2.0\r\n\r\n", NULL), 505);
    assert_int_equal (s_parse ("GET /metrics HTTP/0.9\r\n\r\n", NULL), 505);
    //  answered as soon as the request line is complete, headers or not
    assert_int_equal (s_parse ("DELETE /metrics HTTP/1.1\r\n", NULL), 405);
}

static void
test_malformed_request_lines (void **state)
{
    (void) state;
    const char *bad [] = {
        "GET\r\n\r\n",                          //  no target
        "GET /metrics\r\n\r\n",                 //  HTTP/0.9 style: no version
        "GET  /metrics HTTP/1.1\r\n\r\n",       //  two spaces
        "GET /metrics  HTTP/1.1\r\n\r\n",
        " GET /metrics HTTP/1.1\r\n\r\n",       //  leading space
        "GET metrics HTTP/1.1\r\n\r\n",         //  not origin-form
        "GET http://host/metrics HTTP/1.1\r\n\r\n",
        "GET /metrics HTTP/1.1 \r\n\r\n",       //  trailing space
        "GET /metrics http/1.1\r\n\r\n",
        "GET /metrics HTTP/1.10\r\n\r\n",
        "GET /metrics HTTP/x.y\r\n\r\n",
        "GET /metrics HTTP/1.1\r\r\n\r\n",      //  a CR inside the line
        "G(T /metrics HTTP/1.1\r\n\r\n",        //  not a token
        "GETGETGETGETGETGETGET /metrics HTTP/1.1\r\n\r\n",   //  method too long
        "\x01GET /metrics HTTP/1.1\r\n\r\n",    //  control byte
        "GET /met\x7Frics HTTP/1.1\r\n\r\n",    //  DEL
    };
    for (size_t index = 0; index < sizeof (bad) / sizeof (bad [0]); index++) {
        int status = s_parse (bad [index], NULL);
        if (status != 400)
            fail_msg ("'%s' gave %d, not 400", bad [index], status);
    }
}

static void
test_malformed_headers (void **state)
{
    (void) state;
    assert_int_equal (s_parse ("GET /metrics HTTP/1.1\r\nno colon\r\n\r\n", NULL), 400);
    assert_int_equal (s_parse ("GET /metrics HTTP/1.1\r\n: no name\r\n\r\n", NULL), 400);
    assert_int_equal (s_parse ("GET /metrics HTTP/1.1\r\nName : space\r\n\r\n", NULL), 400);
    assert_int_equal (s_parse ("GET /metrics HTTP/1.1\r\nA: b\r\n folded\r\n\r\n", NULL), 400);
    assert_int_equal (s_parse ("GET /metrics HTTP/1.1\r\nA: b\rc\r\n\r\n", NULL), 400);
    //  the bad header is refused before the head ends
    assert_int_equal (s_parse ("GET /metrics HTTP/1.1\r\nno colon\r\n", NULL), 400);
}

//  NUL bytes anywhere are refused at once, and nothing past size is read
//  (the buffer below has a good request after its first size bytes).
static void
test_nul_and_bounds (void **state)
{
    (void) state;
    broker_http_request_t request;
    const char with_nul [] = "GET /metrics HTTP/1.1\r\nA: \0b\r\n\r\n";
    assert_int_equal (broker_http_parse (with_nul, sizeof (with_nul) - 1, &request), 400);
    assert_int_equal (broker_http_parse ("\0", 1, &request), 400);
    assert_int_equal (broker_http_parse ("", 0, &request), 0);
    assert_int_equal (broker_http_parse (NULL, 0, &request), 0);
    const char *text = "GET /metrics HTTP/1.1\r\n\r\n";
    char *exact = (char *) malloc (strlen (text) - 2);   //  ASan traps any overread
    memcpy (exact, text, strlen (text) - 2);
    assert_int_equal (broker_http_parse (exact, strlen (text) - 2, &request), 0);
    free (exact);
}

//  A head that does not end within BROKER_HTTP_HEAD_MAX bytes is 431, also
//  when it is only empty lines or one endless header; one that ends just
//  inside the limit is fine.
static void
test_oversized_heads (void **state)
{
    (void) state;
    size_t max = BROKER_HTTP_HEAD_MAX;
    char *buffer = (char *) malloc (max * 2);
    broker_http_request_t request;
    int prefix = snprintf (buffer, max, "GET /metrics HTTP/1.1\r\nX-Big: ");
    memset (buffer + prefix, 'a', max * 2 - (size_t) prefix);
    assert_int_equal (broker_http_parse (buffer, max - 1, &request), 0);
    assert_int_equal (broker_http_parse (buffer, max, &request), 431);
    assert_int_equal (broker_http_parse (buffer, max * 2, &request), 431);
    memcpy (buffer + max - 4, "\r\n\r\n", 4);
    assert_int_equal (broker_http_parse (buffer, max, &request), 200);
    for (size_t index = 0; index < max; index += 2)
        memcpy (buffer + index, "\r\n", 2);
    assert_int_equal (broker_http_parse (buffer, max, &request), 431);
    memset (buffer, 'G', max);    //  an endless request line
    assert_int_equal (broker_http_parse (buffer, max, &request), 431);
    free (buffer);
}

static void
test_reasons (void **state)
{
    (void) state;
    assert_string_equal (broker_http_reason (200), "OK");
    assert_string_equal (broker_http_reason (431), "Request Header Fields Too Large");
    assert_string_equal (broker_http_reason (999), "Error");
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_good_requests),
        cmocka_unit_test (test_byte_by_byte),
        cmocka_unit_test (test_refused_requests),
        cmocka_unit_test (test_malformed_request_lines),
        cmocka_unit_test (test_malformed_headers),
        cmocka_unit_test (test_nul_and_bounds),
        cmocka_unit_test (test_oversized_heads),
        cmocka_unit_test (test_reasons),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
