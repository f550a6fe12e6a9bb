/*  mdp.c - the Majordomo 0.1 codec (parse, send) and frame helpers shared
    by broker, client and worker.                                          */

#include "mdp.h"

#include <stdio.h>
#include <string.h>

const char *
mdp_strerror (mdp_error_t error)
{
    switch (error) {
        case MDP_OK:          return "ok";
        case MDP_E_SHORT:     return "too few frames";
        case MDP_E_DELIMITER: return "missing empty delimiter frame";
        case MDP_E_PROTOCOL:  return "unknown protocol header";
        case MDP_E_COMMAND:   return "unknown worker command";
        case MDP_E_SERVICE:   return "invalid service name";
        case MDP_E_ADDRESS:   return "invalid client address";
        case MDP_E_EXTRA:     return "unexpected extra frames";
        case MDP_E_BODY:      return "message without body";
    }
    return "unknown error";
}

const char *
mdp_command_name (int command)
{
    static const char *names[] = {"READY", "REQUEST", "REPLY", "HEARTBEAT", "DISCONNECT"};
    if (command >= MDP_READY && command <= MDP_DISCONNECT)
        return names [command - MDP_READY];
    return "UNKNOWN";
}

bool
mdp_frame_is (zframe_t *frame, const char *text)
{
    if (!frame || !text)
        return false;
    size_t length = strlen (text);
    return zframe_size (frame) == length
        && memcmp (zframe_data (frame), text, length) == 0;
}

bool
mdp_service_valid (const void *name, size_t size)
{
    if (!name || size == 0 || size > MDP_SERVICE_MAX)
        return false;
    const unsigned char *bytes = (const unsigned char *) name;
    for (size_t index = 0; index < size; index++)
        if (bytes [index] < 0x21 || bytes [index] > 0x7e)
            return false;          //  no spaces, controls or binary: names go in logs
    return true;
}

char *
mdp_bytes_str (const void *data, size_t size, char *buf, size_t bufsize)
{
    if (!buf || bufsize == 0)
        return buf;
    buf [0] = 0;
    const unsigned char *bytes = (const unsigned char *) data;
    bool printable = size > 0;
    for (size_t index = 0; index < size && printable; index++)
        printable = bytes [index] >= 0x21 && bytes [index] <= 0x7e;
    //  By hand, not snprintf: zlb-worker names the client of every request
    //  this way, and a formatted print per byte was a fifth of its work.
    if (printable) {
        size_t length = size < bufsize - 1 ? size : bufsize - 1;
        memcpy (buf, bytes, length);
        buf [length] = 0;
        return buf;
    }
    static const char digits [] = "0123456789abcdef";
    size_t used = 0;
    for (size_t index = 0; index < size && used + 3 <= bufsize; index++) {
        buf [used++] = digits [bytes [index] >> 4];
        buf [used++] = digits [bytes [index] & 15];
    }
    buf [used] = 0;
    return buf;
}

bool
mdp_bytes_is (mdp_bytes_t bytes, const char *text)
{
    size_t length = strlen (text);
    return bytes.data && bytes.size == length && memcmp (bytes.data, text, length) == 0;
}

bool
mdp_service_is_mmi (mdp_bytes_t service)
{
    return service.size >= 4 && memcmp (service.data, "mmi.", 4) == 0;
}

//  --------------------------------------------------------------------------
//  Parsing

static mdp_bytes_t
s_frame_bytes (zmq_msg_t *frame)
{
    return mdp_bytes (zmq_msg_data (frame), zmq_msg_size (frame));
}

//  The frames after the envelope are the body.
static void
s_set_body (mdp_view_t *view, zmq_msg_t *frames, size_t index, size_t count)
{
    if (index >= count)
        return;                   //  view was zeroed: no body
    view->body = &frames [index];
    view->body_count = count - index;
    for (size_t at = index; at < count; at++)
        view->body_bytes += zmq_msg_size (&frames [at]);
}

//  A decimal 0..MDP_CREDIT_MAX in text [at, end), or -1.
static int
s_credit_number (const byte *at, const byte *end)
{
    if (at == end || end - at > 4)
        return -1;
    int value = 0;
    for (; at < end; at++) {
        if (*at < '0' || *at > '9')
            return -1;
        value = value * 10 + (*at - '0');
    }
    return value <= MDP_CREDIT_MAX ? value : -1;
}

