/*  http.c - the request parser of the /metrics endpoint (see http.h).

    RFC 9112 in the small: a request line "METHOD SP TARGET SP HTTP/x.y",
    header lines "name: value", a blank line. Lines end in CRLF or a bare
    LF; empty lines before the request line are skipped. Control bytes
    (NUL included) and a CR inside a line are refused, as RFC 9112 allows,
    rather than guessed at.                                                 */

#include "http.h"

#include <string.h>

#define S_METHOD_MAX 16           //  longest method we read ("OPTIONS" is 7)
#define S_PATH "/metrics"         //  the one resource

typedef struct {
    const char *at;               //  next unread byte
    const char *end;              //  one past the last byte
} s_cursor_t;

//  The next complete line, without its LF and the CR before it; false
//  when no LF has arrived yet.
static bool
s_line (s_cursor_t *cursor, const char **line, size_t *size)
{
    const char *lf = (const char *) memchr (cursor->at, '\n', (size_t) (cursor->end - cursor->at));
    if (!lf)
        return false;
    *line = cursor->at;
    *size = (size_t) (lf - cursor->at);
    if (*size > 0 && lf [-1] == '\r')
        (*size)--;
    cursor->at = lf + 1;
    return true;
}

//  No control bytes but tab, CR and LF.
static bool
s_clean (const unsigned char *data, size_t size)
{
    for (size_t index = 0; index < size; index++) {
        unsigned char byte = data [index];
        if ((byte < 0x20 && byte != '\t' && byte != '\r' && byte != '\n') || byte == 0x7F)
            return false;
    }
    return true;
}

//  A byte of a token (RFC 9110 tchar).
static bool
s_tchar (char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
        || (c != 0 && strchr ("!#$%&'*+-.^_`|~", c) != NULL);
}

//  Length of the token at the start of text.
static size_t
s_token (const char *text, size_t size)
{
    size_t length = 0;
    while (length < size && s_tchar (text [length]))
        length++;
    return length;
}

//  "HTTP/1.0" or "HTTP/1.1": 0; another HTTP version: 505; else 400.
static int
s_version (const char *text, size_t size)
{
    if (size != 8 || memcmp (text, "HTTP/", 5) != 0 || text [6] != '.'
    ||  text [5] < '0' || text [5] > '9' || text [7] < '0' || text [7] > '9')
        return 400;
    return text [5] == '1' && (text [7] == '0' || text [7] == '1') ? 0 : 505;
}

//  The request line: 0 when it asks for /metrics with GET or HEAD, else
//  the status to answer.
static int
s_request_line (const char *line, size_t size, broker_http_request_t *request)
{
    size_t method = s_token (line, size);
    if (method == 0 || method > S_METHOD_MAX || method == size || line [method] != ' ')
        return 400;
    const char *target = line + method + 1;
    const char *space = (const char *) memchr (target, ' ', size - method - 1);
    if (!space || space == target || *target != '/')
        return 400;
    size_t target_size = (size_t) (space - target);
    int status = s_version (space + 1, size - method - 1 - target_size - 1);
    if (status)
        return status;
    request->head = method == 4 && memcmp (line, "HEAD", 4) == 0;
    if (!request->head && !(method == 3 && memcmp (line, "GET", 3) == 0))
        return 405;
    const char *query = (const char *) memchr (target, '?', target_size);
    size_t path = query ? (size_t) (query - target) : target_size;
    return path == strlen (S_PATH) && memcmp (target, S_PATH, path) == 0 ? 0 : 404;
}

//  "name: value", the name a token right before the colon, no CR inside.
static bool
s_header (const char *line, size_t size)
{
    size_t name = s_token (line, size);
    return name > 0 && name < size && line [name] == ':' && !memchr (line, '\r', size);
}

int
broker_http_parse (const void *data, size_t size, broker_http_request_t *request)
{
    *request = (broker_http_request_t) {0};
    if (size == 0)
        return 0;                 //  (data may be NULL then)
    if (size > BROKER_HTTP_HEAD_MAX)
        size = BROKER_HTTP_HEAD_MAX;  //  we never read more: the rest is too late
    s_cursor_t cursor = {(const char *) data, (const char *) data + size};
    const char *line = NULL;
    size_t length = 0;
    bool started = false;         //  past the request line
    while (s_line (&cursor, &line, &length)) {
        if (!s_clean ((const unsigned char *) line, length))
            return request->status = 400;
        if (!started && length == 0)
            continue;             //  empty lines before the request line
        int status;
        if (!started)
            status = s_request_line (line, length, request);
        else
        if (length == 0)
            status = 200;         //  the blank line: the head is complete
        else
            status = s_header (line, length) ? 0 : 400;
        started = true;
        if (status)
            return request->status = status;
    }
    //  A bad byte in the line still arriving is refused now, not at its end.
    if (!s_clean ((const unsigned char *) cursor.at, (size_t) (cursor.end - cursor.at)))
        return request->status = 400;
    return request->status = size >= BROKER_HTTP_HEAD_MAX ? 431 : 0;
}

const char *
broker_http_reason (int status)
{
    switch (status) {
        case 200: return "OK";
        case 400: return "Bad Request";
        case 404: return "Not Found";
        case 405: return "Method Not Allowed";
        case 408: return "Request Timeout";
        case 431: return "Request Header Fields Too Large";
        case 500: return "Internal Server Error";
        case 503: return "Service Unavailable";
        case 505: return "HTTP Version Not Supported";
        default:  return "Error";
    }
}
