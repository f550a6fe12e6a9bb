/*  curve.c - CurveZMQ certificate helpers for the programs (curve.h).     */

#include "curve.h"
#include "file.h"

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

//  A Z85 key from the certificate's text into 32 bytes; all zero if absent.
static bool
s_z85_key (zconfig_t *root, const char *path, byte *key)
{
    const char *text = zconfig_get (root, path, NULL);
    memset (key, 0, 32);
    return !text || (strlen (text) == ZLB_CURVE_KEY_TEXT && zmq_z85_decode (key, text));
}

//  A certificate from its file text (zcert's format: curve/public-key,
//  curve/secret-key, metadata/*). NULL with a reason if it is not one.
static zcert_t *
s_cert_parse (const char *text, const char **reason)
{
    zconfig_t *root = zconfig_str_load (text);
    byte public_key [32], secret_key [32];
    zcert_t *cert = NULL;
    *reason = "not a certificate file";
    if (root && zconfig_get (root, "curve/public-key", NULL)
    &&  s_z85_key (root, "curve/public-key", public_key)
    &&  s_z85_key (root, "curve/secret-key", secret_key))
        cert = zcert_new_from (public_key, secret_key);
    zconfig_t *meta = cert ? zconfig_locate (root, "metadata") : NULL;
    for (zconfig_t *item = meta ? zconfig_child (meta) : NULL; item; item = zconfig_next (item))
        zcert_set_meta (cert, zconfig_name (item), "%s", zconfig_value (item));
    zconfig_destroy (&root);
    return cert;
}

zcert_t *
zlb_curve_cert_read (const char *path, struct stat *info, const char **err)
{
    const char *reason = NULL;
    char *text = zlb_file_read_small (path, NULL, info, &reason);
    zcert_t *cert = text ? s_cert_parse (text, &reason) : NULL;
    free (text);
    if (!cert && err)
        *err = reason;
    return cert;
}

int
zlb_curve_public_key_load (const char *path, char *key, const char **err)
{
    const char *reason = "no file given";
    if (!path || !key)
        goto failed;
    if (zlb_curve_key_valid (path)) {         //  the key itself, not a file
        memcpy (key, path, ZLB_CURVE_KEY_TEXT + 1);
        return 0;
    }
    zcert_t *cert = zlb_curve_cert_read (path, NULL, &reason);
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
    //  Mode checked on the descriptor we read: no race with a swapped file.
    zcert_t *cert = zlb_curve_cert_read (path, &info, &reason);
    if (cert && (info.st_mode & (S_IRWXG | S_IRWXO)))
        reason = "the secret file is readable by others (chmod 600 it)";
    else
    if (cert && s_all_zero (zcert_secret_key (cert), 32))
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
zlb_curve_client_new (const char *program, const char *const *endpoints, size_t count,
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
    zlb_client_t *client = zlb_client_new_multi (endpoints, count, &curved);
    int saved = errno;
    zcert_destroy (&curved.curve_cert);       //  applied to the socket already
    errno = saved;
    return client;
}