//  The credit extension's frame: "credit=N" (window N, at most N), or with
//  max_ok "credit=N/M" (window N now, at most M, N <= M). N may be 0 (a
//  paused worker) only where zero_ok or with an M; M is at least 1. True if
//  it is one.
static bool
s_credit_parse (mdp_bytes_t frame, bool max_ok, bool zero_ok, int *credit, int *credit_max)
{
    if (frame.size < 8 || memcmp (frame.data, "credit=", 7) != 0)
        return false;
    const byte *start = frame.data + 7, *end = frame.data + frame.size;
    const byte *slash = max_ok ? memchr (start, '/', (size_t) (end - start)) : NULL;
    *credit = s_credit_number (start, slash ? slash : end);
    *credit_max = slash ? s_credit_number (slash + 1, end) : *credit;
    if (*credit_max < (zero_ok ? 0 : 1) || *credit < 0 || *credit > *credit_max)
        return false;
    return true;
}

//  Client message: service body...
static mdp_error_t
s_parse_client (mdp_view_t *view, zmq_msg_t *frames, size_t index, size_t count)
{
    if (index >= count)
        return MDP_E_SHORT;
    view->service = s_frame_bytes (&frames [index]);
    s_set_body (view, frames, index + 1, count);
    if (!mdp_service_valid (view->service.data, view->service.size))
        return MDP_E_SERVICE;
    return view->body_count ? MDP_OK : MDP_E_BODY;
}

//  READY: service ["credit=N"]
static mdp_error_t
s_parse_ready (mdp_view_t *view, zmq_msg_t *frames, size_t index, size_t count)
{
    if (index >= count)
        return MDP_E_SHORT;
    view->service = s_frame_bytes (&frames [index]);
    if (count - index > 2)
        return MDP_E_EXTRA;
    if (count - index == 2) {
        if (!s_credit_parse (s_frame_bytes (&frames [index + 1]), true, false,
                             &view->credit, &view->credit_max))
            return MDP_E_EXTRA;
        view->windowed = true;
    }
    if (!mdp_service_valid (view->service.data, view->service.size))
        return MDP_E_SERVICE;
    return MDP_OK;
}

//  REQUEST, REPLY: address "" body...
static mdp_error_t
s_parse_addressed (mdp_view_t *view, zmq_msg_t *frames, size_t index, size_t count)
{
    if (count - index < 2)
        return MDP_E_SHORT;
    view->address = s_frame_bytes (&frames [index]);
    if (zmq_msg_size (&frames [index + 1]) != 0)
        return MDP_E_DELIMITER;
    s_set_body (view, frames, index + 2, count);
    if (view->address.size == 0 || view->address.size > MDP_ADDRESS_MAX + MDP_TAG_MAX)
        return MDP_E_ADDRESS;
    return MDP_OK;
}

//  HEARTBEAT ["credit=N" [address]]: a worker's new window rides on it,
//  and with it a request it hands back unserved; from a zlb broker, the
//  window it granted (docs/protocol.md).
static mdp_error_t
s_parse_heartbeat (mdp_view_t *view, zmq_msg_t *frames, size_t index, size_t count)
{
    view->credit = 0;
    if (index == count)
        return MDP_OK;
    int unused;
    if (count - index > 2
    ||  !s_credit_parse (s_frame_bytes (&frames [index]), false, true, &view->credit, &unused)) {
        view->credit = 0;
        return MDP_E_EXTRA;
    }
    view->windowed = true;
    if (count - index == 1)
        return MDP_OK;
    view->address = s_frame_bytes (&frames [index + 1]);
    if (view->address.size == 0 || view->address.size > MDP_ADDRESS_MAX + MDP_TAG_MAX)
        return MDP_E_ADDRESS;
    return MDP_OK;
}

