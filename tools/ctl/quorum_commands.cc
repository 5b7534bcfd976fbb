// keelctl quorum status | replication: kafka-metadata-quorum describe --status/--replication.
#include <cstdio>
#include <iostream>
#include <thread>

#include <nlohmann/json.hpp>

#include "client/channels.h"
#include "proto/controller.grpc.pb.h"
#include "tools/ctl/commands.h"
#include "tools/ctl/health.h"
#include "tools/ctl/output.h"

namespace keel::keelctl {
namespace {

grpc::Status Describe(const GlobalOptions& g, controller::DescribeQuorumResponse* response) {
  // Only the leader knows its followers' progress: ask every controller once and prefer the
  // one that reports itself as leader. A dead controller costs one short deadline, not the
  // whole command's timeout.
  grpc::Status last(grpc::StatusCode::UNAVAILABLE, "no controller answered");
  bool have_any = false;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(g.timeout_ms);
  while (std::chrono::steady_clock::now() < deadline) {
    for (const std::string& address : client::SplitAddresses(g.controllers)) {
      auto stub = controller::QuorumService::NewStub(
          grpc::CreateChannel(address, client::DefaultChannelCredentials()));
      grpc::ClientContext context;
      context.set_deadline(std::chrono::system_clock::now() + std::chrono::milliseconds(
                                                                  std::min<int64_t>(g.timeout_ms, 1000)));
      controller::DescribeQuorumResponse r;
      grpc::Status s = stub->DescribeQuorum(&context, controller::DescribeQuorumRequest(), &r);
      if (!s.ok()) {
        last = s;
        continue;
      }
      if (r.leader().address() == address) {
        *response = r;
        return grpc::Status::OK;
      }
      if (!have_any) *response = r;
      have_any = true;
    }
    if (have_any) return grpc::Status::OK;
    if (client::SplitAddresses(g.controllers).empty()) {
      return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                          "no controllers given (use --controllers or KEEL_CONTROLLERS)");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return last;
}

nlohmann::json ReplicaJson(const controller::ReplicaState& r) {
  return {{"NodeId", r.node_id()},
          {"LogEndOffset", r.log_end_offset()},
          {"Lag", r.lag()},
          {"LastFetchTimestamp", r.last_fetch_timestamp_ms()},
          {"LastCaughtUpTimestamp", r.last_caught_up_timestamp_ms()},
          {"Status", r.status()}};
}

// Each controller's own view: its health (the state its grpc.health.v1 service reports:
// SERVING only while it knows a leader) and whom it believes leads.
struct ControllerView {
  std::string address;
  std::string health;
  bool reachable = false;
  controller::DescribeQuorumResponse quorum;
};

std::vector<ControllerView> ProbeControllers(const GlobalOptions& g) {
  std::vector<ControllerView> views;
  auto per_call = std::chrono::milliseconds(std::min<int64_t>(g.timeout_ms, 1000));
  for (const std::string& address : client::SplitAddresses(g.controllers)) {
    ControllerView v;
    v.address = address;
    v.health = CheckHealth(address, per_call);
    if (v.health != "UNREACHABLE") {
      auto stub = controller::QuorumService::NewStub(
          grpc::CreateChannel(address, client::DefaultChannelCredentials()));
      grpc::ClientContext context;
      context.set_deadline(std::chrono::system_clock::now() + per_call);
      v.reachable =
          stub->DescribeQuorum(&context, controller::DescribeQuorumRequest(), &v.quorum).ok();
    }
    views.push_back(std::move(v));
  }
  return views;
}

std::string Role(const ControllerView& v) {
  if (!v.reachable) return "-";
  return v.quorum.leader().address() == v.address ? "Leader" : "Follower";
}

}  // namespace

int QuorumStatus(const GlobalOptions& g) {
  controller::DescribeQuorumResponse q;
  grpc::Status status = Describe(g, &q);
  if (!status.ok()) return ReportError("quorum status", status);
  int64_t max_lag = 0, max_lag_time_ms = 0;
  int64_t now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
  std::vector<int> voters, observers;
  for (const auto& v : q.voters()) {
    voters.push_back(v.node_id());
    max_lag = std::max(max_lag, v.lag());
    if (v.last_caught_up_timestamp_ms() > 0) {
      max_lag_time_ms = std::max(max_lag_time_ms, now_ms - v.last_caught_up_timestamp_ms());
    }
  }
  for (const auto& o : q.observers()) observers.push_back(o.node_id());
  if (g.json()) {
    nlohmann::json j = {{"ClusterId", q.cluster_id()},
                        {"LeaderId", q.leader_id()},
                        {"LeaderEpoch", q.leader_epoch()},
                        {"HighWatermark", q.high_watermark()},
                        {"MaxFollowerLag", max_lag},
                        {"MaxFollowerLagTimeMs", max_lag_time_ms},
                        {"CurrentVoters", voters},
                        {"CurrentObservers", observers}};
    nlohmann::json controllers = nlohmann::json::array();
    for (const ControllerView& v : ProbeControllers(g)) {
      controllers.push_back({{"Address", v.address},
                             {"Health", v.health},
                             {"Role", Role(v)},
                             {"LeaderId", v.reachable ? v.quorum.leader_id() : -1},
                             {"LeaderEpoch", v.reachable ? v.quorum.leader_epoch() : -1},
                             {"HighWatermark", v.reachable ? v.quorum.high_watermark() : -1}});
    }
    j["Controllers"] = controllers;
    std::cout << j.dump(2) << "\n";
    return 0;
  }
  std::printf("ClusterId:              %s\n", q.cluster_id().c_str());
  std::printf("LeaderId:               %d\n", q.leader_id());
  std::printf("LeaderEpoch:            %ld\n", static_cast<long>(q.leader_epoch()));
  std::printf("HighWatermark:          %ld\n", static_cast<long>(q.high_watermark()));
  std::printf("MaxFollowerLag:         %ld\n", static_cast<long>(max_lag));
  std::printf("MaxFollowerLagTimeMs:   %ld\n", static_cast<long>(max_lag_time_ms));
  std::printf("CurrentVoters:          %s\n", FormatIdList(voters).c_str());
  std::printf("CurrentObservers:       %s\n", FormatIdList(observers).c_str());
  std::vector<std::vector<std::string>> rows;
  for (const ControllerView& v : ProbeControllers(g)) {
    auto or_dash = [&](int64_t n) { return v.reachable ? std::to_string(n) : "-"; };
    rows.push_back({v.address, v.health, Role(v), or_dash(v.quorum.leader_id()),
                    or_dash(v.quorum.leader_epoch()), or_dash(v.quorum.high_watermark())});
  }
  std::printf("\n");
  std::cout << FormatTable(
      {"Controller", "Health", "Role", "LeaderId", "LeaderEpoch", "HighWatermark"}, rows);
  return 0;
}

int QuorumReplication(const GlobalOptions& g) {
  controller::DescribeQuorumResponse q;
  grpc::Status status = Describe(g, &q);
  if (!status.ok()) return ReportError("quorum replication", status);
  if (g.json()) {
    nlohmann::json rows = nlohmann::json::array();
    for (const auto& r : q.voters()) rows.push_back(ReplicaJson(r));
    for (const auto& r : q.observers()) rows.push_back(ReplicaJson(r));
    std::cout << nlohmann::json{{"Replicas", rows}}.dump(2) << "\n";
    return 0;
  }
  std::vector<std::vector<std::string>> rows;
  auto add = [&](const controller::ReplicaState& r) {
    rows.push_back({std::to_string(r.node_id()), std::to_string(r.log_end_offset()),
                    std::to_string(r.lag()), std::to_string(r.last_fetch_timestamp_ms()),
                    std::to_string(r.last_caught_up_timestamp_ms()), r.status()});
  };
  for (const auto& r : q.voters()) add(r);
  for (const auto& r : q.observers()) add(r);
  std::cout << FormatTable({"NodeId", "LogEndOffset", "Lag", "LastFetchTimestamp",
                            "LastCaughtUpTimestamp", "Status"},
                           rows);
  return 0;
}

int ReportError(const std::string& what, const grpc::Status& status) {
  std::fprintf(stderr, "keelctl: %s: %s\n", what.c_str(),
               status.error_message().empty() ? "failed" : status.error_message().c_str());
  return 1;
}

}  // namespace keel::keelctl
