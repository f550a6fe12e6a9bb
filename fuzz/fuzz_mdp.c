/*  fuzz_mdp - the MDP frame helpers (lib/mdp.c) on arbitrary frames.      */

#include "fuzz_input.h"
#include "mdp.h"

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    fuzz_input_t in = {data, size, 0};
    zframe_t *frame;
    while ((frame = fuzz_frame (&in))) {
        char buf [80];
        mdp_address_str (frame, buf, sizeof (buf));
        mdp_address_str (frame, buf, 1);
        mdp_service_valid (zframe_data (frame), zframe_size (frame));
        mdp_frame_is (frame, MDP_CLIENT);
        mdp_frame_is (frame, MDP_WORKER);
        if (zframe_size (frame) >= 1)
            mdp_command_name (zframe_data (frame) [0]);
        zframe_destroy (&frame);
    }
    return 0;
}
