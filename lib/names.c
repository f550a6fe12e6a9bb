/*  names.c - the checks for names and endpoints (names.h).                */

#include "names.h"
#include "mdp.h"
#include "zlb/zlb.h"

#include <string.h>

bool
zlb_service_name_valid (const char *name)
{
    return name && mdp_service_valid (name, strlen (name));
}

bool
zlb_worker_service_valid (const char *name)
{
    return zlb_service_name_valid (name) && strncmp (name, "mmi.", 4) != 0;
}

bool
zlb_worker_id_valid (const char *id)
{
    if (!id)
        return false;
    size_t size = strlen (id);
    if (size == 0 || size > ZLB_WORKER_ID_MAX)
        return false;
    for (size_t index = 0; index < size; index++)
        if (id [index] < 0x21 || id [index] > 0x7e)
            return false;
    return true;
}

bool
zlb_endpoint_valid (const char *endpoint)
{
    const char *scheme_end = endpoint ? strstr (endpoint, "://") : NULL;
    return scheme_end && scheme_end > endpoint && scheme_end [3];
}
