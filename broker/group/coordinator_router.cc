#include "broker/group/coordinator_router.h"

#include <algorithm>
#include <chrono>
#include <limits>
#include <thread>
#include <utility>

#include "common/logging.h"
#include "kafka/error_codes.h"

namespace keel::broker::group {
namespace {

using keel::kafka::Code;
using keel::kafka::ErrorCode;

}  // namespace

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

std::string ClientHost(const std::string& peer) {
  std::string_view p = peer;
  for (std::string_view scheme : {"ipv4:", "ipv6:"}) {
    if (p.substr(0, scheme.size()) == scheme) p.remove_prefix(scheme.size());
  }
  const size_t colon = p.rfind(':');
  std::string_view host = colon == std::string_view::npos ? p : p.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  return "/" + std::string(host);
}

CoordinatorRouter::CoordinatorRouter(int32_t broker_id, GroupConfig config, ReadImage read_image,
                                     CreateTopics create_topics, EnsureLoaded ensure_loaded,
                                     int64_t admin_timeout_ms, int64_t leader_wait_ms)
    : broker_id_(broker_id),
      config_(config),
      read_image_(std::move(read_image)),
      create_topics_(std::move(create_topics)),
      ensure_loaded_(std::move(ensure_loaded)),
      admin_timeout_ms_(admin_timeout_ms),
      leader_wait_ms_(leader_wait_ms) {}

CoordinatorLocation CoordinatorRouter::Find(const std::string& group_id,
                                            std::string_view endpoint_name) {
  if (!OffsetsTopicExists()) CreateOffsetsTopic();
  CoordinatorLocation c;
  c.error_code = Code(ErrorCode::kCoordinatorNotAvailable);
  read_image_([&](const metadata::MetadataImage& image) {
    const metadata::TopicInfo* topic = image.TopicByName(kOffsetsTopic);
    if (topic == nullptr || topic->partitions.empty()) return;
    const int32_t p = OffsetsPartitionFor(group_id, static_cast<int32_t>(topic->partitions.size()));
    auto it = topic->partitions.find(p);
    if (it == topic->partitions.end() || it->second.leader < 0) return;
    const metadata::BrokerInfo* broker = image.Broker(it->second.leader);
    if (broker == nullptr) return;
    for (const metadata::Endpoint& e : broker->endpoints) {
      if (e.name() != endpoint_name) continue;
      c.node_id = it->second.leader;
      c.host = e.host();
      c.port = e.port();
      c.error_code = 0;
      return;
    }
  });
  if (c.error_code != 0) c.error_message = "the group coordinator is not available yet";
  return c;
}

int16_t CoordinatorRouter::CoordinatorError(const std::string& group_id) const {
  int16_t error = Code(ErrorCode::kCoordinatorNotAvailable);
  int32_t partition = -1;
  int32_t partition_count = 0;
  int32_t leader_epoch = -1;
  read_image_([&](const metadata::MetadataImage& image) {
    const metadata::TopicInfo* topic = image.TopicByName(kOffsetsTopic);
    if (topic == nullptr || topic->partitions.empty()) return;
    partition_count = static_cast<int32_t>(topic->partitions.size());
    partition = OffsetsPartitionFor(group_id, partition_count);
    auto it = topic->partitions.find(partition);
    if (it == topic->partitions.end() || it->second.leader < 0) return;
    leader_epoch = it->second.leader_epoch;
    error = it->second.leader == broker_id_ ? 0 : Code(ErrorCode::kNotCoordinator);
  });
  if (error != 0 || !ensure_loaded_) return error;
  // This broker leads the partition: its offsets must be loaded before it answers.
  return ensure_loaded_(partition, partition_count, leader_epoch);
}

bool CoordinatorRouter::OffsetsTopicExists() const {
  bool exists = false;
  read_image_([&](const metadata::MetadataImage& image) {
    exists = image.TopicByName(kOffsetsTopic) != nullptr;
  });
  return exists;
}

void CoordinatorRouter::CreateOffsetsTopic() {
  if (!create_topics_) return;
  int32_t usable = 1;
  read_image_([&](const metadata::MetadataImage& image) {
    usable = std::max<int32_t>(1, static_cast<int32_t>(image.UsableBrokers().size()));
  });
  controller::CreateTopicsRequest create;
  create.set_timeout_ms(static_cast<int32_t>(admin_timeout_ms_));
  auto* t = create.add_topics();
  t->set_name(kOffsetsTopic);
  t->set_num_partitions(config_.offsets_topic_num_partitions);
  t->set_replication_factor(std::min<int32_t>(config_.offsets_topic_replication_factor, usable));
  // As Kafka: only the newest record per key matters (docs/formats/consumer-offsets.md).
  (*t->mutable_configs())["cleanup.policy"] = "compact";
  absl::StatusOr<controller::CreateTopicsResponse> created = create_topics_(create);
  if (!created.ok()) {
    KEEL_LOG_WARN("group coordinator: creating {} failed: {}", kOffsetsTopic,
                  created.status().ToString());
    return;
  }
  for (const auto& r : created->results()) {
    if (r.error() != keel::NONE && r.error() != keel::TOPIC_ALREADY_EXISTS) {
      KEEL_LOG_WARN("group coordinator: creating {} refused: {}", kOffsetsTopic,
                    r.error_message());
      return;
    }
  }
  KEEL_LOG_INFO("group coordinator: created {} ({} partitions)", kOffsetsTopic,
                config_.offsets_topic_num_partitions);
  // Most clients retry FindCoordinator after a back-off; answering with the leader when it
  // appears within a moment saves them that round. Polled: the image has no waiter.
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::milliseconds(leader_wait_ms_);
  while (std::chrono::steady_clock::now() < deadline) {
    bool led = false;
    read_image_([&](const metadata::MetadataImage& image) {
      const metadata::TopicInfo* topic = image.TopicByName(kOffsetsTopic);
      if (topic == nullptr) return;
      led = true;
      for (const auto& [p, info] : topic->partitions) {
        if (info.leader < 0) led = false;
      }
    });
    if (led) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

}  // namespace keel::broker::group
