/*  mmi.c - the Majordomo Management Interface (ZeroMQ RFC 8).

    Requests to "mmi.*" are answered by the broker itself with a one-frame
    body: mmi.service -> "200" when the service named in the first body
    frame has at least one worker, else "404"; any other mmi.* -> "501".
    The reply keeps the client envelope: "", "MDPC01", service, code.      */

#include "broker_impl.h"

#include <string.h>

static const char *
s_service_code (zlb_broker_t *self, zmsg_t *body)
{
    zframe_t *name = zmsg_first (body);
    if (!name)
        return "404";
    //  lookup validates the name, so any bytes are safe here
    broker_service_t *service = broker_service_lookup (self, zframe_data (name),
                                                       zframe_size (name));
    return service && service->workers > 0 ? "200" : "404";
}

void
broker_mmi_request (zlb_broker_t *self, zframe_t *client, zframe_t *service, zmsg_t *body)
{
    const char *code = mdp_frame_is (service, "mmi.service")
                     ? s_service_code (self, body) : "501";
    broker_part_t parts [] = {
        {"", 0},
        {MDP_CLIENT, strlen (MDP_CLIENT)},
        {zframe_data (service), zframe_size (service)},
        {code, strlen (code)}
    };
    if (zlb_log_enabled (self->log, ZLB_LOG_DEBUG)) {
        char name [BROKER_WORKER_NAME_MAX];
        zlb_log_write (self->log, ZLB_LOG_DEBUG, "mmi", "client=%s service=%.*s code=%s",
                       mdp_address_str (client, name, sizeof (name)),
                       (int) zframe_size (service), (const char *) zframe_data (service),
                       code);
    }
    broker_send (self, client, parts, 4, NULL);
}
