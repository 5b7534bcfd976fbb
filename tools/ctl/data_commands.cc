// keelctl produce | consume: kafka-console-producer / kafka-console-consumer over BrokerService.
// Requests go to each partition's leader broker; NOT_LEADER_OR_FOLLOWER (with the leader's
// address), UNAVAILABLE and the other retriable errors refresh the metadata and try again until
// --timeout-ms.
#include <cstdio>
#include <iostream>
#include <map>
#include <set>
#include <thread>

#include <nlohmann/json.hpp>

#include "proto/broker.grpc.pb.h"
#include "tools/ctl/commands.h"
#include "tools/ctl/data_client.h"

namespace keel::keelctl {
namespace {

constexpr size_t kMaxRecordsPerRequest = 1000;
constexpr auto kMaxCall = std::chrono::milliseconds(5000);
constexpr auto kRetryPause = std::chrono::milliseconds(200);

std::string ErrorText(keel::ErrorCode code, const std::string& message) {
  std::string name = keel::ErrorCode_Name(code);
  return message.empty() ? name : (message.rfind(name, 0) == 0 ? message : name + ": " + message);
}

// FNV-1a (32 bit): a small stable hash so that one key always lands on one partition.
uint32_t KeyHash(const std::string& key) {
  uint32_t h = 2166136261u;
  for (unsigned char c : key) {
    h ^= c;
    h *= 16777619u;
  }
  return h;
}

broker::Acks ParseAcks(const std::string& acks) {
  if (acks == "none") return broker::ACKS_NONE;
  if (acks == "all") return broker::ACKS_ALL;
  return broker::ACKS_LEADER;
}

// Groups partitions by the address of their leader; partitions with no known leader are
// left out (the caller refreshes and retries them).
std::map<std::string, std::vector<int>> ByLeader(const DataClient& client,
                                                 const std::vector<int>& partitions) {
  std::map<std::string, std::vector<int>> out;
  for (int p : partitions) {
    std::string leader = client.LeaderAddress(p);
    if (!leader.empty()) out[leader].push_back(p);
  }
  return out;
}

int Fail(const std::string& what, const std::string& message) {
  std::fprintf(stderr, "keelctl: %s: %s\n", what.c_str(), message.c_str());
  return 1;
}

}  // namespace

int Produce(const GlobalOptions& g, const ProduceOptions& o) {
  const std::string what = "produce " + o.topic;
  // Read every line first: a bad line fails the command before anything is sent.
  std::vector<broker::Record> records;
  std::string line;
  size_t line_number = 0;
  while (std::getline(std::cin, line)) {
    ++line_number;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    broker::Record r;
    if (!o.key_separator.empty()) {
      size_t at = line.find(o.key_separator);
      if (at == std::string::npos) {
        std::fprintf(stderr, "keelctl: %s: line %zu has no key separator '%s'\n", what.c_str(),
                     line_number, o.key_separator.c_str());
        return 2;
      }
      r.set_key(line.substr(0, at));
      r.set_value(line.substr(at + o.key_separator.size()));
    } else {
      r.set_value(line);
    }
    records.push_back(std::move(r));
  }

  DataClient client(g, o.topic);
  grpc::Status status = client.Refresh(o.partition);
  for (int i = 0; !status.ok() && IsRetriable(status) && !client.Expired(); ++i) {
    std::this_thread::sleep_for(kRetryPause);
    status = client.Refresh(o.partition);
  }
  if (!status.ok()) return Fail(what, status.error_message());
  const std::vector<int> partitions = client.partitions();
  if (partitions.empty()) return Fail(what, "the topic has no partitions");
  if (o.partition >= 0 &&
      std::find(partitions.begin(), partitions.end(), o.partition) == partitions.end()) {
    return Fail(what, "UNKNOWN_TOPIC_OR_PARTITION: partition " + std::to_string(o.partition) +
                          " does not exist (the topic has " + std::to_string(partitions.size()) +
                          ")");
  }
  std::map<int, std::vector<broker::Record>> pending;
  size_t round_robin = 0;
  for (broker::Record& r : records) {
    int p = o.partition >= 0   ? o.partition
            : !r.key().empty() ? partitions[KeyHash(r.key()) % partitions.size()]
                               : partitions[round_robin++ % partitions.size()];
    pending[p].push_back(std::move(r));
  }

  struct Acked {
    int64_t records = 0;
    int64_t base_offset = -1;
    int64_t last_offset = -1;
  };
  std::map<int, Acked> acked;
  std::string last_error = "timed out";
  bool fatal = false;
  bool stale = false;
  while (!pending.empty() && !fatal && !client.Expired()) {
    if (stale) {
      std::this_thread::sleep_for(kRetryPause);
      grpc::Status refreshed = client.Refresh(o.partition);
      if (!refreshed.ok()) last_error = refreshed.error_message();
      stale = false;
    }
    std::vector<int> waiting;
    for (const auto& [p, recs] : pending) waiting.push_back(p);
    auto groups = ByLeader(client, waiting);
    if (groups.empty()) {
      last_error = "LEADER_NOT_AVAILABLE: no leader for the partitions of " + o.topic;
      stale = true;
      continue;
    }
    for (const auto& [address, leader_partitions] : groups) {
      broker::ProduceRequest request;
      request.set_acks(ParseAcks(o.acks));
      request.set_timeout_ms(static_cast<int32_t>(std::min<int64_t>(
          client.Remaining().count(), kMaxCall.count())));
      auto* topic = request.add_topics();
      topic->set_topic(o.topic);
      std::map<int, size_t> sent;  // partition -> records in this request
      for (int p : leader_partitions) {
        auto* data = topic->add_partitions();
        data->set_partition(p);
        const auto& recs = pending[p];
        size_t n = std::min(recs.size(), kMaxRecordsPerRequest);
        for (size_t i = 0; i < n; ++i) *data->add_records() = recs[i];
        sent[p] = n;
      }
      grpc::ClientContext context;
      context.set_deadline(client.CallDeadline(kMaxCall));
      broker::ProduceResponse response;
      grpc::Status s = broker::BrokerService::NewStub(client.Channel(address))
                           ->Produce(&context, request, &response);
      if (!s.ok()) {
        last_error = "broker " + address + ": " + s.error_message();
        if (IsRetriable(s)) {
          stale = true;
          continue;
        }
        fatal = true;
        break;
      }
      for (const auto& t : response.topics()) {
        for (const auto& r : t.partitions()) {
          auto it = sent.find(r.partition());
          if (it == sent.end()) continue;
          if (r.error() == keel::NONE) {
            Acked& a = acked[r.partition()];
            size_t n = it->second;
            a.records += static_cast<int64_t>(n);
            if (r.base_offset() >= 0) {
              if (a.base_offset < 0) a.base_offset = r.base_offset();
              a.last_offset = r.base_offset() + static_cast<int64_t>(n) - 1;
            }
            auto& recs = pending[r.partition()];
            recs.erase(recs.begin(), recs.begin() + static_cast<long>(n));
            if (recs.empty()) pending.erase(r.partition());
            continue;
          }
          last_error = "partition " + std::to_string(r.partition()) + ": " +
                       ErrorText(r.error(), r.error_message());
          if (!IsRetriable(r.error())) {
            fatal = true;
            continue;
          }
          stale = true;
          client.HintLeader(r.partition(), r.leader());
        }
      }
    }
  }

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
  if (!pending.empty()) {
    size_t left = 0;
    for (const auto& [p, recs] : pending) left += recs.size();
    return Fail(what, std::to_string(left) + " records not acknowledged: " + last_error);
  }
  return 0;
}

int Consume(const GlobalOptions& g, const ConsumeOptions& o) {
  const std::string what = "consume " + o.topic;
  DataClient client(g, o.topic);
  grpc::Status status = client.Refresh(o.partition);
  while (!status.ok() && IsRetriable(status) && !client.Expired()) {
    std::this_thread::sleep_for(kRetryPause);
    status = client.Refresh(o.partition);
  }
  if (!status.ok()) return Fail(what, status.error_message());
  std::vector<int> partitions = client.partitions();
  if (o.partition >= 0) {
    if (std::find(partitions.begin(), partitions.end(), o.partition) == partitions.end()) {
      return Fail(what, "UNKNOWN_TOPIC_OR_PARTITION: partition " + std::to_string(o.partition) +
                            " does not exist");
    }
    partitions = {o.partition};
  }

  std::string last_error = "timed out";
  bool stale = false;
  auto pause_and_refresh = [&] {
    std::this_thread::sleep_for(kRetryPause);
    grpc::Status refreshed = client.Refresh(o.partition);
    if (!refreshed.ok()) last_error = refreshed.error_message();
    stale = false;
  };

  // Starting positions: --offset N, or ListOffsets earliest (-2) / latest (-1).
  std::map<int, int64_t> position;
  if (o.offset >= 0) {
    for (int p : partitions) position[p] = o.offset;
  }
  const int64_t spec = o.from_beginning ? -2 : -1;
  while (position.size() < partitions.size() && !client.Expired()) {
    if (stale) pause_and_refresh();
    std::vector<int> missing;
    for (int p : partitions) {
      if (!position.count(p)) missing.push_back(p);
    }
    auto groups = ByLeader(client, missing);
    if (groups.empty()) {
      last_error = "LEADER_NOT_AVAILABLE: no leader for the partitions of " + o.topic;
      stale = true;
    }
    for (const auto& [address, leader_partitions] : groups) {
      broker::ListOffsetsRequest request;
      auto* t = request.add_topics();
      t->set_topic(o.topic);
      for (int p : leader_partitions) {
        auto* lp = t->add_partitions();
        lp->set_partition(p);
        lp->set_timestamp_ms(spec);
      }
      grpc::ClientContext context;
      context.set_deadline(client.CallDeadline(kMaxCall));
      broker::ListOffsetsResponse response;
      grpc::Status s = broker::BrokerService::NewStub(client.Channel(address))
                           ->ListOffsets(&context, request, &response);
      if (!s.ok()) {
        last_error = "broker " + address + ": " + s.error_message();
        if (!IsRetriable(s)) return Fail(what, last_error);
        stale = true;
        continue;
      }
      for (const auto& rt : response.topics()) {
        for (const auto& r : rt.partitions()) {
          if (r.error() == keel::NONE) {
            position[r.partition()] = r.offset();
            continue;
          }
          last_error = "partition " + std::to_string(r.partition()) + ": " +
                       ErrorText(r.error(), r.error_message());
          if (!IsRetriable(r.error())) return Fail(what, last_error);
          client.HintLeader(r.partition(), r.leader());
          stale = true;
        }
      }
    }
  }
  if (position.size() < partitions.size()) return Fail(what, last_error);

  // Fetch. Without --max-messages a partition is done once its position reaches the high
  // watermark first reported for it (what was committed when the consumer started).
  std::map<int, int64_t> end_offset;
  std::set<int> done;
  int64_t printed = 0;
  nlohmann::json json_records = nlohmann::json::array();
  auto limit_reached = [&] { return o.max_messages > 0 && printed >= o.max_messages; };
  auto all_done = [&] {
    return limit_reached() || (o.max_messages <= 0 && done.size() == partitions.size());
  };
  while (!all_done() && !client.Expired()) {
    if (stale) pause_and_refresh();
    std::vector<int> active;
    for (int p : partitions) {
      if (!done.count(p)) active.push_back(p);
    }
    auto groups = ByLeader(client, active);
    if (groups.empty()) {
      last_error = "LEADER_NOT_AVAILABLE: no leader for the partitions of " + o.topic;
      stale = true;
      continue;
    }
    for (const auto& [address, leader_partitions] : groups) {
      if (all_done()) break;
      broker::FetchRequest request;
      // Long-poll only while waiting for records that may not exist yet.
      bool waiting = o.max_messages > 0;
      request.set_max_wait_ms(waiting ? static_cast<int32_t>(std::min<int64_t>(
                                            500, client.Remaining().count()))
                                      : 0);
      request.set_min_bytes(1);
      request.set_max_bytes(4 << 20);
      auto* t = request.add_topics();
      t->set_topic(o.topic);
      for (int p : leader_partitions) {
        auto* fp = t->add_partitions();
        fp->set_partition(p);
        fp->set_fetch_offset(position[p]);
        fp->set_partition_max_bytes(1 << 20);
        fp->set_current_leader_epoch(-1);
      }
      grpc::ClientContext context;
      context.set_deadline(client.CallDeadline(kMaxCall));
      broker::FetchResponse response;
      grpc::Status s = broker::BrokerService::NewStub(client.Channel(address))
                           ->Fetch(&context, request, &response);
      if (!s.ok()) {
        last_error = "broker " + address + ": " + s.error_message();
        if (!IsRetriable(s)) return Fail(what, last_error);
        stale = true;
        continue;
      }
      for (const auto& rt : response.topics()) {
        for (const auto& r : rt.partitions()) {
          int p = r.partition();
          if (r.error() != keel::NONE) {
            last_error = "partition " + std::to_string(p) + ": " +
                         ErrorText(r.error(), r.error_message());
            if (!IsRetriable(r.error())) return Fail(what, last_error);
            client.HintLeader(p, r.leader());
            stale = true;
            continue;
          }
          if (!end_offset.count(p)) end_offset[p] = r.high_watermark();
          for (const auto& batch : r.batches()) {
            for (int i = 0; i < batch.records_size() && !limit_reached(); ++i) {
              const broker::Record& rec = batch.records(i);
              int64_t offset = rec.offset() != 0 ? rec.offset() : batch.base_offset() + i;
              if (offset < position[p]) continue;  // a batch may start before the position
              position[p] = offset + 1;
              ++printed;
              if (g.json()) {
                json_records.push_back({{"Partition", p},
                                        {"Offset", offset},
                                        {"Timestamp", rec.timestamp_ms()},
                                        {"Key", rec.key()},
                                        {"Value", rec.value()}});
              } else {
                std::string out;
                if (o.print_offset) {
                  out += "Partition:" + std::to_string(p) + "\tOffset:" + std::to_string(offset) +
                         "\t";
                }
                if (o.print_key) out += (rec.key().empty() ? "null" : rec.key()) + "\t";
                out += rec.value();
                std::printf("%s\n", out.c_str());
              }
            }
          }
          if (o.max_messages <= 0 && position[p] >= end_offset[p]) done.insert(p);
        }
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
                            std::to_string(o.max_messages) + " messages (" + last_error + ")");
    }
    return Fail(what, last_error);
  }
  return 0;
}

}  // namespace keel::keelctl
