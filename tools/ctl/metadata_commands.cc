// keelctl metadata log | image: the replicated metadata log and the image built from it, read
// over MetadataService.WatchMetadata (any controller serves it, leader or follower).
//
// When `metadata log` stops without --follow: just before opening the stream keelctl asks the
// same controller how far it has applied the log (DescribeCluster.metadata_offset, call it T).
// Everything committed at that moment is at or below T, and the stream delivers offsets in
// order, so the command ends after the first event (record entry, progress marker or image
// snapshot) whose offset is >= T. Nothing to wait for (--from past T) ends at once.
#include <csignal>
#include <cstdio>
#include <iostream>
#include <map>
#include <thread>

#include <nlohmann/json.hpp>

#include "absl/strings/escaping.h"
#include "absl/strings/str_join.h"
#include "client/channels.h"
#include "metadata/watch_snapshot.h"
#include "proto/controller.grpc.pb.h"
#include "tools/ctl/commands.h"
#include "tools/ctl/connect.h"
#include "tools/ctl/output.h"
#include "tools/ctl/record_format.h"

namespace keel::keelctl {
namespace {

using controller::WatchMetadataResponse;
using metadata::MetadataRecord;

std::chrono::system_clock::time_point In(std::chrono::milliseconds d) {
  return std::chrono::system_clock::now() + d;
}

// The image as the tool sees it: every record type applied the way the controller documents
// (docs/formats/metadata-records.md), enough to print a tree. The controller validated them.
struct ImageView {
  struct Partition {
    std::vector<int> replicas, isr;
    int leader = -1, leader_epoch = 0, partition_epoch = 0;
  };
  struct Topic {
    std::string name, id;
    std::map<int, Partition> partitions;
  };
  std::map<int, metadata::RegisterBrokerRecord> brokers;
  std::map<std::string, Topic> topics;  // by hex id
  // (resource type name, resource name) -> key -> value
  std::map<std::pair<std::string, std::string>, std::map<std::string, std::string>> configs;
  int leader_id = -1;
  int64_t leader_epoch = -1;
  int64_t offset = -1;

  void Apply(const MetadataRecord& r) {
    switch (r.record_case()) {
      case MetadataRecord::kRegisterBroker:
        brokers[r.register_broker().broker_id()] = r.register_broker();
        break;
      case MetadataRecord::kBrokerRegistrationChange: {
        auto it = brokers.find(r.broker_registration_change().broker_id());
        if (it == brokers.end()) break;
        const auto& c = r.broker_registration_change();
        if (c.fencing() == metadata::FENCE) it->second.set_fenced(true);
        if (c.fencing() == metadata::UNFENCE) it->second.set_fenced(false);
        if (c.controlled_shutdown() == metadata::CONTROLLED_SHUTDOWN_REQUESTED) {
          it->second.set_in_controlled_shutdown(true);
        }
        break;
      }
      case MetadataRecord::kUnregisterBroker:
        brokers.erase(r.unregister_broker().broker_id());
        break;
      case MetadataRecord::kTopic: {
        Topic& t = topics[absl::BytesToHexString(r.topic().topic_id())];
        t.name = r.topic().name();
        t.id = absl::BytesToHexString(r.topic().topic_id());
        break;
      }
      case MetadataRecord::kPartition: {
        const auto& p = r.partition();
        Partition& part = topics[absl::BytesToHexString(p.topic_id())].partitions[p.partition_id()];
        part.replicas.assign(p.replicas().begin(), p.replicas().end());
        part.isr.assign(p.isr().begin(), p.isr().end());
        part.leader = p.leader();
        part.leader_epoch = p.leader_epoch();
        part.partition_epoch = p.partition_epoch();
        break;
      }
      case MetadataRecord::kPartitionChange: {
        const auto& c = r.partition_change();
        auto t = topics.find(absl::BytesToHexString(c.topic_id()));
        if (t == topics.end()) break;
        Partition& part = t->second.partitions[c.partition_id()];
        if (c.has_isr()) part.isr.assign(c.isr().ids().begin(), c.isr().ids().end());
        if (c.has_replicas()) {
          part.replicas.assign(c.replicas().ids().begin(), c.replicas().ids().end());
        }
        if (c.has_leader()) {
          part.leader = c.leader();
          ++part.leader_epoch;
        }
        ++part.partition_epoch;
        break;
      }
      case MetadataRecord::kRemoveTopic: {
        auto t = topics.find(absl::BytesToHexString(r.remove_topic().topic_id()));
        if (t == topics.end()) break;
        configs.erase({"TOPIC", t->second.name});
        topics.erase(t);
        break;
      }
      case MetadataRecord::kConfig: {
        const auto& c = r.config();
        std::string type = c.resource_type() == metadata::CONFIG_RESOURCE_TOPIC ? "TOPIC"
                           : c.resource_type() == metadata::CONFIG_RESOURCE_BROKER ? "BROKER"
                                                                                  : "UNKNOWN";
        auto& keys = configs[{type, c.resource_name()}];
        if (c.has_value()) {
          keys[c.name()] = c.value();
        } else {
          keys.erase(c.name());
        }
        break;
      }
      case MetadataRecord::kLeaderChange:
        leader_id = r.leader_change().leader_id();
        leader_epoch = r.leader_change().leader_epoch();
        break;
      default:
        break;
    }
  }

