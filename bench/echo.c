/*  echo.c - the echo answer shared by the bench peers (see echo.h).        */

#include "echo.h"

int
bench_echo_answer (zframe_t *body, const char *worker, zmsg_t *out)
{
    zlb_request_t request;
    int64_t t_recv = zlb_time_ns ();
    const char *err = NULL;
    bool good = body && zlb_request_decode (body, &request, &err) == 0;
    zlb_reply_t reply = { .id = good ? request.id : 0 };
    if (good) {
        reply.payload = request.payload;
        reply.payload_size = request.payload_size;
    }
    zlb_confirm_t confirm = { .id = reply.id, .worker = worker, .t_recv = t_recv,
                              .status = good ? ZLB_STATUS_OK : ZLB_STATUS_BAD_REQUEST,
                              .attempt = good ? request.attempt : 0,
                              .error = good ? NULL : (err ? err : "malformed request") };
    confirm.t_send = zlb_time_ns ();
    zframe_t *reply_frame = zlb_reply_encode (&reply);
    zframe_t *confirm_frame = zlb_confirm_encode (&confirm);
    if (!reply_frame || !confirm_frame) {
        zframe_destroy (&reply_frame);
        zframe_destroy (&confirm_frame);
        return -1;
    }
    zmsg_append (out, &reply_frame);
    zmsg_append (out, &confirm_frame);
    return 0;
}
