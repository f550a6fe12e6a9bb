/*  security.c - CURVE on the broker's sockets, roles per message, and a
    second ROUTER for workers (--backend).

    Who may do what is decided twice. At the handshake, auth.c lets in only
    keys found in an allow-list and tags the connection with the roles of
    its key. Per message, broker_security_admit checks that the endpoint
    and the key's roles fit the command: a client command on the backend,
    a worker command on the frontend, a REQUEST from a worker-only key, or
    a READY from a key not allowed as a worker (or for that service) is
    refused and logged with the key.                                        */

#include "security.h"
#include "curve.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>

static broker_security_t *
s_require (zlb_broker_t *self)
{
    if (!self->security) {
        self->security = (broker_security_t *) zmalloc (sizeof (broker_security_t));
        if (self->security) {
            self->security->limit.burst = 10;
            self->security->limit.source = "security";
        }
    }
    return self->security;
}

void
broker_security_destroy (broker_security_t **self_p)
{
    broker_security_t *self = *self_p;
    if (!self)
        return;
    zsock_destroy (&self->monitor [0]);
    zsock_destroy (&self->monitor [1]);
    zsock_destroy (&self->backend);
    zactor_destroy (&self->auth);
    zcert_destroy (&self->cert);
    free (self);
    *self_p = NULL;
}

//  A socket must be a CURVE server before it binds. Its failed handshakes
//  are watched from then on (monitor.c).
static void
s_curve_apply (broker_security_t *security, zsock_t *sock)
{
    zsock_set_zap_domain (sock, "zlb");
    zcert_apply (security->cert, sock);
    zsock_set_curve_server (sock, 1);
    broker_monitor_start (security, sock, sock == security->backend ? 1 : 0);
}

static int
s_fail (zlb_broker_t *self, const char *what, const char *reason)
{
    zlb_log (self->log, ZLB_LOG_ERROR, "security_failed", "what=\"%s\" reason=\"%s\"",
             what, reason);
    errno = EINVAL;
    return -1;
}

static bool
s_is_directory (const char *path)
{
    struct stat info;
    return path && stat (path, &info) == 0 && S_ISDIR (info.st_mode);
}

int
zlb_broker_set_curve (zlb_broker_t *self, const char *secret_file,
                      const char *allow_clients, const char *allow_workers)
{
    assert (self);
    const char *reason = NULL;
    if (zsock_endpoint (self->router))
        return s_fail (self, "curve", "CURVE must be set before any bind");
    if (allow_clients && !s_is_directory (allow_clients))
        return s_fail (self, allow_clients, "--allow-clients is not a directory");
    if (allow_workers && !s_is_directory (allow_workers))
        return s_fail (self, allow_workers, "--allow-workers is not a directory");
    broker_security_t *security = s_require (self);
    if (!security || security->cert)
        return s_fail (self, "curve", security ? "already on" : "out of memory");
    if (!(security->cert = zlb_curve_cert_load (secret_file, &reason)))
        return s_fail (self, secret_file ? secret_file : "(none)", reason);
    broker_auth_args_t args = {allow_clients, allow_workers, self->log};
    security->auth = zactor_new (broker_auth_actor, &args);
    if (!security->auth || zsock_wait (security->auth) != 0) {
        zcert_destroy (&security->cert);
        zactor_destroy (&security->auth);
        return s_fail (self, "zap", "cannot serve ZAP (another handler in this process?)");
    }
    snprintf (security->allow_clients, sizeof (security->allow_clients), "%s",
              allow_clients ? allow_clients : "any");
    snprintf (security->allow_workers, sizeof (security->allow_workers), "%s",
              allow_workers ? allow_workers : "any");
    s_curve_apply (security, self->router);
    if (security->backend)
        s_curve_apply (security, security->backend);
    return 0;
}

int
zlb_broker_bind_backend (zlb_broker_t *self, const char *endpoint)
{
    assert (self);
    broker_security_t *security = s_require (self);
    if (!security)
        return s_fail (self, "backend", "out of memory");
    if (!security->backend) {
        security->backend = broker_router_new (self);
        if (!security->backend)
            return s_fail (self, "backend", "cannot make a socket");
        if (security->cert)
            s_curve_apply (security, security->backend);
    }
    if (!endpoint || zsock_bind (security->backend, "%s", endpoint) == -1) {
        int error = errno;
        zlb_log (self->log, ZLB_LOG_ERROR, "bind_failed", "endpoint=%s role=workers"
                 " error=\"%s\"", endpoint ? endpoint : "(null)", zmq_strerror (error));
        errno = error;
        return -1;
    }
    zlb_log (self->log, ZLB_LOG_INFO, "bind", "endpoint=%s role=workers security=%s",
             endpoint, security->cert ? "curve" : "plain");
    return 0;
}

void
zlb_broker_log_security (zlb_broker_t *self)
{
    assert (self);
    broker_security_t *security = self->security;
    if (security && security->cert)
        zlb_log (self->log, ZLB_LOG_NOTICE, "security", "mode=curve public_key=%s"
                 " allow_clients=%s allow_workers=%s backend=%s",
                 zcert_public_txt (security->cert), security->allow_clients,
                 security->allow_workers, security->backend ? "separate" : "shared");
    else
        zlb_log (self->log, ZLB_LOG_NOTICE, "security", "mode=plain encrypted=no"
                 " authenticated=no backend=%s note=\"anyone who reaches the endpoints"
                 " can read the traffic and register workers (see --curve-secret)\"",
                 security && security->backend ? "separate" : "shared");
}

