/*  names.h - what a service name, a worker id and an endpoint may be
    (internal). The one check each: the library refuses what these refuse,
    and the programs' option parsers ask the same functions, so a command
    line the program accepts never fails later in the library.            */

#ifndef ZLB_NAMES_H_INCLUDED
#define ZLB_NAMES_H_INCLUDED

#include <stdbool.h>

//  A service a client may call: 1-255 printable ASCII bytes, no spaces
//  (mmi.* included: the broker's own services).
bool zlb_service_name_valid (const char *name);

//  A service a worker may offer: a service name, and not mmi.* (reserved).
bool zlb_worker_service_valid (const char *name);

//  A worker id: 1-ZLB_WORKER_ID_MAX printable ASCII bytes, no spaces (it
//  goes into key=value logs and confirmations).
bool zlb_worker_id_valid (const char *id);

//  An endpoint with its scheme ("tcp://HOST:PORT", "ipc://PATH"): the
//  shape only; whether it binds or connects is libzmq's to say.
bool zlb_endpoint_valid (const char *endpoint);

#endif
