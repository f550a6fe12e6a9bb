/*  curve.c - CurveZMQ certificate helpers for the programs (curve.h).     */

#include "curve.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>

bool
zlb_curve_key_valid (const char *text)
{
    if (!text || strlen (text) != ZLB_CURVE_KEY_TEXT)
        return false;
    uint8_t binary [32];
    return zmq_z85_decode (binary, text) != NULL;
}

int
zlb_curve_public_key_load (const char *path, char *key, const char **err)
{
    const char *reason = "no such certificate file (or not a certificate)";
    if (!path || !key) {
        reason = "no file given";
        goto failed;
    }
    if (zlb_curve_key_valid (path)) {         //  the key itself, not a file
        memcpy (key, path, ZLB_CURVE_KEY_TEXT + 1);
        return 0;
    }
    zcert_t *cert = zcert_load (path);
    if (!cert)
        goto failed;
    snprintf (key, ZLB_CURVE_KEY_TEXT + 1, "%s", zcert_public_txt (cert));
    zcert_destroy (&cert);
    if (!zlb_curve_key_valid (key)) {
        reason = "the certificate has no valid public key";
        goto failed;
    }
    return 0;

failed:
    if (err)
        *err = reason;
    return -1;
}

static bool
s_all_zero (const byte *bytes, size_t size)
{
    byte any = 0;
    for (size_t index = 0; index < size; index++)
        any |= bytes [index];
    return any == 0;
}

zcert_t *
zlb_curve_cert_load (const char *path, const char **err)
{
    const char *reason = NULL;
    struct stat info;
    zcert_t *cert = NULL;
    if (!path || stat (path, &info) != 0)
        reason = "cannot read the secret file";
    else
    if (info.st_mode & (S_IRWXG | S_IRWXO))
        reason = "the secret file is readable by others (chmod 600 it)";
    else
    if (!(cert = zcert_load (path)))
        reason = "not a certificate file";
    else
    if (s_all_zero (zcert_secret_key (cert), 32))
        reason = "the file holds no secret key (give the _secret file)";
    if (reason) {
        zcert_destroy (&cert);
        if (err)
            *err = reason;
        return NULL;
    }
    return cert;
}

int
zlb_curve_client_apply (zsock_t *sock, zcert_t *cert, const char *server_key)
{
    if (!sock || !zlb_curve_key_valid (server_key)) {
        errno = EINVAL;
        return -1;
    }
    zcert_t *ephemeral = cert ? NULL : zcert_new ();
    if (!cert && !ephemeral) {
        errno = ENOMEM;
        return -1;
    }
    zcert_apply (cert ? cert : ephemeral, sock);
    zsock_set_curve_serverkey (sock, server_key);
    zcert_destroy (&ephemeral);
    return 0;
}

int
zlb_curve_flags_load (const char *program, const char *broker_key,
                      const char *secret, char *key, zcert_t **cert_p)
{
    const char *err = NULL;
    key [0] = 0;
    *cert_p = NULL;
    if (!broker_key) {
        if (!secret)
            return 0;
        fprintf (stderr, "%s: --curve-secret needs --broker-key\n", program);
        return -1;
    }
    if (zlb_curve_public_key_load (broker_key, key, &err) != 0) {
        fprintf (stderr, "%s: --broker-key '%s': %s\n", program, broker_key, err);
        return -1;
    }
    if (secret && !(*cert_p = zlb_curve_cert_load (secret, &err))) {
        fprintf (stderr, "%s: --curve-secret '%s': %s\n", program, secret, err);
        return -1;
    }
    return 0;
}

zlb_client_t *
zlb_curve_client_new (const char *program, const char *endpoint,
                      const zlb_client_options_t *options,
                      const char *broker_key, const char *secret)
{
    zlb_client_options_t curved = *options;
    char key [ZLB_CURVE_KEY_TEXT + 1];
    if (zlb_curve_flags_load (program, broker_key, secret, key, &curved.curve_cert) != 0) {
        errno = EINVAL;
        return NULL;
    }
    curved.curve_server_key = *key ? key : NULL;
    zlb_client_t *client = zlb_client_new (endpoint, &curved);
    int saved = errno;
    zcert_destroy (&curved.curve_cert);       //  applied to the socket already
    errno = saved;
    return client;
}
