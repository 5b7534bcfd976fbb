// Constants of the segment and index file formats (docs/formats/segment.md).
#ifndef KEEL_STORAGE_LOG_FORMAT_H_
#define KEEL_STORAGE_LOG_FORMAT_H_

#include <cstdint>

namespace keel::storage::format {

// Record batch header, little-endian:
//   0  u64 base_offset
//   8  u32 batch_length_bytes   (whole batch, header included)
//  12  u32 crc32c               (of bytes [16, batch_length_bytes))
//  16  u32 magic
//  20  i32 leader_epoch
//  24  u32 record_count
//  28  u32 attributes           (0; reserved for compression)
//  32  i64 max_timestamp_ms
//  40  records...
//
// Two record encodings share that header (docs/formats/segment.md, "Versions"). A writer
// uses the lowest one that can express the batch, so dense batches without nulls stay v1
// and every existing segment still reads:
//   v1 "KBT1": record_count records, one per offset, keys and values never null.
//   v2 "KBT2": the field at 24 is the batch's offset count (span); the records start with
//              varint record_count (may be 0), and each record with varint offset_delta and
//              a flags byte (kRecordNullKey | kRecordNullValue).
constexpr uint32_t kBatchMagic = 0x3154424B;    // "KBT1"
constexpr uint32_t kBatchMagicV2 = 0x3254424B;  // "KBT2"
constexpr uint8_t kRecordNullKey = 1;
constexpr uint8_t kRecordNullValue = 2;
constexpr int kBatchHeaderBytes = 40;
constexpr int kOffsetBaseOffset = 0;
constexpr int kOffsetLength = 8;
constexpr int kOffsetCrc = 12;
constexpr int kOffsetMagic = 16;
constexpr int kOffsetLeaderEpoch = 20;
constexpr int kOffsetRecordCount = 24;
constexpr int kOffsetAttributes = 28;
constexpr int kOffsetMaxTimestamp = 32;
constexpr int kCrcStart = 16;
// A batch larger than this is treated as corruption (a torn length field), not allocated.
constexpr uint32_t kMaxBatchBytes = 64u << 20;

// Index entry, little-endian:
//   0  u32 relative_offset          (offset - segment base)
//   4  u32 position                 (byte position of the batch in the .log)
//   8  i64 max_timestamp_before_ms  (largest batch timestamp before it in the segment, or -1)
//  16  u32 crc32c                   (of bytes [0, 16))
constexpr int kIndexEntryBytes = 20;
constexpr int kIndexOffsetRelative = 0;
constexpr int kIndexOffsetPosition = 4;
constexpr int kIndexOffsetTimestamp = 8;
constexpr int kIndexOffsetCrc = 16;

constexpr char kLogSuffix[] = ".log";
constexpr char kIndexSuffix[] = ".index";
constexpr int kBaseOffsetDigits = 20;
constexpr char kCleanShutdownFile[] = ".clean_shutdown";
constexpr char kLogStartOffsetFile[] = "log-start-offset";
// Intent of an unfinished Reset(): the decimal new start offset. Recovery finishes it.
constexpr char kResetFile[] = ".reset";
// Where the cleaner builds a compacted segment before renaming it over the original; a
// leftover (crash mid-clean) is deleted by Open.
constexpr char kCleanerDir[] = "cleaner";
// Decimal offset below which the closed segments were compacted (for the dirty ratio
// only: a stale value makes the cleaner run too seldom or too often, never wrongly).
constexpr char kCleanedThroughFile[] = "cleaned-through";

}  // namespace keel::storage::format

#endif  // KEEL_STORAGE_LOG_FORMAT_H_
