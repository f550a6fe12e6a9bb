/*  auth.c - the broker's ZAP handler (RFC 27) for CURVE, as a czmq actor.

    libzmq asks inproc://zeromq.zap.01 about every CURVE handshake on the
    broker's sockets. We answer from two certstores (the --allow-clients
    and --allow-workers directories, lib/certstore.c: bounded reads,
    reloaded when they change)
    and tag the connection with what it may do: User-Id is the peer's
    public key (Z85) and the metadata says its roles and, for a worker key
    whose certificate has `services = "a,b"`, the services it may offer.
    libzmq attaches these to every message from that connection, so the
    broker reads them per message with zframe_meta and never has to trust
    what the peer says about itself.

    Why not czmq's zauth: in czmq 4.2 it answers with an empty User-Id, has
    one certificate directory for everyone (no roles), and copies
    certificate metadata into a fixed 512-byte buffer unchecked.          */

#include "security.h"
#include "certstore.h"

#include <string.h>

#define S_ZAP_ENDPOINT "inproc://zeromq.zap.01"
#define S_META_MAX 1024           //  metadata we send back per connection

typedef struct {
    zsock_t *pipe;                //  actor pipe
    zsock_t *handler;             //  REP bound to the ZAP endpoint
    zlb_certstore_t *clients;     //  keys allowed as clients; NULL: any key
    zlb_certstore_t *workers;     //  keys allowed as workers; NULL: any key
    zlb_log_t *log;               //  borrowed from the broker (thread-safe writes)
    zlb_ratelimit_t limit;        //  denials are logged, but not a flood of them
} s_auth_t;

//  One ZMTP metadata property: name length, name, 4-byte value length, value.
static size_t
s_put_property (byte *buf, size_t used, const char *name, const char *value)
{
    size_t name_size = strlen (name), value_size = strlen (value);
    if (used + 1 + name_size + 4 + value_size > S_META_MAX)
        return used;              //  cannot happen with our names; never overflow
    byte *out = buf + used;
    *out++ = (byte) name_size;
    memcpy (out, name, name_size);
    out += name_size;
    *out++ = (byte) (value_size >> 24);
    *out++ = (byte) (value_size >> 16);
    *out++ = (byte) (value_size >> 8);
    *out++ = (byte) value_size;
    memcpy (out, value, value_size);
    return used + 1 + name_size + 4 + value_size;
}

static void
s_reply (s_auth_t *self, zframe_t *sequence, const char *status, const char *text,
         const char *user_id, const byte *meta, size_t meta_size)
{
    zmsg_t *reply = zmsg_new ();
    zmsg_addstr (reply, "1.0");
    zmsg_addmem (reply, sequence ? zframe_data (sequence) : NULL,
                 sequence ? zframe_size (sequence) : 0);
    zmsg_addstr (reply, status);
    zmsg_addstr (reply, text);
    zmsg_addstr (reply, user_id);
    zmsg_addmem (reply, meta, meta_size);
    zmsg_send (&reply, self->handler);
}

//  The services a worker key may offer: its certificate's "services" into
//  *services (NULL: any, no certificate or no such field). false when the
//  list is there but unusable (too long to pass on, an empty or invalid
//  name): then the key is refused, never let through unrestricted.
static bool
s_services (s_auth_t *self, const char *key, const char **services, const char **why)
{
    zcert_t *cert = self->workers ? zlb_certstore_lookup (self->workers, key) : NULL;
    const char *list = cert ? zcert_meta (cert, "services") : NULL;
    *services = list;
    if (!list)
        return true;
    if (strlen (list) >= ZLB_CERT_SERVICES_MAX) {
        *why = "services list in its certificate too long";
        return false;
    }
    for (const char *item = list; ; ) {
        const char *comma = strchr (item, ',');
        size_t size = comma ? (size_t) (comma - item) : strlen (item);
        if (!mdp_service_valid (item, size)) {
            *why = "services list in its certificate not a comma-separated list of names";
            return false;
        }
        if (!comma)
            return true;
        item = comma + 1;
    }
}

//  Decide on one CURVE peer; fills meta and returns its size, 0 if denied
//  (*why says why).
static size_t
s_decide (s_auth_t *self, const char *key, byte *meta, const char **why)
{
    bool client = !self->clients || zlb_certstore_lookup (self->clients, key);
    bool worker = !self->workers || zlb_certstore_lookup (self->workers, key);
    const char *services = NULL;
    *why = "key in no allow-list";
    if ((!client && !worker) || (worker && !s_services (self, key, &services, why)))
        return 0;
    const char *roles = client && worker ? "client,worker" : client ? "client" : "worker";
    size_t used = s_put_property (meta, 0, BROKER_META_ROLES, roles);
    if (services)
        used = s_put_property (meta, used, BROKER_META_SERVICES, services);
    return used;
}

