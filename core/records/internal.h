/* internal.h - what files of core/records share and nothing outside may use
 * (the JSON-LD files share jsonld_internal.h). */
#ifndef AC_RECORDS_INTERNAL_H
#define AC_RECORDS_INTERNAL_H

#include <stdint.h>

/* The C2SP signed-note key ID of key |name| with signature type |sig_type|
 * (0x01 Ed25519 notes, 0x04 cosignature/v1): the first four bytes of
 * SHA-256(name || "\n" || sig_type || |public_key|), big-endian. */
uint32_t ac__note_key_id(const char *name, uint8_t sig_type, const uint8_t public_key[32]);

#endif
