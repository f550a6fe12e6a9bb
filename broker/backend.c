/*  backend.c - commands from workers ("MDPW01").

    After the sender, "" and header (taken off by broker.c) a worker message
    is: command byte, then the command's frames. Every message from a
    registered worker counts as a sign of life. A valid but unexpected
    command, or one we do not know, is answered with DISCONNECT (and the
    worker, if registered, is removed and its request redelivered): a worker
    that breaks the protocol is safer gone, and a well-behaved one simply
    reconnects and sends READY again.                                      */

#include "broker_impl.h"

#include <string.h>

int
broker_worker_command (zlb_broker_t *self, zframe_t *address, int command)
{
    unsigned char byte = (unsigned char) command;
    broker_part_t parts [] = {
        {"", 0}, {MDP_WORKER, strlen (MDP_WORKER)}, {&byte, 1}
    };
    return broker_send (self, address, parts, 3, NULL);
}

//  Answer a protocol error with DISCONNECT and forget the worker.
static void
s_protocol_error (zlb_broker_t *self, zframe_t *sender, broker_worker_t *worker,
                  const char *reason)
{
    char name [BROKER_WORKER_NAME_MAX];
    broker_warn (self, "worker_protocol_error", "peer=%s reason=\"%s\" registered=%s",
                 mdp_address_str (sender, name, sizeof (name)), reason,
                 worker ? "yes" : "no");
    self->stats.disconnects++;
    if (worker)
        broker_worker_delete (self, &worker, true, reason);
    else
        broker_worker_command (self, sender, MDP_DISCONNECT);
}

//  The credit extension's READY frame, "credit=N" (docs/protocol.md): N,
//  or 0 if the frame is anything else.
static int
s_credit_parse (zframe_t *frame)
{
    const char *text = (const char *) zframe_data (frame);
    size_t size = zframe_size (frame);
    if (size < 8 || size > 11 || memcmp (text, "credit=", 7) != 0)
        return 0;
    int credit = 0;
    for (size_t index = 7; index < size; index++) {
        if (text [index] < '0' || text [index] > '9')
            return 0;
        credit = credit * 10 + (text [index] - '0');
    }
    return credit >= 1 && credit <= BROKER_CREDIT_MAX ? credit : 0;
}

//  READY: service [, "credit=N"]. Refused for mmi.*, invalid names, other
//  extra frames, and registered workers.
static void
s_ready (zlb_broker_t *self, zframe_t *sender, broker_worker_t *worker, zmsg_t *msg)
{
    zframe_t *service_frame = zmsg_first (msg);
    int credit = zmsg_size (msg) == 2 ? s_credit_parse (zmsg_last (msg)) : 1;
    const char *refusal = NULL;
    if (worker)
        refusal = "READY from a registered worker";
    else
    if (!service_frame)
        refusal = "READY without service";
    else
    if (zmsg_size (msg) > 2 || credit == 0)
        refusal = "READY with extra frames";
    else
    if (!mdp_service_valid (zframe_data (service_frame), zframe_size (service_frame)))
        refusal = "READY with invalid service name";
    else
    if (zframe_size (service_frame) >= 4
    &&  memcmp (zframe_data (service_frame), "mmi.", 4) == 0)
        refusal = "READY for a reserved mmi.* service";
    broker_service_t *service = NULL;
    if (!refusal) {
        service = broker_service_require (self, zframe_data (service_frame),
                                          zframe_size (service_frame));
        //  Requests alone never keep a worker out (docs/reliability.md).
        if (!service && broker_services_evict (self))
            service = broker_service_require (self, zframe_data (service_frame),
                                              zframe_size (service_frame));
        if (!service)
            refusal = "service table full";
    }
    if (refusal) {
        s_protocol_error (self, sender, worker, refusal);
        return;
    }
    worker = broker_worker_register (self, sender, service, credit);
    if (!worker)
        return;
    if (self->security)
        broker_security_bind (self, worker, service_frame);
    broker_worker_ready (self, worker);
}

//  A worker's reply to request: forward it (body as czmq frames in msg, or
//  as zmq_msg_t frames, moved), count it, free the request, and put the
//  worker back in line if it was full. Shared by both paths.
static void
s_forward_reply (zlb_broker_t *self, broker_worker_t *worker, broker_request_t *request,
                 zmsg_t *msg, zmq_msg_t *frames, size_t nframes)
{
    //  We route by what we remember, not by what the worker says.
    broker_service_t *service = worker->service;
    broker_part_t parts [] = {
        {"", 0}, {MDP_CLIENT, strlen (MDP_CLIENT)}, {service->name, service->name_size}
    };
    if (msg)
        broker_send_to (self, request->client, request->client_size, parts, 3, msg);
    else
        broker_send_frames (self, request->client, request->client_size, parts, 3,
                            frames, nframes, false);
    self->stats.replies++;
    worker->served++;
    service->stats.replies++;
    broker_timing_record (&service->stats.timing,
                          (zlb_mono_ns () - request->delivered_ns) / 1000);
    if (zlb_log_enabled (self->log, ZLB_LOG_DEBUG)) {
        char name [BROKER_WORKER_NAME_MAX];
        zlb_log_kv (self->log, ZLB_LOG_DEBUG, "reply", ZLB_STR ("worker", worker->name),
                    ZLB_STR ("client", broker_address_str (request->client, request->client_size,
                                                           name, sizeof (name))),
                    ZLB_STR ("service", service->name), ZLB_INT ("attempt", request->deliveries),
                    ZLB_INT ("age_ms", broker_now (self) - request->received));
    }
    broker_request_destroy (self, &request);
    //  A worker with credit left is still in the ready queue; one that was
    //  full goes to its back now.
    if (!worker->ready_handle)
        broker_worker_ready (self, worker);
}