//  One ZAP request: version, sequence, domain, address, identity,
//  mechanism, credentials. Anything but a well-formed CURVE request is
//  denied; nothing here asserts.
static void
s_handle_request (s_auth_t *self)
{
    zmsg_t *request = zmsg_recv (self->handler);
    if (!request)
        return;
    zframe_t *version = zmsg_first (request);
    zframe_t *sequence = zmsg_next (request);
    zmsg_next (request);                               //  domain
    zframe_t *address = zmsg_next (request);
    zmsg_next (request);                               //  routing id
    zframe_t *mechanism = zmsg_next (request);
    zframe_t *credential = zmsg_next (request);
    char key [41] = "";
    char peer [64] = "";
    if (address)
        snprintf (peer, sizeof (peer), "%.*s", (int) zframe_size (address),
                  (const char *) zframe_data (address));
    bool curve = version && mdp_frame_is (version, "1.0") && mdp_frame_is (mechanism, "CURVE")
              && credential && zframe_size (credential) == 32;
    if (curve)
        zmq_z85_encode (key, zframe_data (credential), 32);
    byte meta [S_META_MAX];
    const char *why = "not a CURVE handshake";
    size_t meta_size = curve ? s_decide (self, key, meta, &why) : 0;
    if (meta_size) {
        zlb_log_kv (self->log, ZLB_LOG_DEBUG, "auth_allowed", ZLB_STR ("key", key),
                    ZLB_STR ("address", peer));
        s_reply (self, sequence, "200", "OK", key, meta, meta_size);
    }
    else {
        zlb_log_kv_limited (self->log, &self->limit, ZLB_LOG_WARNING, "auth_denied",
                            ZLB_STR ("key", *key ? key : NULL), ZLB_STR ("address", peer),
                            ZLB_STR ("mechanism", curve ? "CURVE" : "other"),
                            ZLB_STR ("reason", why));
        s_reply (self, sequence, "400", "No access", "", NULL, 0);
    }
    zmsg_destroy (&request);
}

static s_auth_t *
s_auth_new (zsock_t *pipe, broker_auth_args_t *args)
{
    s_auth_t *self = (s_auth_t *) zmalloc (sizeof (s_auth_t));
    self->pipe = pipe;
    self->log = args->log;
    self->limit.burst = 10;
    if (args->allow_clients)
        self->clients = zlb_certstore_new (args->allow_clients);
    if (args->allow_workers)
        self->workers = zlb_certstore_new (args->allow_workers);
    self->handler = zsock_new (ZMQ_REP);
    if (self->handler) {
        zsock_set_linger (self->handler, 0);
        if (zsock_bind (self->handler, S_ZAP_ENDPOINT) != 0)
            zsock_destroy (&self->handler);    //  another ZAP handler in this process
    }
    return self;
}

static void
s_auth_destroy (s_auth_t **self_p)
{
    s_auth_t *self = *self_p;
    zlb_certstore_destroy (&self->clients);
    zlb_certstore_destroy (&self->workers);
    zsock_destroy (&self->handler);
    free (self);
    *self_p = NULL;
}

void
broker_auth_actor (zsock_t *pipe, void *args)
{
    s_auth_t *self = s_auth_new (pipe, (broker_auth_args_t *) args);
    //  The first signal ends zactor_new; the second says whether we serve
    //  ZAP (0) or could not bind its endpoint (1).
    zsock_signal (pipe, 0);
    zsock_signal (pipe, self->handler ? 0 : 1);
    zpoller_t *poller = self->handler ? zpoller_new (pipe, self->handler, NULL) : NULL;
    while (poller) {
        void *which = zpoller_wait (poller, -1);
        if (which == self->handler)
            s_handle_request (self);
        else {
            zmsg_t *command = zmsg_recv (pipe);    //  only $TERM comes here
            zmsg_destroy (&command);
            break;
        }
    }
    if (!poller) {
        zmsg_t *command = zmsg_recv (pipe);        //  wait for $TERM
        zmsg_destroy (&command);
    }
    zpoller_destroy (&poller);
    s_auth_destroy (&self);
}
