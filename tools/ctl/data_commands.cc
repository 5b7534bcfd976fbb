// keelctl produce | consume: kafka-console-producer / kafka-console-consumer, on the client
// library (client::Producer and client::Consumer): the partition leaders come from the
// controllers; NOT_LEADER_OR_FOLLOWER (with the leader's address), UNAVAILABLE and the other
// retriable errors move or refresh them and retry until --timeout-ms.
#include <algorithm>
#include <cstdio>
#include <iostream>
#include <map>
#include <mutex>
#include <set>

#include <nlohmann/json.hpp>

#include "client/channels.h"
#include "client/consumer.h"
#include "client/producer.h"
#include "tools/ctl/commands.h"
#include "tools/ctl/connect.h"

namespace keel::keelctl {
namespace {

using std::chrono::milliseconds;

int Fail(const std::string& what, const std::string& message) {
  std::fprintf(stderr, "keelctl: %s: %s\n", what.c_str(), message.c_str());
  return 1;
}

// The data plane's metadata, and the partitions of `topic` (only `partition` without
// controllers, where it is required).
absl::Status Connect(const GlobalOptions& g, const std::string& topic, int partition,
                     std::shared_ptr<client::MetadataCache>* metadata,
                     std::vector<int32_t>* partitions) {
  const bool controllers = !client::SplitAddresses(g.controllers).empty();
  if (!controllers && client::SplitAddresses(g.brokers).empty()) {
    return absl::InvalidArgumentError(
        "no controllers or brokers given (use --controllers or KEEL_CONTROLLERS, or --brokers "
        "with --partition)");
  }
  *metadata = MetadataFor(g);
  if (!controllers) {
    if (partition < 0) {
      return absl::InvalidArgumentError(
          "without --controllers the partitions are unknown: pass --partition");
    }
    std::vector<int32_t> all(partition + 1);
    for (int i = 0; i <= partition; ++i) all[i] = i;
    (*metadata)->AddStaticTopic(topic, all);
  }
  auto described = (*metadata)->Topic(topic, milliseconds(g.timeout_ms));
  if (!described.ok()) return described.status();
  partitions->clear();
  for (const auto& p : (*described)->partitions) partitions->push_back(p.partition);
  if (partitions->empty()) return absl::UnavailableError("the topic has no partitions");
  if (partition >= 0) {
    if (std::find(partitions->begin(), partitions->end(), partition) == partitions->end()) {
      return absl::NotFoundError("UNKNOWN_TOPIC_OR_PARTITION: partition " +
                                 std::to_string(partition) + " does not exist (the topic has " +
                                 std::to_string(partitions->size()) + ")");
    }
    *partitions = {partition};
  }
  return absl::OkStatus();
}

}  // namespace

int Produce(const GlobalOptions& g, const ProduceOptions& o) {
  const std::string what = "produce " + o.topic;
  // Read every line first: a bad line fails the command before anything is sent.
  std::vector<client::ProducerRecord> records;
  std::string line;
  size_t line_number = 0;
  while (std::getline(std::cin, line)) {
    ++line_number;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    client::ProducerRecord r;
    r.topic = o.topic;
    r.partition = o.partition;
    if (!o.key_separator.empty()) {
      size_t at = line.find(o.key_separator);
      if (at == std::string::npos) {
        std::fprintf(stderr, "keelctl: %s: line %zu has no key separator '%s'\n", what.c_str(),
                     line_number, o.key_separator.c_str());
        return 2;
      }
      r.key = line.substr(0, at);
      r.value = line.substr(at + o.key_separator.size());
    } else {
      r.value = line;
    }
    records.push_back(std::move(r));
  }

  std::shared_ptr<client::MetadataCache> metadata;
  std::vector<int32_t> partitions;
  if (absl::Status s = Connect(g, o.topic, o.partition, &metadata, &partitions); !s.ok()) {
    return Fail(what, std::string(s.message()));
  }

  client::ProducerConfig config;
  config.acks = o.acks == "none"  ? broker::ACKS_NONE
                : o.acks == "all" ? broker::ACKS_ALL
                                  : broker::ACKS_LEADER;
  config.linger_ms = 0;  // every record is at hand: send as soon as the sender is free
  config.retry_backoff_ms = 200;
  config.delivery_timeout_ms = std::max<int64_t>(g.timeout_ms, 1);
  config.request_timeout_ms = std::min<int64_t>(5000, config.delivery_timeout_ms);
  config.max_block_ms = g.timeout_ms;
  client::Producer producer(config, metadata);

  struct Acked {
    int64_t records = 0;
    int64_t base_offset = -1;
    int64_t last_offset = -1;
  };
  std::mutex mu;
  std::map<int, Acked> acked;
  std::string last_error;
  int64_t failed = 0;
  for (client::ProducerRecord& r : records) {
    absl::Status s =
        producer.Send(std::move(r), [&](const absl::StatusOr<client::RecordMetadata>& m) {
          std::lock_guard<std::mutex> lock(mu);
          if (!m.ok()) {
            ++failed;
            last_error = std::string(m.status().message());
            return;
          }
          Acked& a = acked[m->partition];
          ++a.records;
          if (m->offset >= 0) {
            if (a.base_offset < 0 || m->offset < a.base_offset) a.base_offset = m->offset;
            a.last_offset = std::max(a.last_offset, m->offset);
          }
        });
    if (!s.ok()) {
      std::lock_guard<std::mutex> lock(mu);
      ++failed;
      last_error = std::string(s.message());
      if (absl::IsInvalidArgument(s) || absl::IsNotFound(s)) break;
    }
  }
  producer.Flush();
  producer.Close(milliseconds(0)).IgnoreError();

  std::lock_guard<std::mutex> lock(mu);
  int64_t total = 0;
  for (const auto& [p, a] : acked) total += a.records;
  if (g.json()) {
    nlohmann::json parts = nlohmann::json::array();
    for (const auto& [p, a] : acked) {
      parts.push_back({{"Partition", p},
                       {"Records", a.records},
                       {"BaseOffset", a.base_offset},
                       {"LastOffset", a.last_offset}});
    }
    std::cout << nlohmann::json{{"Topic", o.topic},
                                {"Acks", o.acks},
                                {"Records", records.size()},
                                {"Acknowledged", total},
                                {"Partitions", parts}}
                     .dump(2)
              << "\n";
  } else {
    for (const auto& [p, a] : acked) {
      std::printf("Partition: %d\tRecords: %ld\tBaseOffset: %ld\tLastOffset: %ld\n", p,
                  static_cast<long>(a.records), static_cast<long>(a.base_offset),
                  static_cast<long>(a.last_offset));
    }
    std::printf("%s %ld of %zu records to %s (acks=%s).\n",
                o.acks == "none" ? "Sent" : "Acknowledged", static_cast<long>(total),
                records.size(), o.topic.c_str(), o.acks.c_str());
  }
  std::fflush(stdout);
  if (total < static_cast<int64_t>(records.size())) {
    return Fail(what, std::to_string(records.size() - total) +
                          " records not acknowledged: " + last_error);
  }
  return 0;
}

namespace {

// One consumed record: text on stdout, or appended to `json_records`.
void PrintRecord(const GlobalOptions& g, const ConsumeOptions& o, const client::ConsumerRecord& rec,
                 nlohmann::json* json_records) {
  if (g.json()) {
    json_records->push_back({{"Partition", rec.partition},
                             {"Offset", rec.offset},
                             {"Timestamp", rec.timestamp_ms},
                             {"Key", rec.key},
                             {"Value", rec.value}});
    return;
  }
  std::string out;
  if (o.print_offset) {
    out += "Partition:" + std::to_string(rec.partition) +
           "\tOffset:" + std::to_string(rec.offset) + "\t";
  }
  if (o.print_key) out += (rec.key.empty() ? "null" : rec.key) + "\t";
  out += rec.value;
  std::printf("%s\n", out.c_str());
}

// consume --group: a member of the group (Subscribe), starting at the group's committed
// offsets (else latest, or earliest with --from-beginning), committing what it printed after
// each batch and leaving the group at the end. Without --max-messages it stops once every
// partition it holds has reached the end offset it had when assigned.
int ConsumeGroup(const GlobalOptions& g, const ConsumeOptions& o) {
  const std::string what = "consume " + o.topic + " --group " + o.group;
  const auto deadline = std::chrono::steady_clock::now() + milliseconds(g.timeout_ms);
  auto remaining = [&] {
    return std::max(milliseconds(0), std::chrono::duration_cast<milliseconds>(
                                         deadline - std::chrono::steady_clock::now()));
  };
  if (o.partition >= 0) return Fail(what, "--partition cannot be used with --group");
  if (client::SplitAddresses(g.controllers).empty()) {
    return Fail(what, "--group needs --controllers (or KEEL_CONTROLLERS)");
  }
  auto metadata = MetadataFor(g);
  client::ConsumerConfig config;
  config.fetch_max_wait_ms = o.max_messages > 0 ? 500 : 100;
  config.fetch_max_bytes = 4 << 20;
  config.request_timeout_ms = std::min<int64_t>(5000, std::max<int64_t>(g.timeout_ms, 1));
  config.retry_backoff_ms = 200;
  config.auto_offset_reset = o.from_beginning ? "earliest" : "latest";
  config.group.group_id = o.group;
  config.group.client_id = "keelctl";
  config.group.session_timeout_ms = 10000;
  config.group.heartbeat_interval_ms = 1000;
  config.group.request_timeout_ms = config.request_timeout_ms;
  config.group.retry_backoff_ms = config.retry_backoff_ms;
  config.enable_auto_commit = false;  // commits what was printed, after printing it
  client::Consumer consumer(config, metadata);

  // End offsets of the partitions held, taken when each is first seen.
  std::map<client::TopicPartition, int64_t> end_offset;
  if (absl::Status s = consumer.Subscribe({o.topic}); !s.ok()) {
    return Fail(what, std::string(s.message()));
  }
  int64_t printed = 0;
  nlohmann::json json_records = nlohmann::json::array();
  auto limit_reached = [&] { return o.max_messages > 0 && printed >= o.max_messages; };
  bool caught_up = false;
  while (!limit_reached() && !caught_up && remaining().count() > 0) {
    auto polled = consumer.Poll(std::min(remaining(), milliseconds(1000)));
    if (!polled.ok()) return Fail(what, std::string(polled.status().message()));
    client::OffsetMap printed_up_to;
    for (const client::ConsumerRecord& rec : *polled) {
      if (limit_reached()) break;
      ++printed;
      PrintRecord(g, o, rec, &json_records);
      printed_up_to[{rec.topic, rec.partition}] = rec.offset + 1;
    }
    if (!printed_up_to.empty()) {
      if (absl::Status s = consumer.CommitSync(printed_up_to); !s.ok()) {
        return Fail(what, "commit failed: " + std::string(s.message()));
      }
    }
    if (o.max_messages <= 0 && polled->empty()) {
      const std::vector<client::TopicPartition> held = consumer.Assignment();
      caught_up = consumer.generation() >= 0;
      for (const auto& tp : held) {
        if (!end_offset.count(tp)) {
          auto end = consumer.OffsetForTime(tp, client::kLatestOffset, remaining());
          if (!end.ok()) return Fail(what, std::string(end.status().message()));
          end_offset[tp] = *end;
        }
        auto position = consumer.Position(tp);
        if (!position.ok() || *position < end_offset[tp]) caught_up = false;
      }
    }
  }
  absl::Status closed = consumer.Close();
  std::fflush(stdout);
  if (g.json()) {
    std::cout << nlohmann::json{{"Topic", o.topic}, {"Group", o.group}, {"Records", json_records}}
                     .dump(2)
              << "\n";
  } else {
    std::fprintf(stderr, "Processed a total of %ld messages\n", static_cast<long>(printed));
  }
  if (!closed.ok()) return Fail(what, "leaving the group: " + std::string(closed.message()));
  if (!limit_reached() && !caught_up) {
    if (o.max_messages > 0) {
      return Fail(what, "timed out after " + std::to_string(printed) + " of " +
                            std::to_string(o.max_messages) + " messages");
    }
    return Fail(what, "timed out before reaching the end of every partition");
  }
  return 0;
}

}  // namespace

int Consume(const GlobalOptions& g, const ConsumeOptions& o) {
  if (!o.group.empty()) return ConsumeGroup(g, o);
  const std::string what = "consume " + o.topic;
  const auto deadline = std::chrono::steady_clock::now() + milliseconds(g.timeout_ms);
  auto remaining = [&] {
    return std::max(milliseconds(0), std::chrono::duration_cast<milliseconds>(
                                         deadline - std::chrono::steady_clock::now()));
  };
  std::shared_ptr<client::MetadataCache> metadata;
  std::vector<int32_t> partitions;
  if (absl::Status s = Connect(g, o.topic, o.partition, &metadata, &partitions); !s.ok()) {
    return Fail(what, std::string(s.message()));
  }
  client::ConsumerConfig config;
  // Long-poll only while waiting for records that may not exist yet.
  config.fetch_max_wait_ms = o.max_messages > 0 ? 500 : 100;
  config.fetch_max_bytes = 4 << 20;
  config.request_timeout_ms = std::min<int64_t>(5000, std::max<int64_t>(g.timeout_ms, 1));
  config.retry_backoff_ms = 200;
  client::Consumer consumer(config, metadata);
  std::vector<client::TopicPartition> tps;
  for (int32_t p : partitions) tps.push_back({o.topic, p});
  consumer.Assign(tps);

  // Starting positions: --offset N, or the earliest / latest offset.
  absl::Status positioned;
  if (o.offset >= 0) {
    for (const auto& tp : tps) positioned.Update(consumer.Seek(tp, o.offset));
  } else if (o.from_beginning) {
    positioned = consumer.SeekToBeginning(tps);
  } else {
    positioned = consumer.SeekToEnd(tps);
  }
  if (!positioned.ok()) return Fail(what, std::string(positioned.message()));

  // Without --max-messages a partition is done once its position reaches the end offset it
  // had when the consumer started (what was committed then).
  std::map<int32_t, int64_t> end_offset;
  std::set<int32_t> done;
  if (o.max_messages <= 0) {
    for (const auto& tp : tps) {
      auto end = consumer.OffsetForTime(tp, client::kLatestOffset, remaining());
      if (!end.ok()) return Fail(what, std::string(end.status().message()));
      end_offset[tp.partition] = *end;
      auto position = consumer.Position(tp);
      if (position.ok() && *position >= *end) done.insert(tp.partition);
    }
  }
  int64_t printed = 0;
  nlohmann::json json_records = nlohmann::json::array();
  auto limit_reached = [&] { return o.max_messages > 0 && printed >= o.max_messages; };
  auto all_done = [&] {
    return limit_reached() || (o.max_messages <= 0 && done.size() == tps.size());
  };
  while (!all_done() && remaining().count() > 0) {
    std::vector<client::TopicPartition> active;
    for (const auto& tp : tps) {
      if (!done.count(tp.partition)) active.push_back(tp);
    }
    consumer.Assign(active);  // positions of the partitions kept are kept
    auto polled = consumer.Poll(std::min(remaining(), milliseconds(1000)));
    if (!polled.ok()) return Fail(what, std::string(polled.status().message()));
    for (const client::ConsumerRecord& rec : *polled) {
      if (limit_reached()) break;
      ++printed;
      PrintRecord(g, o, rec, &json_records);
    }
    if (o.max_messages <= 0) {
      for (const auto& tp : active) {
        auto position = consumer.Position(tp);
        if (position.ok() && *position >= end_offset[tp.partition]) done.insert(tp.partition);
      }
    }
  }
  std::fflush(stdout);
  if (g.json()) {
    std::cout << nlohmann::json{{"Topic", o.topic}, {"Records", json_records}}.dump(2) << "\n";
  } else {
    std::fprintf(stderr, "Processed a total of %ld messages\n", static_cast<long>(printed));
  }
  if (!all_done()) {
    if (o.max_messages > 0) {
      return Fail(what, "timed out after " + std::to_string(printed) + " of " +
                            std::to_string(o.max_messages) + " messages");
    }
    return Fail(what, "timed out before reaching the end of every partition");
  }
  return 0;
}

}  // namespace keel::keelctl
