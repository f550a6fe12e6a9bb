/*  escape.h - make untrusted bytes safe to print or log (internal).

    Text that came from a peer - worker ids, error texts, service names,
    addresses - may hold anything: a quote and a space that end a log field
    early, a newline that starts a forged log line, ESC/OSC sequences that
    drive the terminal reading our output, invalid UTF-8 that breaks a JSON
    parser. Everything that prints or logs such text goes through the two
    escapers here, so there is one definition of "safe":

    - text: printable ASCII and valid, non-control UTF-8 pass; \ and " get
      a backslash; \n \r \t are written so; every other control byte (C0,
      DEL, C1, Unicode line separators and bidi overrides) and every byte
      of an invalid UTF-8 sequence is written as \xNN.
    - JSON: the contents of a JSON string, valid for any input: controls as
      \uXXXX, invalid UTF-8 replaced by \ufffd.

    Output goes into a bounded buffer, one piece at a time: a piece that
    does not fit is dropped whole and marks the buffer full, so an escape
    is never cut in half.                                                   */

#ifndef ZLB_ESCAPE_H_INCLUDED
#define ZLB_ESCAPE_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

typedef struct {
    char *data;                   //  caller's storage
    size_t size;                  //  bytes written so far
    size_t limit;                 //  bytes usable in data
    bool full;                    //  a piece did not fit; nothing more is written
} zlb_buf_t;

//  Append size bytes, all or nothing.
void zlb_buf_put (zlb_buf_t *buf, const void *data, size_t size);

//  Append a NUL-terminated string, all or nothing.
void zlb_buf_puts (zlb_buf_t *buf, const char *text);

//  Length (1-4) of the valid UTF-8 sequence at text, its code point in *cp;
//  0 if the bytes there are not valid UTF-8 (overlong, surrogate, cut).
size_t zlb_utf8_next (const uint8_t *text, size_t size, uint32_t *cp);

//  True when text can be a bare key=value value: non-empty printable ASCII
//  without space, quote or backslash. ('=' may stay: a reader splits a
//  field at its first '=', and Z85 keys are full of them.)
bool zlb_text_bare (const void *text, size_t size);

//  Escaped text (see above). quotes false leaves \ and " alone (for text
//  that is already a mix of our own quoting and values). Returns how many
//  input bytes were written (all of them unless buf filled up), so long
//  text can be escaped in pieces.
size_t zlb_escape_text (zlb_buf_t *buf, const void *text, size_t size, bool quotes);

//  Escaped contents of a JSON string (no surrounding quotes); returns as above.
size_t zlb_escape_json (zlb_buf_t *buf, const void *text, size_t size);

//  A whole JSON string, quotes included, written to out in pieces.
void zlb_json_string_print (FILE *out, const void *text, size_t size);

//  One peer string for a terminal: escaped text into buf (NUL-terminated,
//  ending in "..." when cut). Returns buf. bufsize must be at least 4.
const char *zlb_printable (const void *text, size_t size, char *buf, size_t bufsize);

#endif
