/*  mdp.h - Majordomo Protocol 0.1 (ZeroMQ RFC 7/MDP) frames, internal.

    Shared by the broker, the client and the worker so that all three agree
    on the wire. The parsers never assert on input: a message that does not
    fit returns an error code and the caller logs and drops it.            */

#ifndef ZLB_MDP_H_INCLUDED
#define ZLB_MDP_H_INCLUDED

#include <czmq.h>
#include <stdbool.h>
#include "mdp_names.h"         //  exported as zlb_mdp_*

#define MDP_CLIENT "MDPC01"
#define MDP_WORKER "MDPW01"

//  Worker commands (one byte frame).
#define MDP_READY       0x01
#define MDP_REQUEST     0x02
#define MDP_REPLY       0x03
#define MDP_HEARTBEAT   0x04
#define MDP_DISCONNECT  0x05

#define MDP_SERVICE_MAX 255       //  longest service name we accept

typedef enum {
    MDP_OK = 0,
    MDP_E_SHORT,                  //  too few frames for the command
    MDP_E_DELIMITER,              //  a frame that must be empty is not
    MDP_E_PROTOCOL,               //  header is neither MDPC01 nor MDPW01
    MDP_E_COMMAND,                //  unknown worker command byte
    MDP_E_SERVICE,                //  empty service name, too long or not text
    MDP_E_ADDRESS,                //  empty or oversized client address
    MDP_E_EXTRA                   //  frames after a command that takes none
} mdp_error_t;

const char *mdp_strerror (mdp_error_t error);

//  Name of a worker command byte ("READY", ...), or "UNKNOWN".
const char *mdp_command_name (int command);

//  True if frame holds exactly the string text (length-checked, no asserts).
bool mdp_frame_is (zframe_t *frame, const char *text);

//  True if name is a valid service name: 1..255 bytes, printable ASCII.
bool mdp_service_valid (const void *name, size_t size);

//  Write a printable form of a peer address (itself when printable, else
//  hex) into buf; returns buf.
char *mdp_address_str (zframe_t *address, char *buf, size_t bufsize);

//  The same for an address held as plain bytes.
char *mdp_bytes_str (const void *data, size_t size, char *buf, size_t bufsize);

#endif