  static std::string BrokerState(const metadata::RegisterBrokerRecord& b) {
    if (b.in_controlled_shutdown()) return "shutting down";
    return b.fenced() ? "fenced" : "active";
  }

  static std::string Endpoints(const metadata::RegisterBrokerRecord& b) {
    std::vector<std::string> out;
    for (const auto& e : b.endpoints()) {
      out.push_back(e.name() + "://" + e.host() + ":" + std::to_string(e.port()));
    }
    return absl::StrJoin(out, ",");
  }

  std::vector<const Topic*> TopicsByName() const {
    std::vector<const Topic*> out;
    for (const auto& [id, t] : topics) out.push_back(&t);
    std::sort(out.begin(), out.end(), [](auto* a, auto* b) { return a->name < b->name; });
    return out;
  }

  nlohmann::json Json() const {
    nlohmann::json brokers_json = nlohmann::json::array();
    for (const auto& [id, b] : brokers) {
      brokers_json.push_back({{"Id", id},
                              {"Endpoints", Endpoints(b)},
                              {"Rack", b.rack()},
                              {"Epoch", b.broker_epoch()},
                              {"IncarnationId", b.incarnation_id()},
                              {"State", BrokerState(b)}});
    }
    nlohmann::json topics_json = nlohmann::json::array();
    for (const Topic* t : TopicsByName()) {
      nlohmann::json parts = nlohmann::json::array();
      for (const auto& [p, part] : t->partitions) {
        parts.push_back({{"Partition", p},
                         {"Leader", part.leader},
                         {"LeaderEpoch", part.leader_epoch},
                         {"PartitionEpoch", part.partition_epoch},
                         {"Replicas", part.replicas},
                         {"Isr", part.isr}});
      }
      auto c = configs.find({"TOPIC", t->name});
      topics_json.push_back(
          {{"Name", t->name},
           {"TopicId", t->id},
           {"Configs", c == configs.end() ? std::map<std::string, std::string>() : c->second},
           {"Partitions", parts}});
    }
    nlohmann::json broker_configs = nlohmann::json::object();
    for (const auto& [key, values] : configs) {
      if (key.first == "BROKER") broker_configs[key.second] = values;
    }
    return {{"Offset", offset},
            {"Controller", {{"LeaderId", leader_id}, {"LeaderEpoch", leader_epoch}}},
            {"Brokers", brokers_json},
            {"BrokerConfigs", broker_configs},
            {"Topics", topics_json}};
  }

