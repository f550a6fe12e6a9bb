/*  fuzz_codec - the msgpack decoders (lib/codec.c) and the broker's bounded
    id peek (lib/msgpack_guard.c) on arbitrary bytes, and a round trip:
    whatever decodes must encode and decode the same.                     */

#include "fuzz_input.h"
#include "msgpack_guard.h"

#include <stdlib.h>
#include <string.h>

static void
s_request (zframe_t *frame)
{
    zlb_request_t request;
    const char *err = NULL;
    if (zlb_request_decode (frame, &request, &err) != 0)
        return;
    zframe_t *again = zlb_request_encode (&request);
    zlb_request_t copy;
    if (!again || zlb_request_decode (again, &copy, &err) != 0
    ||  copy.id != request.id || copy.payload_size != request.payload_size
    ||  (copy.payload_size && memcmp (copy.payload, request.payload, copy.payload_size)))
        abort ();                 //  the round trip must hold
    zframe_destroy (&again);
}

static void
s_confirm (zframe_t *frame)
{
    zlb_confirm_t confirm;
    if (zlb_confirm_decode (frame, &confirm, NULL) != 0)
        return;
    if (strlen (confirm.worker) > 64 || (confirm.error && strlen (confirm.error) >= 256))
        abort ();                 //  decoded strings stay inside their buffers
    zframe_t *again = zlb_confirm_encode (&confirm);
    zlb_confirm_t copy;
    if (!again || zlb_confirm_decode (again, &copy, NULL) != 0 || copy.status != confirm.status)
        abort ();
    zframe_destroy (&again);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    //  The whole input as one body, as a peer would send it.
    zframe_t *frame = zframe_new (data, size);
    s_request (frame);
    s_confirm (frame);
    zlb_reply_t reply;
    zlb_reply_decode (frame, &reply, NULL);
    zlb_request_peek_id (frame);
    //  The broker's bounded id peek: any bytes, any limit up to the size.
    uint64_t id = 0;
    zlb_msgpack_peek_uint (data, size, size ? data [0] : 0, "id", &id);
    zlb_msgpack_peek_uint (data, size, 256, "id", &id);
    zframe_destroy (&frame);
    //  An empty frame and a NULL one must not crash either.
    zframe_t *empty = zframe_new_empty ();
    s_request (empty);
    zlb_request_peek_id (empty);
    zframe_destroy (&empty);
    return 0;
}
