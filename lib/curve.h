/*  curve.h - CurveZMQ (RFC 26) helpers shared by the programs (internal).

    Certificates are czmq zcert files: a public file (safe to hand out) and
    a "_secret" file with both keys, mode 0600 (zlb-keygen writes both).
    Nothing here asserts: a missing or malformed file is an error with a
    short reason, because file names come from the command line.          */

#ifndef ZLB_CURVE_H_INCLUDED
#define ZLB_CURVE_H_INCLUDED

#include <czmq.h>
#include <stdbool.h>
#include <sys/stat.h>
#include "zlb/client.h"

#define ZLB_CURVE_KEY_TEXT 40     //  a Z85 key is 40 characters (32 bytes)

//  True if text is a 40-character Z85 key.
bool zlb_curve_key_valid (const char *text);

//  A certificate file read the safe way (file.h: regular files only, links
//  followed, at most 64 KiB), its fstat in *info (may be NULL). NULL with a reason.
zcert_t *zlb_curve_cert_read (const char *path, struct stat *info, const char **err);

//  The public key of a certificate file (public or secret file), or a
//  key given directly as 40 Z85 characters, into key [ZLB_CURVE_KEY_TEXT + 1].
//  0 on success, -1 with a reason in *err.
int zlb_curve_public_key_load (const char *path, char *key, const char **err);

//  Load our own certificate (both keys) from a secret file. A file that
//  group or others can read is refused: the key would not be secret.
//  NULL with a reason in *err.
zcert_t *zlb_curve_cert_load (const char *path, const char **err);

//  Make sock a CURVE client of the server with this public key (Z85): our
//  keys from cert, or from a fresh ephemeral pair when cert is NULL. Call
//  before connect. 0, or -1 (EINVAL: bad key).
int zlb_curve_client_apply (zsock_t *sock, zcert_t *cert, const char *server_key);

//  The programs' --broker-key FILE / --curve-secret FILE pair: the broker's
//  public key into key [ZLB_CURVE_KEY_TEXT + 1] and our certificate into
//  *cert_p (NULL when no secret is given: an ephemeral pair is used).
//  broker_key NULL means plain: returns 0 with key "" (a secret without a
//  broker key is an error). Prints why to stderr as "program: ...". 0 or -1.
int zlb_curve_flags_load (const char *program, const char *broker_key,
                          const char *secret, char *key, zcert_t **cert_p);

//  A client of count brokers for the programs: options (curve fields
//  ignored) plus the --broker-key/--curve-secret pair loaded as above (one
//  key for every broker). NULL with errno set (EINVAL after printing why
//  the flags are wrong; EINVAL too for a duplicate endpoint).
zlb_client_t *zlb_curve_client_new (const char *program, const char *const *endpoints,
                                    size_t count,
                                    const zlb_client_options_t *options,
                                    const char *broker_key, const char *secret);

#endif