  // An ASCII tree, like Kafka's metadata shell `tree /`.
  std::string Tree() const {
    std::string out = "image (offset " + std::to_string(offset) + ")\n";
    auto node = [&](int depth, bool last, const std::string& text) {
      std::string prefix;
      for (int i = 0; i < depth; ++i) prefix += "    ";
      out += prefix + (last ? "`-- " : "|-- ") + text + "\n";
    };
    // Depth-1 connectors drawn as "|   " for the non-last sections.
    auto child = [&](bool parent_last, bool last, const std::string& text) {
      out += std::string(parent_last ? "    " : "|   ") + (last ? "`-- " : "|-- ") + text + "\n";
    };
    node(0, false, "controller");
    child(false, true,
          "leader_id=" + std::to_string(leader_id) + " leader_epoch=" + std::to_string(leader_epoch));
    node(0, false, "brokers (" + std::to_string(brokers.size()) + ")");
    size_t i = 0;
    for (const auto& [id, b] : brokers) {
      child(false, ++i == brokers.size(),
            std::to_string(id) + "  endpoints=" + Endpoints(b) + " rack=" + b.rack() +
                " epoch=" + std::to_string(b.broker_epoch()) + " state=" + BrokerState(b));
    }
    size_t broker_config_count = 0;
    for (const auto& [key, values] : configs) broker_config_count += key.first == "BROKER";
    node(0, false, "broker-configs (" + std::to_string(broker_config_count) + ")");
    i = 0;
    for (const auto& [key, values] : configs) {
      if (key.first != "BROKER") continue;
      child(false, ++i == broker_config_count,
            key.second + "  " + absl::StrJoin(values, ",", absl::PairFormatter("=")));
    }
    auto sorted = TopicsByName();
    node(0, true, "topics (" + std::to_string(sorted.size()) + ")");
    for (size_t t = 0; t < sorted.size(); ++t) {
      const Topic& topic = *sorted[t];
      bool last_topic = t + 1 == sorted.size();
      child(true, last_topic, topic.name + "  topic_id=" + topic.id);
      std::string indent = std::string("    ") + (last_topic ? "    " : "|   ");
      auto c = configs.find({"TOPIC", topic.name});
      std::string config_text =
          c == configs.end() ? "" : absl::StrJoin(c->second, ",", absl::PairFormatter("="));
      out += indent + "|-- configs  " + config_text + "\n";
      out += indent + "`-- partitions (" + std::to_string(topic.partitions.size()) + ")\n";
      size_t n = 0;
      for (const auto& [p, part] : topic.partitions) {
        out += indent + "    " + (++n == topic.partitions.size() ? "`-- " : "|-- ") +
               std::to_string(p) + "  leader=" + std::to_string(part.leader) +
               " leader_epoch=" + std::to_string(part.leader_epoch) +
               " partition_epoch=" + std::to_string(part.partition_epoch) +
               " replicas=" + FormatIdList(part.replicas) + " isr=" + FormatIdList(part.isr) +
               "\n";
      }
    }
    return out;
  }
};

// The applied offset of the controller at `address`: the point "caught up" refers to.
grpc::Status AppliedOffset(const std::shared_ptr<grpc::Channel>& channel,
                           std::chrono::milliseconds timeout, int64_t* offset) {
  grpc::ClientContext context;
  context.set_deadline(In(timeout));
  controller::DescribeClusterResponse response;
  grpc::Status s = controller::AdminService::NewStub(channel)->DescribeCluster(
      &context, controller::DescribeClusterRequest(), &response);
  if (s.ok()) *offset = response.metadata_offset();
  return s;
}

std::atomic<bool> g_interrupted{false};

void PrintEntryLine(const char* label, int64_t offset, int64_t epoch, const MetadataRecord& r) {
  std::printf("%s: %ld\tEpoch: %ld\tType: %s\t%s\n", label, static_cast<long>(offset),
              static_cast<long>(epoch), RecordTypeName(r).c_str(), RecordText(r).c_str());
}

}  // namespace

int MetadataLog(const GlobalOptions& g, const MetadataLogOptions& o) {
  std::vector<std::string> addresses = client::SplitAddresses(g.controllers);
  if (addresses.empty()) {
    return ReportError("metadata log",
                       grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                                    "no controllers given (use --controllers or KEEL_CONTROLLERS)"));
  }
  if (o.from < 0) {
    std::fprintf(stderr, "keelctl: metadata log: --from must be >= 0\n");
    return 2;
  }
  if (o.follow) {
    std::signal(SIGINT, [](int) { g_interrupted = true; });
    std::signal(SIGTERM, [](int) { g_interrupted = true; });
  }
  const auto timeout = std::chrono::milliseconds(g.timeout_ms);
  // Resume point: the stream sends offsets after from_offset.
  int64_t after = std::max<int64_t>(o.from - 1, 0);
  nlohmann::json snapshot_json = nullptr;
  nlohmann::json entries_json = nlohmann::json::array();
  int64_t target = -1;
  grpc::Status last(grpc::StatusCode::UNAVAILABLE, "no controller answered");
  auto give_up = std::chrono::steady_clock::now() + timeout;
  size_t next = 0;
  // Without --follow one pass suffices unless a controller fails mid-stream; with --follow the
  // stream is re-opened at the next controller from the last offset seen.
  while (!g_interrupted && std::chrono::steady_clock::now() < give_up) {
    const std::string& address = addresses[next++ % addresses.size()];
    auto channel = grpc::CreateChannel(address, grpc::InsecureChannelCredentials());
    if (!o.follow && target < 0) {
      last = AppliedOffset(channel, std::min(timeout, std::chrono::milliseconds(2000)), &target);
      if (!last.ok()) {
        target = -1;
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
        continue;
      }
    }
    if (!o.follow && after >= target) break;  // nothing committed past --from
    grpc::ClientContext context;
    // Without --follow the whole read is bounded by --timeout-ms; with it the stream is open
    // until interrupted (checked between events; a quiet stream is re-armed every 1 s).
    if (!o.follow) context.set_deadline(In(timeout));
    controller::WatchMetadataRequest request;
    request.set_from_offset(after);
    auto stub = controller::MetadataService::NewStub(channel);
    std::unique_ptr<grpc::ClientReader<WatchMetadataResponse>> reader;
    std::atomic<bool> done{false};
    std::thread watchdog;
    if (o.follow) {
      watchdog = std::thread([&] {
        while (!done && !g_interrupted) std::this_thread::sleep_for(std::chrono::milliseconds(100));
        context.TryCancel();
      });
    }
    reader = stub->WatchMetadata(&context, request);
    WatchMetadataResponse event;
    bool caught_up = false;
    bool got_any = false;
    while (reader->Read(&event)) {
      got_any = true;
      int64_t offset;
      if (event.has_snapshot()) {
        if (!metadata::ReadRestOfSnapshot(reader.get(), event.mutable_snapshot())) break;
        const auto& s = event.snapshot();
        offset = s.offset();
        if (g.json() && !o.follow) {
          nlohmann::json records = nlohmann::json::array();
          for (const auto& r : s.records()) records.push_back(RecordJson(r));
          snapshot_json = {{"Offset", s.offset()}, {"Epoch", s.epoch()}, {"Records", records}};
        } else if (g.json()) {
          for (const auto& r : s.records()) {
            nlohmann::json line = RecordJson(r);
            line["Snapshot"] = s.offset();
            std::cout << line.dump() << std::endl;
          }
        } else {
          std::printf("# snapshot: the image at offset %ld as %d records\n",
                      static_cast<long>(s.offset()), s.records_size());
          for (const auto& r : s.records()) PrintEntryLine("Snapshot", s.offset(), s.epoch(), r);
        }
      } else {
        const auto& e = event.entry();
        offset = e.offset();
        for (const auto& r : e.batch().records()) {
          if (g.json()) {
            nlohmann::json item = RecordJson(r);
            item["Offset"] = e.offset();
            item["Epoch"] = e.epoch();
            if (o.follow) {
              std::cout << item.dump() << std::endl;
            } else {
              entries_json.push_back(item);
            }
          } else {
            PrintEntryLine("Offset", e.offset(), e.epoch(), r);
          }
        }
        if (o.follow) std::fflush(stdout);
      }
      after = std::max(after, offset);
      if (!o.follow && offset >= target) {
        caught_up = true;
        break;
      }
    }
    done = true;
    if (caught_up) context.TryCancel();
    grpc::Status finished = reader->Finish();
    if (watchdog.joinable()) watchdog.join();
    if (caught_up) {
      last = grpc::Status::OK;
      break;
    }
    if (g_interrupted) break;
    last = finished.ok() ? grpc::Status(grpc::StatusCode::UNAVAILABLE, "the stream ended")
                         : finished;
    if (!o.follow && finished.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED) break;
    if (got_any) give_up = std::chrono::steady_clock::now() + timeout;  // progress: keep going
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  if (g_interrupted) return 0;
  if (!o.follow && !(target >= 0 && after >= target)) return ReportError("metadata log", last);
  if (o.follow) return ReportError("metadata log", last);
  if (g.json()) {
    std::cout << nlohmann::json{{"Snapshot", snapshot_json},
                                {"Records", entries_json},
                                {"CaughtUpOffset", target}}
                     .dump(2)
              << "\n";
  }
  return 0;
}

int MetadataImage(const GlobalOptions& g) {
  auto admin = AdminFor(g);
  ImageView image;
  using client::AdminClient;
  grpc::Status status = admin->Run(AdminClient::Target::kAny, AdminClient::Retry::kIdempotent,
                                   [&](const auto& channel, grpc::ClientContext* context) {
    image = ImageView();
    controller::WatchMetadataRequest request;
    request.set_from_offset(-1);  // a full image first
    auto reader = controller::MetadataService::NewStub(channel)->WatchMetadata(context, request);
    WatchMetadataResponse event;
    bool have = false;
    if (reader->Read(&event) && event.has_snapshot() &&
        metadata::ReadRestOfSnapshot(reader.get(), event.mutable_snapshot())) {
      image.offset = event.snapshot().offset();
      for (const auto& r : event.snapshot().records()) image.Apply(r);
      have = true;
    }
    context->TryCancel();
    grpc::Status finished = reader->Finish();
    if (have) return grpc::Status::OK;
    return finished.ok() ? grpc::Status(grpc::StatusCode::UNAVAILABLE, "no image in the stream")
                         : finished;
  });
  if (!status.ok()) return ReportError("metadata image", status);
  if (g.json()) {
    std::cout << image.Json().dump(2) << "\n";
  } else {
    std::cout << image.Tree();
  }
  return 0;
}

}  // namespace keel::keelctl
