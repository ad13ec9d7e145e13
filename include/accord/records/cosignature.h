/* cosignature.h - C2SP tlog-cosignature (c2sp.org/tlog-cosignature), the
 * Ed25519 "cosignature/v1" a witness adds to a log checkpoint: a signed-note
 * signature line "— <witness name> <base64(key id || time || signature)>"
 * where the key id is the first 4 bytes of SHA-256(name || 0x0A || 0x04 ||
 * public key), time is the witness's clock in seconds (8 bytes big-endian),
 * and the signature is over "cosignature/v1\ntime <T>\n" followed by the
 * checkpoint text. The witness's time is what it vouches for: it saw this
 * checkpoint, consistent with every earlier one it saw, at that moment.
 * Pure computation: safe from any thread. */
#ifndef AC_COSIGNATURE_H
#define AC_COSIGNATURE_H

#include <stddef.h>
#include <stdint.h>

#include "accord/base/buf.h"
#include "accord/records/checkpoint.h"

#define AC_COSIG_ALG 0x04               /* the signed-note signature type of cosignature/v1 */
#define AC_COSIG_RAW_BYTES (4 + 8 + 64) /* key id, time, signature */
#define AC_COSIG_LINE_MAX (AC_NOTE_NAME_MAX + 120)

/* A witness a verifier trusts: its name (the key name of its lines) and its
 * Ed25519 public key. Plain value. */
struct ac_cosig_witness {
    char name[AC_NOTE_NAME_MAX + 1];
    uint8_t public_key[AC_NOTE_PUBLIC_BYTES];
    uint32_t key_id;
};

/* Returns the cosignature/v1 key id of |public_key| named |name|. */
uint32_t ac_cosig_key_id(const char *name, const uint8_t public_key[AC_NOTE_PUBLIC_BYTES]);

/* Fills |*out| for |name| / |public_key|. Returns 0 or AC_EINVAL (not a valid
 * signed-note key name: see ac_note_verifier_init()). */
int ac_cosig_witness_init(struct ac_cosig_witness *out, const char *name,
                          const uint8_t public_key[AC_NOTE_PUBLIC_BYTES]);

/* Parses a witness verifier key in the C2SP vkey text form
 * "<name>+<key id as 8 hex digits>+<base64(0x04 || public key)>". Returns 0
 * or AC_EPARSE (malformed, another signature type, or a key id that does not
 * match the name and key). */
int ac_cosig_witness_parse(const char *vkey, struct ac_cosig_witness *out);

/* Appends the vkey text form of |w| to |out|. Returns 0 or AC_ENOMEM. */
int ac_cosig_witness_format(const struct ac_cosig_witness *w, struct ac_buf *out);

/* Appends to |out| the message a cosignature at |time_s| signs over the
 * checkpoint text |text| (|len| bytes, the note without its signatures).
 * Returns 0 or AC_ENOMEM. */
int ac_cosig_message(uint64_t time_s, const char *text, size_t len, struct ac_buf *out);

/* Appends to |out| the cosignature line (ending in '\n') of witness |name| /
 * |public_key| at |time_s| over checkpoint text |text|, signed through |sign|
 * (called once). Returns 0, AC_EINVAL (bad name), AC_ENOMEM or what |sign|
 * returned; |out| is unchanged on failure. */
int ac_cosig_sign(const char *text, size_t len, const char *name,
                  const uint8_t public_key[AC_NOTE_PUBLIC_BYTES], uint64_t time_s,
                  ac_note_sign_cb sign, void *ctx, struct ac_buf *out);

/* One cosignature line, split: the name borrows the line. */
struct ac_cosig_line {
    const char *name;
    size_t name_len;
    uint32_t key_id;
    uint64_t time_s;
    uint8_t signature[64];
};

/* Splits the cosignature line |line| (|len| bytes, with or without its final
 * '\n'). Returns 0 or AC_EPARSE with the reason in |why| (may be NULL). */
int ac_cosig_line_parse(const char *line, size_t len, struct ac_cosig_line *out, char *why,
                        size_t why_len);

/* Verifies the split line |l| over checkpoint text |text| with witness |w|:
 * the names and key ids must match and the signature verify. Returns 0,
 * AC_ENOENT (the line is not by |w|: another name or key id), AC_ECRYPTO (by
 * |w| but the signature fails) or AC_ENOMEM. */
int ac_cosig_verify(const struct ac_cosig_line *l, const struct ac_cosig_witness *w,
                    const char *text, size_t len);

#endif
