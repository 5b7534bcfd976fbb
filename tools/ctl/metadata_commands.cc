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
#include <algorithm>
#include <map>
#include <optional>
#include <thread>
#include <utility>

#include <nlohmann/json.hpp>

#include "absl/strings/escaping.h"
#include "absl/strings/str_join.h"
#include "client/channels.h"
#include "metadata/metadata_image.h"
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

// Rendering of the image keelctl rebuilds from a WatchMetadata snapshot: the same
// metadata::MetadataImage the controllers and brokers keep, so the tool applies records by
// exactly their rules.

std::string BrokerState(const metadata::BrokerInfo& b) {
  if (b.in_controlled_shutdown) return "shutting down";
  return b.fenced ? "fenced" : "active";
}

std::string Endpoints(const metadata::BrokerInfo& b) {
  std::vector<std::string> out;
  for (const auto& e : b.endpoints) {
    out.push_back(e.name() + "://" + e.host() + ":" + std::to_string(e.port()));
  }
  return absl::StrJoin(out, ",");
}

std::vector<const metadata::TopicInfo*> TopicsByName(const metadata::MetadataImage& image) {
  std::vector<const metadata::TopicInfo*> out;
  for (const auto& [id, t] : image.topics_by_id()) out.push_back(&t);
  std::sort(out.begin(), out.end(), [](auto* a, auto* b) { return a->name < b->name; });
  return out;
}

std::vector<int> Ids(const std::vector<int32_t>& ids) {
  return std::vector<int>(ids.begin(), ids.end());
}

// The last LeaderChangeRecord as (leader id, leader epoch); (-1, -1) before the first.
std::pair<int, int64_t> ControllerLeader(const metadata::MetadataImage& image) {
  if (!image.has_leader_change()) return {-1, -1};
  return {image.last_leader_change().leader_id(), image.last_leader_change().leader_epoch()};
}

nlohmann::json ImageJson(const metadata::MetadataImage& image) {
  nlohmann::json brokers_json = nlohmann::json::array();
  for (const auto& [id, b] : image.brokers()) {
    brokers_json.push_back({{"Id", id},
                            {"Endpoints", Endpoints(b)},
                            {"Rack", b.rack},
                            {"Epoch", b.epoch},
                            {"IncarnationId", b.incarnation_id},
                            {"State", BrokerState(b)}});
  }
  nlohmann::json topics_json = nlohmann::json::array();
  for (const metadata::TopicInfo* t : TopicsByName(image)) {
    nlohmann::json parts = nlohmann::json::array();
    for (const auto& [p, part] : t->partitions) {
      parts.push_back({{"Partition", p},
                       {"Leader", part.leader},
                       {"LeaderEpoch", part.leader_epoch},
                       {"PartitionEpoch", part.partition_epoch},
                       {"Replicas", Ids(part.replicas)},
                       {"Isr", Ids(part.isr)}});
    }
    topics_json.push_back({{"Name", t->name},
                           {"TopicId", absl::BytesToHexString(t->id)},
                           {"Configs", t->configs},
                           {"Partitions", parts}});
  }
  nlohmann::json broker_configs = nlohmann::json::object();
  for (const auto& [name, values] : image.broker_configs()) broker_configs[name] = values;
  auto [leader_id, leader_epoch] = ControllerLeader(image);
  return {{"Offset", image.applied_offset()},
          {"Controller", {{"LeaderId", leader_id}, {"LeaderEpoch", leader_epoch}}},
          {"Brokers", brokers_json},
          {"BrokerConfigs", broker_configs},
          {"Topics", topics_json}};
}

