// CRC32C (Castagnoli, reflected polynomial 0x82F63B78): the checksum of every record batch.
// Debian packages no standalone crc32c library, so this is a small table-driven version
// (slicing by 8). Check value: Value("123456789") == 0xE3069283.
#ifndef KEEL_STORAGE_CRC32C_H_
#define KEEL_STORAGE_CRC32C_H_

#include <cstddef>
#include <cstdint>

namespace keel::storage::crc32c {

// Extends `crc` (of earlier data) with `n` more bytes.
uint32_t Extend(uint32_t crc, const char* data, size_t n);
inline uint32_t Value(const char* data, size_t n) { return Extend(0, data, n); }

}  // namespace keel::storage::crc32c

#endif  // KEEL_STORAGE_CRC32C_H_
