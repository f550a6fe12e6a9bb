/*  security.h - CURVE, allow-lists by role and the workers' own endpoint
    (internal to the broker; the public calls are in broker.h).

    Off by default: a broker with no CURVE and one socket has no security
    object at all, and the hot path pays one NULL test per message.       */

#ifndef ZLB_BROKER_SECURITY_H_INCLUDED
#define ZLB_BROKER_SECURITY_H_INCLUDED

#include "broker_impl.h"

//  ZAP metadata names (auth.c sets them, security.c reads them per message).
#define BROKER_META_ROLES    "zlb-roles"      //  "client", "worker" or "client,worker"
#define BROKER_META_SERVICES "zlb-services"   //  services a worker key may offer

struct _broker_security_t {
    zcert_t *cert;                //  our keys; NULL in plain mode
    zactor_t *auth;               //  ZAP handler (auth.c); NULL in plain mode
    zsock_t *backend;             //  workers' ROUTER (--backend); NULL: workers use the router
    char allow_clients [256];     //  for the start-up log: directory or "any"
    char allow_workers [256];
    zlb_ratelimit_t limit;        //  refusals are logged, but not a flood of them
    zsock_t *monitor [2];         //  failed handshakes (monitor.c): main socket, backend
};

//  What the ZAP actor needs; copied before the actor signals.
typedef struct {
    const char *allow_clients;    //  directory of client public certs; NULL: any key
    const char *allow_workers;    //  directory of worker public certs; NULL: any key
    zlb_log_t *log;               //  where denials go
} broker_auth_args_t;

//  monitor.c: watch sock (role 0: the main ROUTER, 1: the backend) for
//  failed handshakes. 0 on success.
int broker_monitor_start (broker_security_t *security, zsock_t *sock, int role);

//  auth.c: the ZAP handler actor (zactor_new (broker_auth_actor, &args)).
void broker_auth_actor (zsock_t *pipe, void *args);

#endif
