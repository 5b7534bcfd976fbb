#include "broker/kafka/handlers/group_common.h"

#include <limits>

#include "broker/kafka/group_offset_log.h"
#include "kafka/error_codes.h"

namespace keel::broker::kafka {

int32_t JavaStringHash(std::string_view utf8) {
  uint32_t h = 0;  // Java's int arithmetic wraps; unsigned arithmetic wraps the same way
  auto add = [&h](uint32_t unit) { h = 31 * h + unit; };
  const auto* s = reinterpret_cast<const unsigned char*>(utf8.data());
  const size_t n = utf8.size();
  size_t i = 0;
  while (i < n) {
    const unsigned char c = s[i];
    int length = 0;
    uint32_t code = 0;
    if (c < 0x80) {
      length = 1;
      code = c;
    } else if ((c & 0xE0) == 0xC0) {
      length = 2;
      code = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      length = 3;
      code = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      length = 4;
      code = c & 0x07;
    }
    bool valid = length > 0 && i + length <= n;
    for (int k = 1; valid && k < length; ++k) {
      if ((s[i + k] & 0xC0) != 0x80) valid = false;
      code = (code << 6) | (s[i + k] & 0x3F);
    }
    if (!valid) {
      add(c);
      ++i;
      continue;
    }
    if (code >= 0x10000) {
      code -= 0x10000;
      add(0xD800 + (code >> 10));
      add(0xDC00 + (code & 0x3FF));
    } else {
      add(code);
    }
    i += length;
  }
  return static_cast<int32_t>(h);
}

int32_t OffsetsPartitionFor(std::string_view group_id, int32_t partitions) {
  const int32_t h = JavaStringHash(group_id);
  const int32_t abs = h == std::numeric_limits<int32_t>::min() ? 0 : (h < 0 ? -h : h);
  return partitions <= 0 ? 0 : abs % partitions;
}

int16_t CoordinatorError(const BrokerContext& context, const std::string& group_id) {
  int16_t error = keel::kafka::Code(keel::kafka::ErrorCode::kCoordinatorNotAvailable);
  int32_t partition = -1;
  int32_t partition_count = 0;
  int32_t leader_epoch = -1;
  context.read_image([&](const metadata::MetadataImage& image) {
    const metadata::TopicInfo* topic = image.TopicByName(kOffsetsTopic);
    if (topic == nullptr || topic->partitions.empty()) return;
    partition_count = static_cast<int32_t>(topic->partitions.size());
    partition = OffsetsPartitionFor(group_id, partition_count);
    auto it = topic->partitions.find(partition);
    if (it == topic->partitions.end() || it->second.leader < 0) return;
    leader_epoch = it->second.leader_epoch;
    error = it->second.leader == context.broker_id
                ? 0
                : keel::kafka::Code(keel::kafka::ErrorCode::kNotCoordinator);
  });
  if (error != 0 || context.group_log == nullptr) return error;
  // This broker leads the partition: its offsets must be loaded before it answers.
  return context.group_log->EnsureLoaded(partition, partition_count, leader_epoch,
                                         context.groups);
}

std::string ClientHost(const std::string& peer) {
  const size_t colon = peer.rfind(':');
  return "/" + (colon == std::string::npos ? peer : peer.substr(0, colon));
}

}  // namespace keel::broker::kafka
