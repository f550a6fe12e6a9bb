/*  mdp.h - Majordomo Protocol 0.1 (ZeroMQ RFC 7/MDP): the one codec.

    Shared by the broker, the client and the worker so that all three agree
    on the wire. mdp_parse reads a received message (an array of zmq_msg_t
    frames) into a view that points into those frames: nothing is copied.
    It never asserts on input: a message that does not fit returns an error
    code (the view holds what was read before it) and the caller logs and
    drops or answers it. mdp_send writes a view back onto a socket.        */

#ifndef ZLB_MDP_H_INCLUDED
#define ZLB_MDP_H_INCLUDED

#include <czmq.h>
#include <stdbool.h>
#include <zmq.h>
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
#define MDP_ADDRESS_MAX 255       //  longest routing id (ZMTP's limit)
#define MDP_TAG_MAX 8             //  bytes a credit broker may append to a client address
#define MDP_CREDIT_MAX 1000       //  largest "credit=N" in a READY (docs/protocol.md)
#define MDP_INPUT_MAX 16          //  frames of one message the client and worker read

typedef enum {
    MDP_OK = 0,
    MDP_E_SHORT,                  //  too few frames for the command
    MDP_E_DELIMITER,              //  a frame that must be empty is not
    MDP_E_PROTOCOL,               //  header is neither MDPC01 nor MDPW01
    MDP_E_COMMAND,                //  unknown worker command byte
    MDP_E_SERVICE,                //  empty service name, too long or not text
    MDP_E_ADDRESS,                //  empty or oversized client address
    MDP_E_EXTRA,                  //  frames after a command that takes none
    MDP_E_BODY                    //  client message without a body frame
} mdp_error_t;

//  Bytes inside a frame, not owned. data is NULL when the frame is absent.
typedef struct {
    const byte *data;
    size_t size;
} mdp_bytes_t;

//  One MDP message, as frames: what mdp_parse reads and mdp_send writes.
//    client: [peer] "" MDPC01 service body...
//    worker: [peer] "" MDPW01 READY service ["credit=N" | "credit=N/M"]
//                             REQUEST|REPLY address "" body...
//                             HEARTBEAT ["credit=N" [address]] | DISCONNECT
//  (the credit frames and a HEARTBEAT's address are zlb's extension:
//  docs/protocol.md, "Credit extension" and "Workers on several brokers")
//  peer is the routing id a ROUTER adds (empty on a DEALER).
typedef struct {
    mdp_bytes_t peer;             //  routing id, or empty
    zmq_msg_t *header;            //  received header frame (metadata), or NULL
    bool client;                  //  MDPC01
    bool worker;                  //  MDPW01
    int command;                  //  worker command byte; 0 if the frame is not
                                  //  one byte, -1 if there is none
    mdp_bytes_t service;          //  client messages and READY
    mdp_bytes_t address;          //  REQUEST and REPLY: the client's address;
                                  //  HEARTBEAT: a request handed back (or none)
    int credit;                   //  READY: the window N, 1 without the frame;
                                  //  HEARTBEAT: a new window N (0: paused)
    int credit_max;               //  READY: M of "credit=N/M", else N (or 1)
    bool windowed;                //  READY, HEARTBEAT: the credit frame is there
                                  //  (sending: write it even for READY N = 1 or
                                  //  HEARTBEAT N = 0)
    zmq_msg_t *body;              //  body frames (inside the parsed array)
    size_t body_count;            //  how many
    size_t body_bytes;            //  their total size (set by mdp_parse)
} mdp_view_t;

//  One received message as frames, bounded: the client's and the worker's
//  input (the broker has its own, broker_input_t). Every frame is always
//  initialised (empty when unused), so clearing is just closing them all.
typedef struct {
    zmq_msg_t frame [MDP_INPUT_MAX];
    size_t count;                 //  frames received
    bool overflow;                //  the message had more (they were read and dropped)
} mdp_input_t;

//  Make every frame of input empty; call once before the first mdp_recv.
void mdp_input_init (mdp_input_t *input);

//  Release the frames of the last message (what was moved out is empty already).
void mdp_input_clear (mdp_input_t *input);

//  Receive one whole message into input without waiting (cleared first).
//  Frames past MDP_INPUT_MAX are read and dropped (overflow). 0, or -1
//  with libzmq's errno (EAGAIN: nothing waiting).
int mdp_recv (void *handle, mdp_input_t *input);

//  A czmq message holding copies of count frames (for the public API's
//  zmsg_t results); NULL if out of memory.
zmsg_t *mdp_frames_to_zmsg (zmq_msg_t *frames, size_t count);

//  Copies of msg's frames into a new array of zmsg_size (msg) zmq_msg_t
//  (free with mdp_frames_free); NULL if out of memory or msg is empty.
zmq_msg_t *mdp_frames_from_zmsg (zmsg_t *msg);

//  Close count frames and free the array (NULL: nothing).
void mdp_frames_free (zmq_msg_t *frames, size_t count);

//  Parse count frames into view. routed: the first frame is the sender's
//  routing id (a ROUTER received it). MDP_OK or the first error; on error
//  every field read before it is set (peer, header, command...).
mdp_error_t mdp_parse (zmq_msg_t *frames, size_t count, bool routed, mdp_view_t *view);

//  Send message on a socket (a routing id first when peer is set), never
//  blocking. Body frames go as shared copies when keep (the caller may send
//  them again), else they are moved out. 0, or -1 with libzmq's errno.
int mdp_send (void *handle, const mdp_view_t *message, bool keep);

//  A view of bytes (NULL, 0 for none).
static inline mdp_bytes_t
mdp_bytes (const void *data, size_t size)
{
    return (mdp_bytes_t) { (const byte *) data, size };
}

//  True if the bytes start with the reserved "mmi." prefix (RFC 8).
bool mdp_service_is_mmi (mdp_bytes_t service);

const char *mdp_strerror (mdp_error_t error);

//  Name of a worker command byte ("READY", ...), or "UNKNOWN".
const char *mdp_command_name (int command);

//  True if bytes are exactly the string text.
bool mdp_bytes_is (mdp_bytes_t bytes, const char *text);

//  True if frame holds exactly the string text (length-checked, no asserts).
bool mdp_frame_is (zframe_t *frame, const char *text);

//  True if name is a valid service name: 1..255 bytes, printable ASCII.
bool mdp_service_valid (const void *name, size_t size);

//  Write a printable form of an address held as bytes (itself when
//  printable, else hex) into buf; returns buf.
char *mdp_bytes_str (const void *data, size_t size, char *buf, size_t bufsize);

#endif