// An ASCII tree, like Kafka's metadata shell `tree /`.
std::string ImageTree(const metadata::MetadataImage& image) {
  std::string out = "image (offset " + std::to_string(image.applied_offset()) + ")\n";
  auto node = [&](int depth, bool last, const std::string& text) {
    std::string prefix;
    for (int i = 0; i < depth; ++i) prefix += "    ";
    out += prefix + (last ? "`-- " : "|-- ") + text + "\n";
  };
  // Depth-1 connectors drawn as "|   " for the non-last sections.
  auto child = [&](bool parent_last, bool last, const std::string& text) {
    out += std::string(parent_last ? "    " : "|   ") + (last ? "`-- " : "|-- ") + text + "\n";
  };
  auto [leader_id, leader_epoch] = ControllerLeader(image);
  node(0, false, "controller");
  child(false, true,
        "leader_id=" + std::to_string(leader_id) + " leader_epoch=" + std::to_string(leader_epoch));
  const auto& brokers = image.brokers();
  node(0, false, "brokers (" + std::to_string(brokers.size()) + ")");
  size_t i = 0;
  for (const auto& [id, b] : brokers) {
    child(false, ++i == brokers.size(),
          std::to_string(id) + "  endpoints=" + Endpoints(b) + " rack=" + b.rack +
              " epoch=" + std::to_string(b.epoch) + " state=" + BrokerState(b));
  }
  const auto& broker_configs = image.broker_configs();
  node(0, false, "broker-configs (" + std::to_string(broker_configs.size()) + ")");
  i = 0;
  for (const auto& [name, values] : broker_configs) {
    child(false, ++i == broker_configs.size(),
          name + "  " + absl::StrJoin(values, ",", absl::PairFormatter("=")));
  }
  auto sorted = TopicsByName(image);
  node(0, true, "topics (" + std::to_string(sorted.size()) + ")");
  for (size_t t = 0; t < sorted.size(); ++t) {
    const metadata::TopicInfo& topic = *sorted[t];
    bool last_topic = t + 1 == sorted.size();
    child(true, last_topic, topic.name + "  topic_id=" + absl::BytesToHexString(topic.id));
    std::string indent = std::string("    ") + (last_topic ? "    " : "|   ");
    out += indent + "|-- configs  " + absl::StrJoin(topic.configs, ",", absl::PairFormatter("=")) +
           "\n";
    out += indent + "`-- partitions (" + std::to_string(topic.partitions.size()) + ")\n";
    size_t n = 0;
    for (const auto& [p, part] : topic.partitions) {
      out += indent + "    " + (++n == topic.partitions.size() ? "`-- " : "|-- ") +
             std::to_string(p) + "  leader=" + std::to_string(part.leader) +
             " leader_epoch=" + std::to_string(part.leader_epoch) +
             " partition_epoch=" + std::to_string(part.partition_epoch) +
             " replicas=" + FormatIdList(Ids(part.replicas)) +
             " isr=" + FormatIdList(Ids(part.isr)) + "\n";
    }
  }
  return out;
}

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
    auto channel = grpc::CreateChannel(address, client::DefaultChannelCredentials());
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
  std::optional<metadata::MetadataImage> image;
  using client::AdminClient;
  grpc::Status status = admin->Run(AdminClient::Target::kAny, AdminClient::Retry::kIdempotent,
                                   [&](const auto& channel, grpc::ClientContext* context) {
    image.reset();
    controller::WatchMetadataRequest request;
    request.set_from_offset(-1);  // a full image first
    auto reader = controller::MetadataService::NewStub(channel)->WatchMetadata(context, request);
    WatchMetadataResponse event;
    absl::Status rebuilt;
    if (reader->Read(&event) && event.has_snapshot() &&
        metadata::ReadRestOfSnapshot(reader.get(), event.mutable_snapshot())) {
      std::vector<MetadataRecord> records(event.snapshot().records().begin(),
                                          event.snapshot().records().end());
      auto built =
          metadata::MetadataImage::FromRecords(std::move(records), event.snapshot().offset());
      if (built.ok()) {
        image = std::move(*built);
      } else {
        rebuilt = built.status();
      }
    }
    context->TryCancel();
    grpc::Status finished = reader->Finish();
    if (image.has_value()) return grpc::Status::OK;
    // A snapshot the image rejects is not retried elsewhere: every node applies the same rules.
    if (!rebuilt.ok()) {
      return grpc::Status(grpc::StatusCode::DATA_LOSS, "the snapshot does not rebuild an image: " +
                                                           std::string(rebuilt.message()));
    }
    return finished.ok() ? grpc::Status(grpc::StatusCode::UNAVAILABLE, "no image in the stream")
                         : finished;
  });
  if (!status.ok()) return ReportError("metadata image", status);
  if (g.json()) {
    std::cout << ImageJson(*image).dump(2) << "\n";
  } else {
    std::cout << ImageTree(*image);
  }
  return 0;
}

}  // namespace keel::keelctl
