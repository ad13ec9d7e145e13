/* sha256.h - SHA-256 for the OB 3.0 path (RDFC-1.0 and eddsa-rdfc-2022):
 * the x86-64 SHA extensions when the CPU has them, else libsodium. */
#ifndef ACCORD_RECORDS_SHA256_H
#define ACCORD_RECORDS_SHA256_H

#include <stddef.h>
#include <stdint.h>

#include <sodium.h>

/* Incremental state. |ni| picks the path once, at init; the fields after it
 * belong to the SHA extensions path, |lib| to libsodium's. */
struct ac_sha256 {
    int ni;
    uint32_t h[8];
    uint64_t bytes;
    size_t fill;
    uint8_t buf[64];
    crypto_hash_sha256_state lib;
};

/* True when this CPU runs SHA-256 with the SHA extensions. */
int ac_sha256_accelerated(void);

void ac_sha256_init(struct ac_sha256 *st);
void ac_sha256_update(struct ac_sha256 *st, const void *data, size_t len);
void ac_sha256_final(struct ac_sha256 *st, uint8_t out[32]);
void ac_sha256(uint8_t out[32], const void *data, size_t len);

/* For tests: forces the libsodium path (|off| true) or the detected one. */
void ac_sha256_force_portable(int off);

#endif
