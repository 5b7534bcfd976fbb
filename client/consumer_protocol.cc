#include "client/consumer_protocol.h"

#include "absl/strings/str_cat.h"
#include "kafka/wire.h"

namespace keel::client {
namespace {

void WriteTopicPartitions(const TopicPartitionsMap& map, kafka::Writer* w) {
  w->ArrayLength(static_cast<int32_t>(map.size()));
  for (const auto& [topic, partitions] : map) {
    w->String(topic);
    w->ArrayLength(static_cast<int32_t>(partitions.size()));
    for (int32_t p : partitions) w->Int32(p);
  }
}

TopicPartitionsMap ReadTopicPartitions(kafka::Reader* r) {
  TopicPartitionsMap out;
  const int32_t topics = r->ArrayLength();
  for (int32_t i = 0; i < topics && r->ok(); ++i) {
    std::string topic = r->String();
    std::vector<int32_t>& partitions = out[topic];
    const int32_t n = r->ArrayLength();
    for (int32_t k = 0; k < n && r->ok(); ++k) partitions.push_back(r->Int32());
  }
  return out;
}

absl::Status Malformed(const kafka::Reader& r, std::string_view what) {
  return absl::InvalidArgumentError(
      absl::StrCat("malformed consumer protocol ", std::string(what), ": ", r.status().message()));
}

}  // namespace

std::string EncodeSubscription(const ConsumerSubscription& s) {
  kafka::Writer w;
  w.Int16(s.version);
  w.ArrayLength(static_cast<int32_t>(s.topics.size()));
  for (const std::string& t : s.topics) w.String(t);
  w.NullableBytes(s.user_data.has_value() ? std::optional<std::string_view>(*s.user_data)
                                          : std::nullopt);
  if (s.version >= 1) WriteTopicPartitions(s.owned_partitions, &w);
  if (s.version >= 2) w.Int32(s.generation_id);
  if (s.version >= 3) w.NullableString(s.rack_id);
  return w.Release();
}

absl::StatusOr<ConsumerSubscription> DecodeSubscription(std::string_view bytes) {
  kafka::Reader r(bytes);
  ConsumerSubscription s;
  s.version = r.Int16();
  if (r.ok() && s.version < 0) return absl::InvalidArgumentError("negative subscription version");
  const int32_t n = r.ArrayLength();
  for (int32_t i = 0; i < n && r.ok(); ++i) s.topics.push_back(r.String());
  s.user_data = r.NullableBytes();
  // Fields of later versions are optional on the wire when absent (an older encoder that
  // claims a newer version is still read), as Kafka's ConsumerProtocol does.
  if (s.version >= 1 && r.remaining() > 0) s.owned_partitions = ReadTopicPartitions(&r);
  if (s.version >= 2 && r.remaining() >= 4) s.generation_id = r.Int32();
  if (s.version >= 3 && r.remaining() >= 2) s.rack_id = r.NullableString();
  if (!r.ok()) return Malformed(r, "subscription");
  return s;
}

std::string EncodeAssignment(const ConsumerAssignment& a) {
  kafka::Writer w;
  w.Int16(a.version);
  WriteTopicPartitions(a.partitions, &w);
  w.NullableBytes(a.user_data.has_value() ? std::optional<std::string_view>(*a.user_data)
                                          : std::nullopt);
  return w.Release();
}

absl::StatusOr<ConsumerAssignment> DecodeAssignment(std::string_view bytes) {
  ConsumerAssignment a;
  if (bytes.empty()) return a;
  kafka::Reader r(bytes);
  a.version = r.Int16();
  if (r.ok() && a.version < 0) return absl::InvalidArgumentError("negative assignment version");
  a.partitions = ReadTopicPartitions(&r);
  // librdkafka omits user_data when it has none in some versions; absent reads as null.
  if (r.ok() && r.remaining() > 0) a.user_data = r.NullableBytes();
  if (!r.ok()) return Malformed(r, "assignment");
  return a;
}

}  // namespace keel::client
