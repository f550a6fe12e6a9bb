/*  mdp_names.h - link-level names of the MDP helpers (internal).

    libzlb.a exports only zlb_* symbols (zlb.h says so; a program linking
    the archive must never clash with its own mdp_* or ours). The codec's
    helpers keep their short names in the source and get the zlb_ prefix
    here, for every file that includes mdp.h. A new extern function in
    mdp.h needs a line here: tests/integration/test_ops_exports.sh fails
    until it has one.                                                       */

#ifndef ZLB_MDP_NAMES_H_INCLUDED
#define ZLB_MDP_NAMES_H_INCLUDED

#define mdp_parse           zlb_mdp_parse
#define mdp_send            zlb_mdp_send
#define mdp_service_is_mmi  zlb_mdp_service_is_mmi
#define mdp_bytes_is        zlb_mdp_bytes_is
#define mdp_strerror        zlb_mdp_strerror
#define mdp_command_name    zlb_mdp_command_name
#define mdp_frame_is        zlb_mdp_frame_is
#define mdp_service_valid   zlb_mdp_service_valid
#define mdp_input_init      zlb_mdp_input_init
#define mdp_input_clear     zlb_mdp_input_clear
#define mdp_recv            zlb_mdp_recv
#define mdp_frames_to_zmsg  zlb_mdp_frames_to_zmsg
#define mdp_frames_from_zmsg zlb_mdp_frames_from_zmsg
#define mdp_frames_free     zlb_mdp_frames_free
#define mdp_bytes_str       zlb_mdp_bytes_str

#endif
