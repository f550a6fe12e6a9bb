/*  mdp.c - Majordomo 0.1 frame helpers shared by broker, client and worker. */

#include "mdp.h"

#include <stdio.h>
#include <string.h>

const char *
mdp_strerror (mdp_error_t error)
{
    switch (error) {
        case MDP_OK:          return "ok";
        case MDP_E_SHORT:     return "too few frames";
        case MDP_E_DELIMITER: return "missing empty delimiter frame";
        case MDP_E_PROTOCOL:  return "unknown protocol header";
        case MDP_E_COMMAND:   return "unknown worker command";
        case MDP_E_SERVICE:   return "invalid service name";
        case MDP_E_ADDRESS:   return "invalid client address";
        case MDP_E_EXTRA:     return "unexpected extra frames";
    }
    return "unknown error";
}

const char *
mdp_command_name (int command)
{
    static const char *names[] = {"READY", "REQUEST", "REPLY", "HEARTBEAT", "DISCONNECT"};
    if (command >= MDP_READY && command <= MDP_DISCONNECT)
        return names [command - MDP_READY];
    return "UNKNOWN";
}

bool
mdp_frame_is (zframe_t *frame, const char *text)
{
    if (!frame || !text)
        return false;
    size_t length = strlen (text);
    return zframe_size (frame) == length
        && memcmp (zframe_data (frame), text, length) == 0;
}

bool
mdp_service_valid (const void *name, size_t size)
{
    if (!name || size == 0 || size > MDP_SERVICE_MAX)
        return false;
    const unsigned char *bytes = (const unsigned char *) name;
    for (size_t index = 0; index < size; index++)
        if (bytes [index] < 0x21 || bytes [index] > 0x7e)
            return false;          //  no spaces, controls or binary: names go in logs
    return true;
}

char *
mdp_address_str (zframe_t *address, char *buf, size_t bufsize)
{
    if (!address) {
        if (buf && bufsize)
            buf [0] = 0;
        return buf;
    }
    return mdp_bytes_str (zframe_data (address), zframe_size (address), buf, bufsize);
}

char *
mdp_bytes_str (const void *data, size_t size, char *buf, size_t bufsize)
{
    if (!buf || bufsize == 0)
        return buf;
    buf [0] = 0;
    const unsigned char *bytes = (const unsigned char *) data;
    bool printable = size > 0;
    for (size_t index = 0; index < size && printable; index++)
        printable = bytes [index] >= 0x21 && bytes [index] <= 0x7e;
    if (printable) {
        snprintf (buf, bufsize, "%.*s", (int) size, (const char *) bytes);
        return buf;
    }
    size_t used = 0;
    for (size_t index = 0; index < size && used + 3 <= bufsize; index++)
        used += snprintf (buf + used, bufsize - used, "%02x", bytes [index]);
    return buf;
}
