#include "client/consumer.h"

#include <algorithm>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "client/errors.h"
#include "client/group_client.h"

namespace keel::client {
namespace {

using std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;

milliseconds Remaining(Clock::time_point deadline) {
  return std::max(milliseconds(0),
                  std::chrono::duration_cast<milliseconds>(deadline - Clock::now()));
}

}  // namespace

absl::StatusOr<ConsumerConfig> ConsumerConfig::FromProperties(const Properties& properties) {
  ConsumerConfig c;
  for (const auto& [key, value] : properties) {
    auto as64 = [&](int64_t* f) { return absl::SimpleAtoi(value, f); };
    auto as32 = [&](int32_t* f) { return absl::SimpleAtoi(value, f); };
    bool ok = true;
    if (key == "bootstrap.controllers") {
      c.bootstrap_controllers = value;
    } else if (key == "bootstrap.servers") {
      c.bootstrap_servers = value;
    } else if (key == "fetch.max.wait.ms") {
      ok = as64(&c.fetch_max_wait_ms);
    } else if (key == "fetch.min.bytes") {
      ok = as32(&c.fetch_min_bytes);
    } else if (key == "fetch.max.bytes") {
      ok = as32(&c.fetch_max_bytes);
    } else if (key == "max.partition.fetch.bytes") {
      ok = as32(&c.max_partition_fetch_bytes);
    } else if (key == "max.poll.records") {
      ok = as32(&c.max_poll_records) && c.max_poll_records > 0;
    } else if (key == "auto.offset.reset") {
      c.auto_offset_reset = value;
      ok = value == "earliest" || value == "latest" || value == "none";
    } else if (key == "request.timeout.ms") {
      ok = as64(&c.request_timeout_ms) && c.request_timeout_ms > 0;
    } else if (key == "retry.backoff.ms") {
      ok = as64(&c.retry_backoff_ms);
    } else if (key == "metadata.max.age.ms") {
      ok = as64(&c.metadata_max_age_ms);
    } else if (key == "group.id") {
      c.group.group_id = value;
    } else if (key == "group.instance.id") {
      c.group.group_instance_id = value;
      ok = !value.empty();
    } else if (key == "client.id") {
      c.group.client_id = value;
    } else if (key == "session.timeout.ms") {
      ok = as64(&c.group.session_timeout_ms) && c.group.session_timeout_ms > 0;
    } else if (key == "heartbeat.interval.ms") {
      ok = as64(&c.group.heartbeat_interval_ms) && c.group.heartbeat_interval_ms > 0;
    } else if (key == "max.poll.interval.ms") {
      ok = as64(&c.group.max_poll_interval_ms) && c.group.max_poll_interval_ms > 0;
    } else if (key == "partition.assignment.strategy") {
      c.group.assignment_strategies.clear();
      for (absl::string_view name : absl::StrSplit(value, ',', absl::SkipWhitespace())) {
        name = absl::StripAsciiWhitespace(name);
        c.group.assignment_strategies.emplace_back(name);
        if (!MakeAssignor(std::string(name)).ok()) ok = false;
      }
      ok = ok && !c.group.assignment_strategies.empty();
    } else if (key == "enable.auto.commit") {
      ok = value == "true" || value == "false";
      c.enable_auto_commit = value == "true";
    } else if (key == "auto.commit.interval.ms") {
      ok = as64(&c.auto_commit_interval_ms) && c.auto_commit_interval_ms > 0;
    } else {
      return absl::InvalidArgumentError(absl::StrCat("unknown consumer property '", key, "'"));
    }
    if (!ok) {
      return absl::InvalidArgumentError(absl::StrCat("bad value '", value, "' for ", key));
    }
  }
  c.group.request_timeout_ms = c.request_timeout_ms;
  c.group.retry_backoff_ms = c.retry_backoff_ms;
  if (c.group.heartbeat_interval_ms >= c.group.session_timeout_ms) {
    return absl::InvalidArgumentError(
        "heartbeat.interval.ms must be lower than session.timeout.ms");
  }
  return c;
}

absl::StatusOr<std::unique_ptr<Consumer>> Consumer::Create(const Properties& properties,
                                                           std::shared_ptr<MetadataCache> metadata) {
  auto config = ConsumerConfig::FromProperties(properties);
  if (!config.ok()) return config.status();
  if (metadata == nullptr) {
    auto cache = MetadataCache::FromBootstrap(config->bootstrap_controllers,
                                              config->bootstrap_servers,
                                              config->metadata_max_age_ms);
    if (!cache.ok()) return cache.status();
    metadata = std::move(*cache);
  }
  return std::make_unique<Consumer>(*config, std::move(metadata));
}

Consumer::Consumer(ConsumerConfig config, std::shared_ptr<MetadataCache> metadata,
                   std::shared_ptr<GroupClient> group_client)
    : config_(std::move(config)),
      metadata_(std::move(metadata)),
      group_client_(std::move(group_client)) {}

Consumer::~Consumer() { (void)Close(); }

std::vector<ConsumerRecord> Consumer::DrainBuffered() {
  std::vector<ConsumerRecord> out;
  while (!buffered_.empty() && static_cast<int32_t>(out.size()) < config_.max_poll_records) {
    ConsumerRecord& r = buffered_.front();
    auto it = assigned_.find(TopicPartition{r.topic, r.partition});
    // Buffered records of a partition are in offset order from its position; a compacted
    // topic leaves gaps between them (docs/compaction.md), so offsets may skip ahead.
    if (it != assigned_.end() && it->second.position >= 0 && r.offset >= it->second.position) {
      it->second.position = r.offset + 1;
      out.push_back(std::move(r));
    }
    buffered_.pop_front();
  }
  return out;
}

void Consumer::DropBuffered(const TopicPartition& tp) {
  buffered_.erase(std::remove_if(buffered_.begin(), buffered_.end(),
                                 [&](const ConsumerRecord& r) {
                                   return r.topic == tp.topic && r.partition == tp.partition;
                                 }),
                  buffered_.end());
}

void Consumer::Assign(const std::vector<TopicPartition>& partitions) {
  (void)AssignChecked(partitions);
}

absl::Status Consumer::AssignChecked(const std::vector<TopicPartition>& partitions) {
  if (subscribed_) {
    return absl::FailedPreconditionError(
        "IllegalStateException: Subscription to topics, partitions and pattern are mutually "
        "exclusive (call Unsubscribe first)");
  }
  SetAssignment(partitions);
  return absl::OkStatus();
}

void Consumer::SetAssignment(const std::vector<TopicPartition>& partitions) {
  std::map<TopicPartition, PartitionState> next;
  for (const auto& tp : partitions) {
    auto it = assigned_.find(tp);
    next[tp] = it == assigned_.end() ? PartitionState() : it->second;
  }
  for (const auto& [tp, state] : assigned_) {
    if (next.count(tp) == 0) DropBuffered(tp);
  }
  assigned_ = std::move(next);
}

std::vector<TopicPartition> Consumer::Assignment() const {
  std::vector<TopicPartition> out;
  for (const auto& [tp, state] : assigned_) out.push_back(tp);
  return out;
}

absl::Status Consumer::Seek(const TopicPartition& tp, int64_t offset) {
  auto it = assigned_.find(tp);
  if (it == assigned_.end()) {
    return absl::FailedPreconditionError(
        absl::StrCat("partition ", tp.topic, "-", tp.partition, " is not assigned"));
  }
  if (offset < 0) return absl::InvalidArgumentError("a seek offset must not be negative");
  if (it->second.position != offset) DropBuffered(tp);
  it->second.position = offset;
  return absl::OkStatus();
}

absl::Status Consumer::SeekToTimestamp(const std::vector<TopicPartition>& partitions,
                                       int64_t timestamp_ms) {
  for (const auto& tp : partitions) {
    auto offset = OffsetForTime(tp, timestamp_ms, milliseconds(config_.request_timeout_ms));
    if (!offset.ok()) return offset.status();
    if (absl::Status s = Seek(tp, *offset); !s.ok()) return s;
  }
  return absl::OkStatus();
}

absl::Status Consumer::SeekToBeginning(const std::vector<TopicPartition>& partitions) {
  return SeekToTimestamp(partitions, kEarliestOffset);
}

absl::Status Consumer::SeekToEnd(const std::vector<TopicPartition>& partitions) {
  return SeekToTimestamp(partitions, kLatestOffset);
}

absl::StatusOr<int64_t> Consumer::Position(const TopicPartition& tp) {
  auto it = assigned_.find(tp);
  if (it == assigned_.end()) {
    return absl::FailedPreconditionError(
        absl::StrCat("partition ", tp.topic, "-", tp.partition, " is not assigned"));
  }
  if (it->second.position < 0) {
    if (absl::Status s = ResetPosition(tp, milliseconds(config_.request_timeout_ms)); !s.ok()) {
      return s;
    }
  }
  return it->second.position;
}

int64_t Consumer::HighWatermark(const TopicPartition& tp) const {
  auto it = assigned_.find(tp);
  return it == assigned_.end() ? -1 : it->second.high_watermark;
}

std::string Consumer::LeaderOf(const TopicPartition& tp, milliseconds timeout) {
  auto topic = metadata_->Topic(tp.topic, timeout);
  if (!topic.ok()) return "";
  const PartitionMetadata* pm = (*topic)->Find(tp.partition);
  return pm == nullptr ? "" : pm->leader_address;
}

absl::Status Consumer::ResetPosition(const TopicPartition& tp, milliseconds timeout) {
  if (config_.auto_offset_reset == "none") {
    return absl::OutOfRangeError(absl::StrCat("NoOffsetForPartitionException: ", tp.topic, "-",
                                              tp.partition,
                                              " has no valid position and auto.offset.reset=none"));
  }
  const int64_t which =
      config_.auto_offset_reset == "earliest" ? kEarliestOffset : kLatestOffset;
  auto offset = OffsetForTime(tp, which, timeout);
  if (!offset.ok()) return offset.status();
  assigned_[tp].position = *offset;
  return absl::OkStatus();
}

absl::StatusOr<int64_t> Consumer::OffsetForTime(const TopicPartition& tp, int64_t timestamp_ms,
                                                milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  absl::Status last = absl::DeadlineExceededError("ListOffsets timed out before any attempt");
  while (true) {
    std::string leader = LeaderOf(tp, Remaining(deadline));
    if (!leader.empty()) {
      broker::ListOffsetsRequest request;
      auto* t = request.add_topics();
      t->set_topic(tp.topic);
      auto* p = t->add_partitions();
      p->set_partition(tp.partition);
      p->set_timestamp_ms(timestamp_ms);
      broker::ListOffsetsResponse response;
      grpc::ClientContext context;
      context.set_deadline(std::chrono::system_clock::now() +
                           std::min(Remaining(deadline), milliseconds(config_.request_timeout_ms)));
      grpc::Status status = metadata_->Stub(leader)->ListOffsets(&context, request, &response);
      if (status.ok()) {
        if (response.topics_size() == 1 && response.topics(0).partitions_size() == 1) {
          const auto& r = response.topics(0).partitions(0);
          if (r.error() == keel::NONE) return r.offset();
          last = ErrorStatus(r.error(), r.error_message());
          if (!IsRetriable(r.error())) return last;
          if (r.error() == keel::NOT_LEADER_OR_FOLLOWER && !r.leader().address().empty()) {
            metadata_->HintLeader(tp.topic, tp.partition, r.leader());
          } else {
            metadata_->MarkStale(tp.topic);
          }
        } else {
          return absl::InternalError("ListOffsets answered for other partitions than asked");
        }
      } else {
        last = ToAbsl(status);
        if (!IsRetriable(status)) return last;
        metadata_->MarkStale(tp.topic);
      }
    } else {
      last = absl::UnavailableError(
          absl::StrCat("LEADER_NOT_AVAILABLE: no leader known for ", tp.topic, "-", tp.partition));
      metadata_->MarkStale(tp.topic);
    }
    if (Remaining(deadline).count() <= 0) return last;
    std::this_thread::sleep_for(std::min(Remaining(deadline), milliseconds(config_.retry_backoff_ms)));
  }
}

absl::StatusOr<std::vector<ConsumerRecord>> Consumer::Poll(milliseconds timeout) {
  if (closed_) return absl::FailedPreconditionError("the consumer is closed");
  if (!subscribed_) return PollAssigned(timeout);
  const auto deadline = Clock::now() + timeout;
  while (true) {
    if (absl::Status s = UpdateGroup(); !s.ok()) return s;
    // Slices of at most fetch.max.wait.ms, so the group's work is never far away.
    const milliseconds slice = std::min(Remaining(deadline), milliseconds(config_.fetch_max_wait_ms));
    if (assigned_.empty()) {
      std::this_thread::sleep_for(std::min(slice, milliseconds(config_.retry_backoff_ms)));
    } else {
      auto records = PollAssigned(std::max(slice, milliseconds(1)));
      if (!records.ok() || !records->empty()) return records;
    }
    if (Remaining(deadline).count() <= 0) return std::vector<ConsumerRecord>{};
  }
}

absl::StatusOr<std::vector<ConsumerRecord>> Consumer::PollAssigned(milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  std::vector<ConsumerRecord> out;
  if (assigned_.empty()) {
    return absl::FailedPreconditionError("no partitions are assigned");
  }
  if (!buffered_.empty()) {
    out = DrainBuffered();
    if (!out.empty()) return out;
  }
  while (true) {
    // Resolve missing positions and group the partitions by leader.
    std::map<std::string, std::vector<TopicPartition>> by_leader;
    for (auto& [tp, state] : assigned_) {
      if (state.position < 0) {
        if (absl::Status s = ResetPosition(tp, std::max(Remaining(deadline), milliseconds(1)));
            !s.ok()) {
          if (absl::IsOutOfRange(s) || absl::IsNotFound(s)) return s;
          continue;  // leader unknown right now; next round
        }
      }
      std::string leader = LeaderOf(tp, std::max(Remaining(deadline), milliseconds(1)));
      if (leader.empty()) {
        metadata_->MarkStale(tp.topic);
        continue;
      }
      by_leader[leader].push_back(tp);
    }

    struct Pending {
      broker::FetchRequest request;
      broker::FetchResponse response;
      grpc::ClientContext context;
      grpc::Status status;
      std::string address;
    };
    std::vector<std::unique_ptr<Pending>> calls;
    std::mutex mu;
    std::condition_variable cv;
    size_t finished = 0;
    const int64_t wait_ms =
        std::min<int64_t>(config_.fetch_max_wait_ms, Remaining(deadline).count());
    for (auto& [address, partitions] : by_leader) {
      auto call = std::make_unique<Pending>();
      call->address = address;
      call->request.set_max_wait_ms(static_cast<int32_t>(wait_ms));
      call->request.set_min_bytes(config_.fetch_min_bytes);
      call->request.set_max_bytes(config_.fetch_max_bytes);
      std::map<std::string, broker::FetchTopic*> topics;
      for (const auto& tp : partitions) {
        broker::FetchTopic*& t = topics[tp.topic];
        if (t == nullptr) {
          t = call->request.add_topics();
          t->set_topic(tp.topic);
        }
        auto* p = t->add_partitions();
        p->set_partition(tp.partition);
        p->set_fetch_offset(assigned_[tp].position);
        p->set_partition_max_bytes(config_.max_partition_fetch_bytes);
        p->set_current_leader_epoch(-1);
      }
      call->context.set_deadline(std::chrono::system_clock::now() + milliseconds(wait_ms) +
                                 milliseconds(config_.request_timeout_ms));
      calls.push_back(std::move(call));
    }
    for (auto& call : calls) {
      Pending* c = call.get();
      metadata_->Stub(c->address)
          ->async()
          ->Fetch(&c->context, &c->request, &c->response, [&, c](grpc::Status status) {
            std::lock_guard<std::mutex> lock(mu);
            c->status = std::move(status);
            ++finished;
            cv.notify_one();
          });
    }
    {
      std::unique_lock<std::mutex> lock(mu);
      cv.wait(lock, [&] { return finished == calls.size(); });
    }

    absl::Status fatal;
    for (auto& call : calls) {
      if (!call->status.ok()) {
        for (const auto& t : call->request.topics()) metadata_->MarkStale(t.topic());
        continue;
      }
      for (const auto& t : call->response.topics()) {
        for (const auto& p : t.partitions()) {
          TopicPartition tp{t.topic(), p.partition()};
          auto it = assigned_.find(tp);
          if (it == assigned_.end()) continue;
          PartitionState& state = it->second;
          if (p.error() == keel::OFFSET_OUT_OF_RANGE) {
            state.position = -1;  // auto.offset.reset next round
            if (config_.auto_offset_reset == "none") {
              fatal = ErrorStatus(p.error(), p.error_message());
            }
            continue;
          }
          if (p.error() != keel::NONE) {
            if (p.error() == keel::NOT_LEADER_OR_FOLLOWER && !p.leader().address().empty()) {
              metadata_->HintLeader(tp.topic, tp.partition, p.leader());
            } else if (IsRetriable(p.error())) {
              metadata_->MarkStale(tp.topic);
            } else {
              fatal = ErrorStatus(p.error(), p.error_message());
            }
            continue;
          }
          state.high_watermark = p.high_watermark();
          int64_t next_offset = state.position;
          bool buffered_any = false;
          for (const auto& batch : p.batches()) {
            for (int i = 0; i < batch.records_size(); ++i) {
              const broker::Record& r = batch.records(i);
              const int64_t offset = r.offset() != 0 ? r.offset() : batch.base_offset() + i;
              if (offset < next_offset) continue;  // a batch starting before us
              ConsumerRecord cr;
              cr.topic = tp.topic;
              cr.partition = tp.partition;
              cr.offset = offset;
              cr.timestamp_ms = r.timestamp_ms();
              cr.key = r.key();
              cr.value = r.value();
              cr.null_key = !r.has_key();
              cr.null_value = !r.has_value();
              for (const auto& h : r.headers()) cr.headers.emplace_back(h.key(), h.value());
              buffered_.push_back(std::move(cr));
              buffered_any = true;
              next_offset = offset + 1;
            }
            if (batch.has_last_offset()) next_offset = std::max(next_offset, batch.last_offset() + 1);
          }
          // Batches whose records compaction removed: move past them.
          if (!buffered_any && state.position >= 0) {
            state.position = std::max(state.position, next_offset);
          }
        }
      }
    }
    if (!fatal.ok()) return fatal;
    out = DrainBuffered();
    if (!out.empty() || Remaining(deadline).count() <= 0) return out;
    if (calls.empty()) {
      std::this_thread::sleep_for(
          std::min(Remaining(deadline), milliseconds(config_.retry_backoff_ms)));
    }
  }
}

}  // namespace keel::client
