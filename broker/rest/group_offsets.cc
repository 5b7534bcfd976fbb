#include "broker/rest/group_offsets.h"

#include <map>

#include "absl/strings/str_cat.h"
#include "client/errors.h"

namespace keel::rest {

absl::Status CommitSimple(client::GroupClient& groups, const std::string& group,
                          const client::OffsetMap& offsets) {
  keel::group::OffsetCommitRequest request;
  request.set_group_id(group);
  request.set_generation_id(-1);
  std::map<std::string, keel::group::OffsetCommitTopic*> topics;
  for (const auto& [tp, offset] : offsets) {
    auto& topic = topics[tp.topic];
    if (topic == nullptr) {
      topic = request.add_topics();
      topic->set_topic(tp.topic);
    }
    auto* p = topic->add_partitions();
    p->set_partition(tp.partition);
    p->set_offset(offset);
    p->set_leader_epoch(-1);
  }
  auto response = groups.OffsetCommit(request);
  if (!response.ok()) return response.status();
  if (response->error() != keel::NONE) {
    return client::ErrorStatus(response->error(), response->error_message());
  }
  for (const auto& t : response->topics()) {
    for (const auto& p : t.partitions()) {
      if (p.error() != keel::NONE) {
        return client::ErrorStatus(p.error(), absl::StrCat(t.topic(), "-", p.partition()));
      }
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<client::OffsetMap> FetchCommitted(
    client::GroupClient& groups, const std::string& group,
    const std::vector<client::TopicPartition>& partitions) {
  keel::group::OffsetFetchRequest request;
  request.set_group_id(group);
  std::map<std::string, keel::group::TopicPartitions*> topics;
  for (const auto& tp : partitions) {
    auto& topic = topics[tp.topic];
    if (topic == nullptr) {
      topic = request.add_topics();
      topic->set_topic(tp.topic);
    }
    topic->add_partitions(tp.partition);
  }
  auto response = groups.OffsetFetch(request);
  if (!response.ok()) return response.status();
  if (response->error() != keel::NONE) {
    return client::ErrorStatus(response->error(), response->error_message());
  }
  client::OffsetMap out;
  for (const auto& tp : partitions) out[tp] = -1;
  for (const auto& o : response->offsets()) out[{o.topic(), o.partition()}] = o.offset();
  return out;
}

}  // namespace keel::rest
