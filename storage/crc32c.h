// CRC32C (Castagnoli, reflected polynomial 0x82F63B78): the checksum of every record batch.
// Debian packages no standalone crc32c library, so this is our own: the x86-64 SSE4.2 crc32
// instruction when the CPU has it (checked once at run time), else a table-driven version
// (slicing by 8). Check value: Value("123456789") == 0xE3069283.
#ifndef KEEL_STORAGE_CRC32C_H_
#define KEEL_STORAGE_CRC32C_H_

#include <cstddef>
#include <cstdint>

namespace keel::storage::crc32c {

// Extends `crc` (of earlier data) with `n` more bytes.
uint32_t Extend(uint32_t crc, const char* data, size_t n);
inline uint32_t Value(const char* data, size_t n) { return Extend(0, data, n); }

// The two implementations behind Extend, for tests that compare them.
namespace internal {
uint32_t ExtendPortable(uint32_t crc, const char* data, size_t n);
uint32_t ExtendHardware(uint32_t crc, const char* data, size_t n);  // requires HasHardware()
bool HasHardware();
}  // namespace internal

}  // namespace keel::storage::crc32c

#endif  // KEEL_STORAGE_CRC32C_H_
