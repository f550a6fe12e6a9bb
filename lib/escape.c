/*  escape.c - make untrusted bytes safe to print or log (escape.h).      */

#include "escape.h"

#include <stdio.h>
#include <string.h>

void
zlb_buf_put (zlb_buf_t *buf, const void *data, size_t size)
{
    if (buf->full || size > buf->limit - buf->size) {
        buf->full = true;
        return;
    }
    memcpy (buf->data + buf->size, data, size);
    buf->size += size;
}

void
zlb_buf_puts (zlb_buf_t *buf, const char *text)
{
    zlb_buf_put (buf, text, strlen (text));
}

size_t
zlb_utf8_next (const uint8_t *text, size_t size, uint32_t *cp)
{
    if (size == 0)
        return 0;
    uint8_t lead = text [0];
    size_t length;
    uint32_t value, least;
    if (lead < 0x80) {
        *cp = lead;
        return 1;
    }
    if (lead >= 0xc2 && lead <= 0xdf)
        length = 2, value = lead & 0x1f, least = 0x80;
    else
    if ((lead & 0xf0) == 0xe0)
        length = 3, value = lead & 0x0f, least = 0x800;
    else
    if (lead >= 0xf0 && lead <= 0xf4)
        length = 4, value = lead & 0x07, least = 0x10000;
    else
        return 0;                  //  continuation byte, 0xc0/0xc1, 0xf5 and up
    if (length > size)
        return 0;
    for (size_t index = 1; index < length; index++) {
        if ((text [index] & 0xc0) != 0x80)
            return 0;
        value = (value << 6) | (text [index] & 0x3f);
    }
    if (value < least || value > 0x10ffff || (value >= 0xd800 && value <= 0xdfff))
        return 0;                  //  overlong, out of range, or a surrogate
    *cp = value;
    return length;
}

//  Code points a terminal or a log reader may act on instead of showing:
//  C0 and C1 controls, DEL, line/paragraph separators, bidi controls.
static bool
s_control (uint32_t cp)
{
    return cp < 0x20 || (cp >= 0x7f && cp <= 0x9f) || cp == 0x061c
        || cp == 0x200e || cp == 0x200f || (cp >= 0x2028 && cp <= 0x202e)
        || (cp >= 0x2066 && cp <= 0x2069);
}

//  The two-character escape of a common control, or NULL.
static const char *
s_short_escape (uint32_t cp)
{
    return cp == '\n' ? "\\n" : cp == '\r' ? "\\r" : cp == '\t' ? "\\t" : NULL;
}

bool
zlb_text_bare (const void *text, size_t size)
{
    const uint8_t *bytes = (const uint8_t *) text;
    if (size == 0)
        return false;
    for (size_t index = 0; index < size; index++)
        if (bytes [index] < 0x21 || bytes [index] > 0x7e || bytes [index] == '"'
        ||  bytes [index] == '\\')
            return false;
    return true;
}

//  Each byte of bytes [0..size) as \xNN.
static void
s_hex_bytes (zlb_buf_t *buf, const uint8_t *bytes, size_t size)
{
    for (size_t index = 0; index < size; index++) {
        char hex [5];
        snprintf (hex, sizeof hex, "\\x%02x", bytes [index]);
        zlb_buf_put (buf, hex, 4);
    }
}

//  How s_escape writes what it must escape.
typedef enum {
    S_TEXT,                       //  \xNN bytes; \ and " escaped
    S_TEXT_KEEP_QUOTES,           //  \xNN bytes; \ and " left alone
    S_JSON                        //  \uXXXX, invalid UTF-8 as \ufffd
} s_style_t;

//  A control code point (length bytes at bytes) in the style's escape.
static void
s_control_escape (zlb_buf_t *buf, const uint8_t *bytes, size_t length, uint32_t cp,
                  s_style_t style)
{
    if (style == S_JSON) {
        char escaped [8];
        snprintf (escaped, sizeof escaped, "\\u%04x", (unsigned) cp);
        zlb_buf_put (buf, escaped, 6);
    }
    else
        s_hex_bytes (buf, bytes, length);
}

//  Returns the input bytes whose escapes were written whole.
static size_t
s_escape (zlb_buf_t *buf, const uint8_t *bytes, size_t size, s_style_t style)
{
    size_t index = 0;
    while (index < size && !buf->full) {
        uint32_t cp = 0;
        size_t length = zlb_utf8_next (bytes + index, size - index, &cp);
        const char *brief = length ? s_short_escape (cp) : NULL;
        if (length == 0) {         //  one byte that is not UTF-8
            length = 1;
            if (style == S_JSON)
                zlb_buf_put (buf, "\\ufffd", 6);
            else
                s_hex_bytes (buf, bytes + index, 1);
        }
        else
        if (brief)
            zlb_buf_put (buf, brief, 2);
        else
        if (s_control (cp))
            s_control_escape (buf, bytes + index, length, cp, style);
        else
        if ((cp == '"' || cp == '\\') && style != S_TEXT_KEEP_QUOTES) {
            char pair [2] = {'\\', (char) cp};
            zlb_buf_put (buf, pair, 2);
        }
        else
            zlb_buf_put (buf, bytes + index, length);
        if (!buf->full)
            index += length;
    }
    return index;
}

size_t
zlb_escape_text (zlb_buf_t *buf, const void *text, size_t size, bool quotes)
{
    return s_escape (buf, (const uint8_t *) text, size, quotes ? S_TEXT : S_TEXT_KEEP_QUOTES);
}

size_t
zlb_escape_json (zlb_buf_t *buf, const void *text, size_t size)
{
    return s_escape (buf, (const uint8_t *) text, size, S_JSON);
}

const char *
zlb_printable (const void *text, size_t size, char *buf, size_t bufsize)
{
    zlb_buf_t out = {buf, 0, bufsize - 4, false};
    zlb_escape_text (&out, text, size, true);
    if (out.full) {
        memcpy (buf + out.size, "...", 3);
        out.size += 3;
    }
    buf [out.size] = 0;
    return buf;
}

void
zlb_json_string_print (FILE *out, const void *text, size_t size)
{
    const uint8_t *bytes = (const uint8_t *) text;
    char piece [256];
    fputc ('"', out);
    while (size > 0) {
        zlb_buf_t buf = {piece, 0, sizeof piece, false};
        size_t done = zlb_escape_json (&buf, bytes, size);
        fwrite (piece, 1, buf.size, out);
        bytes += done;
        size -= done;
    }
    fputc ('"', out);
}