//  Worker message: command, then the command's frames.
static mdp_error_t
s_parse_worker (mdp_view_t *view, zmq_msg_t *frames, size_t index, size_t count)
{
    if (index >= count)
        return MDP_E_SHORT;
    zmq_msg_t *command = &frames [index++];
    view->command = zmq_msg_size (command) == 1 ? *(byte *) zmq_msg_data (command) : 0;
    switch (view->command) {
        case MDP_READY:
            return s_parse_ready (view, frames, index, count);
        case MDP_REQUEST:
        case MDP_REPLY:
            return s_parse_addressed (view, frames, index, count);
        case MDP_HEARTBEAT:
            return s_parse_heartbeat (view, frames, index, count);
        case MDP_DISCONNECT:
            return index == count ? MDP_OK : MDP_E_EXTRA;
        default:
            return MDP_E_COMMAND;
    }
}

mdp_error_t
mdp_parse (zmq_msg_t *frames, size_t count, bool routed, mdp_view_t *view)
{
    *view = (mdp_view_t) { .command = -1, .credit = 1, .credit_max = 1 };
    if (!frames)
        count = 0;
    size_t index = 0;
    if (routed && count > 0)
        view->peer = s_frame_bytes (&frames [index++]);
    if (count < index + 2)
        return MDP_E_SHORT;
    if (zmq_msg_size (&frames [index++]) != 0)
        return MDP_E_DELIMITER;
    view->header = &frames [index];
    mdp_bytes_t header = s_frame_bytes (&frames [index++]);
    //  Both headers are 6 bytes: one size test, then fixed-size compares
    //  the compiler inlines (this runs for every message the broker gets).
    if (header.size == 6) {
        view->client = memcmp (header.data, MDP_CLIENT, 6) == 0;
        view->worker = !view->client && memcmp (header.data, MDP_WORKER, 6) == 0;
    }
    if (view->client)
        return s_parse_client (view, frames, index, count);
    if (view->worker)
        return s_parse_worker (view, frames, index, count);
    return MDP_E_PROTOCOL;
}

//  --------------------------------------------------------------------------
//  Sending

typedef struct {
    void *handle;
    size_t remaining;             //  frames still to send, this one included
} s_sender_t;

static int
s_send_bytes (s_sender_t *sender, const void *data, size_t size)
{
    int flags = ZMQ_DONTWAIT | (--sender->remaining ? ZMQ_SNDMORE : 0);
    return zmq_send (sender->handle, data, size, flags) == -1 ? -1 : 0;
}

//  The frames between the header and the body; their count.
static size_t
s_envelope (const mdp_view_t *message, mdp_bytes_t *parts, byte *command, char *credit)
{
    size_t count = 0;
    if (message->client)
        parts [count++] = message->service;
    else {
        *command = (byte) message->command;
        parts [count++] = mdp_bytes (command, 1);
        if (message->command == MDP_READY) {
            parts [count++] = message->service;
            int size = 0;
            if (message->credit_max > message->credit && message->credit >= 0)
                size = snprintf (credit, 24, "credit=%d/%d", message->credit,
                                 message->credit_max);
            else
            if (message->credit > 1 || (message->windowed && message->credit == 1))
                size = snprintf (credit, 24, "credit=%d", message->credit);
            if (size > 0)
                parts [count++] = mdp_bytes (credit, (size_t) size);
        }
        else
        if (message->command == MDP_HEARTBEAT
        &&  (message->credit > 0 || message->windowed)) {
            int size = snprintf (credit, 24, "credit=%d", message->credit);
            parts [count++] = mdp_bytes (credit, (size_t) size);
            if (message->address.data)
                parts [count++] = message->address;
        }
        else
        if (message->command == MDP_REQUEST || message->command == MDP_REPLY) {
            parts [count++] = message->address;
            parts [count++] = mdp_bytes ("", 0);
        }
    }
    return count;
}

//  The body frames, shared (keep) or moved.
static int
s_send_body (s_sender_t *sender, zmq_msg_t *frames, size_t count, bool keep)
{
    for (size_t index = 0; index < count; index++) {
        int flags = ZMQ_DONTWAIT | (--sender->remaining ? ZMQ_SNDMORE : 0);
        zmq_msg_t copy;
        zmq_msg_t *frame = &frames [index];
        if (keep) {
            //  A copy shares the data (reference-counted); small frames
            //  live inside the zmq_msg_t and are copied in place.
            zmq_msg_init (&copy);
            zmq_msg_copy (&copy, frame);
            frame = &copy;
        }
        int rc = zmq_msg_send (frame, sender->handle, flags);
        if (keep && rc == -1)
            zmq_msg_close (&copy);
        if (rc == -1)
            return -1;
    }
    return 0;
}