//  A strict worker's REPLY answers its one request whatever address it
//  echoes; a different one is worth a warning.
static void
s_check_echo (zlb_broker_t *self, broker_worker_t *worker, broker_request_t *request,
              const void *address, size_t size)
{
    if (worker->credit == 1
    &&  (size != request->client_size || memcmp (address, request->client, size) != 0))
        broker_warn (self, "reply_address_mismatch", "worker=%s",  worker->name);
}

//  REPLY: client address, "", body... Only from a worker holding a request.
static void
s_reply (zlb_broker_t *self, zframe_t *sender, broker_worker_t *worker, zmsg_t *msg)
{
    if (!worker || !worker->request) {
        s_protocol_error (self, sender, worker, "REPLY from a worker holding no request");
        return;
    }
    zframe_t *client = zmsg_pop (msg);
    zframe_t *empty = zmsg_pop (msg);
    broker_request_t *request = NULL;
    if (!client || !empty || zframe_size (empty) != 0)
        s_protocol_error (self, sender, worker, "malformed REPLY envelope");
    else
    if (!(request = broker_worker_release (worker, zframe_data (client),
                                           zframe_size (client))))
        s_protocol_error (self, sender, worker, "REPLY matching no request in flight");
    else {
        s_check_echo (self, worker, request, zframe_data (client), zframe_size (client));
        s_forward_reply (self, worker, request, msg, NULL, 0);
    }
    zframe_destroy (&client);
    zframe_destroy (&empty);
}

//  Fast path: [sender, "", MDPW01, REPLY, client, "", body...] as zmq_msg_t
//  from a registered worker, matching a request it holds. Anything else
//  (errors included) goes the general way, which logs and answers it.
bool
broker_worker_fast (zlb_broker_t *self, broker_input_t *input)
{
    zmq_msg_t *part = input->part;
    if (input->overflow || input->count < 6 || zmq_msg_size (&part [1]) != 0
    ||  zmq_msg_size (&part [2]) != strlen (MDP_WORKER)
    ||  memcmp (zmq_msg_data (&part [2]), MDP_WORKER, strlen (MDP_WORKER)) != 0
    ||  zmq_msg_size (&part [3]) != 1 || *(byte *) zmq_msg_data (&part [3]) != MDP_REPLY
    ||  zmq_msg_size (&part [5]) != 0)
        return false;
    broker_worker_t *worker = broker_worker_lookup_bytes (self, zmq_msg_data (&part [0]),
                                                          zmq_msg_size (&part [0]));
    if (!worker || !worker->request)
        return false;
    const void *address = zmq_msg_data (&part [4]);
    size_t size = zmq_msg_size (&part [4]);
    broker_request_t *request = broker_worker_release (worker, address, size);
    if (!request)
        return false;
    broker_worker_refresh (self, worker);
    s_check_echo (self, worker, request, address, size);
    s_forward_reply (self, worker, request, NULL, part + 6, input->count - 6);
    return true;
}

static void
s_heartbeat (zlb_broker_t *self, zframe_t *sender, broker_worker_t *worker)
{
    if (!worker) {
        //  Probably registered with a broker that restarted: make it re-register.
        s_protocol_error (self, sender, NULL, "HEARTBEAT from an unknown worker");
        return;
    }
    zlb_log_kv (self->log, ZLB_LOG_DEBUG, "heartbeat_recv", ZLB_STR ("worker", worker->name),
                ZLB_STR ("busy", worker->request ? "yes" : "no"));
}

static void
s_disconnect (zlb_broker_t *self, broker_worker_t *worker)
{
    if (worker)
        broker_worker_delete (self, &worker, false, "disconnect");
}

void
broker_worker_message (zlb_broker_t *self, zframe_t *sender, zmsg_t *msg)
{
    zframe_t *command = zmsg_pop (msg);
    if (!command) {
        self->stats.malformed++;
        char name [BROKER_WORKER_NAME_MAX];
        broker_warn (self, "malformed_message", "peer=%s reason=\"%s\" frames=3",
                     mdp_address_str (sender, name, sizeof (name)),
                     "worker message without command");
        return;
    }
    broker_worker_t *worker = broker_worker_lookup (self, sender);
    if (worker)
        broker_worker_refresh (self, worker);
    int code = zframe_size (command) == 1 ? zframe_data (command) [0] : -1;
    switch (code) {
        case MDP_READY:      s_ready (self, sender, worker, msg); break;
        case MDP_REPLY:      s_reply (self, sender, worker, msg); break;
        case MDP_HEARTBEAT:  s_heartbeat (self, sender, worker); break;
        case MDP_DISCONNECT: s_disconnect (self, worker); break;
        case MDP_REQUEST:
            s_protocol_error (self, sender, worker, "REQUEST from a worker");
            break;
        default:
            s_protocol_error (self, sender, worker, mdp_strerror (MDP_E_COMMAND));
            break;
    }
    zframe_destroy (&command);
}
