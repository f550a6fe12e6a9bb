/*  fuzz_mdp - the MDP codec (lib/mdp.c) on arbitrary messages: mdp_parse
    as a ROUTER and as a DEALER sees them, then the frame helpers.        */

#include "fuzz_input.h"
#include "mdp.h"

#define S_FRAMES_MAX 16

//  Every field the view points at must lie inside the frames it came from.
static void
s_check_view (const mdp_view_t *view, zmq_msg_t *frames, size_t count)
{
    if (view->body && (view->body < frames || view->body + view->body_count > frames + count))
        abort ();
    if (view->service.size > 0 && !view->service.data)
        abort ();
    char buf [80];
    mdp_bytes_str (view->peer.data, view->peer.size, buf, sizeof (buf));
    mdp_bytes_str (view->address.data, view->address.size, buf, sizeof (buf));
    mdp_command_name (view->command);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    fuzz_input_t in = {data, size, 0};
    zmq_msg_t frames [S_FRAMES_MAX];
    size_t count = 0;
    zframe_t *frame;
    while (count < S_FRAMES_MAX && (frame = fuzz_frame (&in))) {
        char buf [80];
        mdp_bytes_str (zframe_data (frame), zframe_size (frame), buf, sizeof (buf));
        mdp_bytes_str (zframe_data (frame), zframe_size (frame), buf, 1);
        mdp_frame_is (frame, MDP_CLIENT);
        zmq_msg_init_size (&frames [count], zframe_size (frame));
        memcpy (zmq_msg_data (&frames [count]), zframe_data (frame), zframe_size (frame));
        count++;
        zframe_destroy (&frame);
    }
    for (size_t used = 0; used <= count; used++) {
        mdp_view_t view;
        mdp_error_t error = mdp_parse (frames, used, true, &view);
        mdp_strerror (error);
        s_check_view (&view, frames, used);
        mdp_parse (frames, used, false, &view);
        s_check_view (&view, frames, used);
    }
    for (size_t index = 0; index < count; index++)
        zmq_msg_close (&frames [index]);
    return 0;
}