zsock_t *
broker_security_backend (zlb_broker_t *self)
{
    return self->security ? self->security->backend : NULL;
}

//  --------------------------------------------------------------------------
//  Per message

//  DISCONNECT straight back on the socket the peer spoke on.
static void
s_disconnect (zsock_t *from, mdp_bytes_t sender)
{
    mdp_view_t message = {.peer = sender, .worker = true, .command = MDP_DISCONNECT};
    mdp_send (zsock_resolve (from), &message, false);
}

//  Metadata of the connection a message came on (any received frame of it:
//  libzmq attaches the properties to each), or NULL.
static const char *
s_meta (const mdp_view_t *view, const char *property)
{
    return view->header ? zmq_msg_gets (view->header, property) : NULL;
}

//  Count, log (rate-limited) and maybe DISCONNECT a refused message.
static bool
s_refuse (zlb_broker_t *self, zsock_t *from, const mdp_view_t *view, bool disconnect,
          const char *event, const char *reason)
{
    broker_security_t *security = self->security;
    self->stats.refused++;
    const char *key = s_meta (view, "User-Id");
    char name [BROKER_WORKER_NAME_MAX];
    zlb_log_kv_limited (self->log, &security->limit, ZLB_LOG_WARNING, event,
                        ZLB_STR ("peer", broker_address_str (view->peer.data, view->peer.size,
                                                            name, sizeof (name))),
                        ZLB_STR ("key", key && *key ? key : "-"),
                        ZLB_STR ("endpoint", from == security->backend ? "backend" : "frontend"),
                        ZLB_STR ("reason", reason));
    if (disconnect)
        s_disconnect (from, view->peer);
    return false;
}

void
broker_security_bind (zlb_broker_t *self, broker_worker_t *worker, zmq_msg_t *frame)
{
    const char *key = broker_security_curve (self) && frame
                    ? zmq_msg_gets (frame, "User-Id") : NULL;
    snprintf (worker->curve_key, sizeof (worker->curve_key), "%s", key ? key : "");
}

void
broker_security_log_flush (zlb_broker_t *self, bool force)
{
    zlb_log_limit_flush (self->log, &self->security->limit, force);
}

bool
broker_security_curve (zlb_broker_t *self)
{
    return self->security && self->security->cert;
}

//  True if list (comma-separated) holds item exactly.
static bool
s_list_has (const char *list, const void *item, size_t size)
{
    while (list && *list) {
        const char *comma = strchr (list, ',');
        size_t length = comma ? (size_t) (comma - list) : strlen (list);
        if (length == size && memcmp (list, item, size) == 0)
            return true;
        list = comma ? comma + 1 : NULL;
    }
    return false;
}

//  READY from a CURVE peer: its key must be allowed as a worker, and for
//  this service if its certificate restricts the services.
static bool
s_admit_ready (zlb_broker_t *self, zsock_t *from, const mdp_view_t *view)
{
    if (!s_list_has (s_meta (view, BROKER_META_ROLES), "worker", 6))
        return s_refuse (self, from, view, true, "worker_refused",
                         "key not allowed as a worker");
    const char *services = s_meta (view, BROKER_META_SERVICES);
    if (services && (!view->service.data
                     || !s_list_has (services, view->service.data, view->service.size)))
        return s_refuse (self, from, view, true, "worker_refused",
                         "service not in the key's certificate");
    return true;
}

//  False (refused, logged, the worker dropped) when a message comes from a
//  registered worker's routing id under another key than the one it
//  registered with: its connection is gone and another key took the free
//  id, so whatever the broker would send there is no longer the worker's.
static bool
s_identity_holds (zlb_broker_t *self, zsock_t *from, const mdp_view_t *view)
{
    broker_worker_t *worker = broker_worker_lookup_bytes (self, view->peer.data,
                                                          view->peer.size);
    const char *key = worker ? s_meta (view, "User-Id") : NULL;
    if (!worker || (key && streq (key, worker->curve_key)))
        return true;
    s_refuse (self, from, view, true, "identity_mismatch",
              "routing id of a worker registered with another key");
    broker_worker_delete (self, &worker, false, "routing id reused by another key");
    return false;
}

bool
broker_security_admit (zlb_broker_t *self, zsock_t *from, const mdp_view_t *view)
{
    broker_security_t *security = self->security;
    if (!view->client && !view->worker)
        return true;              //  the normal path reports it as malformed
    bool on_backend = security->backend && from == security->backend;
    if (view->client && on_backend)
        return s_refuse (self, from, view, false, "wrong_endpoint",
                         "client command on the workers' endpoint");
    if (view->worker && security->backend && !on_backend)
        return s_refuse (self, from, view, true, "wrong_endpoint",
                         "worker command on the clients' endpoint");
    if (!security->cert)
        return true;              //  plain: endpoints are the only check
    if (!s_identity_holds (self, from, view))
        return false;
    if (view->client)
        return s_list_has (s_meta (view, BROKER_META_ROLES), "client", 6)
            || s_refuse (self, from, view, false, "client_refused",
                         "key not allowed as a client");
    if (view->command == MDP_READY)
        return s_admit_ready (self, from, view);
    return s_list_has (s_meta (view, BROKER_META_ROLES), "worker", 6)
        || s_refuse (self, from, view, true, "worker_refused",
                     "key not allowed as a worker");
}