int
mdp_send (void *handle, const mdp_view_t *message, bool keep)
{
    mdp_bytes_t parts [4];
    byte command;
    char credit [24];
    size_t nparts = s_envelope (message, parts, &command, credit);
    bool routed = message->peer.size > 0;
    s_sender_t sender = { handle, routed + 2 + nparts + message->body_count };
    const char *header = message->client ? MDP_CLIENT : MDP_WORKER;
    //  With ROUTER_MANDATORY the routing id frame is where a send fails;
    //  once it is taken the rest of the message goes through.
    if ((routed && s_send_bytes (&sender, message->peer.data, message->peer.size) == -1)
    ||  s_send_bytes (&sender, "", 0) == -1
    ||  s_send_bytes (&sender, header, strlen (header)) == -1)
        return -1;
    for (size_t index = 0; index < nparts; index++)
        if (s_send_bytes (&sender, parts [index].data, parts [index].size) == -1)
            return -1;
    return s_send_body (&sender, message->body, message->body_count, keep);
}

//  --------------------------------------------------------------------------
//  Receiving (client and worker)

void
mdp_input_init (mdp_input_t *input)
{
    for (size_t index = 0; index < MDP_INPUT_MAX; index++)
        zmq_msg_init (&input->frame [index]);
    input->count = 0;
    input->overflow = false;
}

void
mdp_input_clear (mdp_input_t *input)
{
    for (size_t index = 0; index < input->count; index++) {
        zmq_msg_close (&input->frame [index]);
        zmq_msg_init (&input->frame [index]);
    }
    input->count = 0;
    input->overflow = false;
}

//  Read and drop the rest of a message that does not fit.
static void
s_drain_rest (void *handle)
{
    zmq_msg_t rest;
    zmq_msg_init (&rest);
    do
        if (zmq_msg_recv (&rest, handle, ZMQ_DONTWAIT) == -1)
            break;
    while (zmq_msg_more (&rest));
    zmq_msg_close (&rest);
}

int
mdp_recv (void *handle, mdp_input_t *input)
{
    mdp_input_clear (input);
    bool more = true;
    //  libzmq hands over a message whole: once its first frame is here,
    //  the rest is too, so no read below waits.
    while (more && input->count < MDP_INPUT_MAX) {
        zmq_msg_t *frame = &input->frame [input->count];
        if (zmq_msg_recv (frame, handle, ZMQ_DONTWAIT) == -1)
            return input->count ? 0 : -1;
        input->count++;
        more = zmq_msg_more (frame);
    }
    if (more) {
        input->overflow = true;
        s_drain_rest (handle);
    }
    return 0;
}

zmsg_t *
mdp_frames_to_zmsg (zmq_msg_t *frames, size_t count)
{
    zmsg_t *msg = zmsg_new ();
    for (size_t index = 0; msg && index < count; index++)
        if (zmsg_addmem (msg, zmq_msg_data (&frames [index]), zmq_msg_size (&frames [index])))
            zmsg_destroy (&msg);
    return msg;
}

zmq_msg_t *
mdp_frames_from_zmsg (zmsg_t *msg)
{
    size_t count = msg ? zmsg_size (msg) : 0;
    zmq_msg_t *frames = count ? (zmq_msg_t *) calloc (count, sizeof (zmq_msg_t)) : NULL;
    if (!frames)
        return NULL;
    size_t index = 0;
    for (zframe_t *frame = zmsg_first (msg); frame; frame = zmsg_next (msg), index++) {
        if (zmq_msg_init_size (&frames [index], zframe_size (frame)) == -1) {
            mdp_frames_free (frames, index);
            return NULL;
        }
        memcpy (zmq_msg_data (&frames [index]), zframe_data (frame), zframe_size (frame));
    }
    return frames;
}

void
mdp_frames_free (zmq_msg_t *frames, size_t count)
{
    for (size_t index = 0; frames && index < count; index++)
        zmq_msg_close (&frames [index]);
    free (frames);
}
