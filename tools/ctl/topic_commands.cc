// keelctl topics create | list | describe | delete, and brokers list (kafka-topics style).
#include <cstdio>
#include <iostream>
#include <map>

#include <nlohmann/json.hpp>

#include "absl/strings/escaping.h"
#include "absl/strings/str_join.h"
#include "proto/controller.grpc.pb.h"
#include "tools/ctl/cluster_client.h"
#include "tools/ctl/commands.h"
#include "tools/ctl/health.h"
#include "tools/ctl/output.h"

namespace keel::keelctl {
namespace {

ClusterClient Client(const GlobalOptions& g) {
  return ClusterClient(SplitAddresses(g.controllers), std::chrono::milliseconds(g.timeout_ms));
}

std::vector<int> Ids(const google::protobuf::RepeatedField<int32_t>& ids) {
  return std::vector<int>(ids.begin(), ids.end());
}

nlohmann::json TopicJson(const controller::TopicDescription& t) {
  nlohmann::json partitions = nlohmann::json::array();
  for (const auto& p : t.partitions()) {
    partitions.push_back({{"Partition", p.partition()},
                          {"Leader", p.leader()},
                          {"Replicas", Ids(p.replicas())},
                          {"Isr", Ids(p.isr())},
                          {"LeaderEpoch", p.leader_epoch()}});
  }
  std::map<std::string, std::string> configs(t.configs().begin(), t.configs().end());
  int rf = t.partitions().empty() ? 0 : t.partitions(0).replicas_size();
  return {{"Topic", t.name()},
          {"TopicId", absl::BytesToHexString(t.topic_id())},
          {"PartitionCount", t.partitions_size()},
          {"ReplicationFactor", rf},
          {"Configs", configs},
          {"Partitions", partitions}};
}

}  // namespace

int TopicsCreate(const GlobalOptions& g, const CreateTopicOptions& o) {
  controller::CreateTopicsRequest request;
  auto* topic = request.add_topics();
  topic->set_name(o.name);
  topic->set_num_partitions(o.partitions);
  topic->set_replication_factor(o.replication_factor);
  for (const std::string& kv : o.configs) {
    size_t eq = kv.find('=');
    if (eq == std::string::npos || eq == 0) {
      std::fprintf(stderr, "keelctl: --config expects key=value, got '%s'\n", kv.c_str());
      return 2;
    }
    (*topic->mutable_configs())[kv.substr(0, eq)] = kv.substr(eq + 1);
  }
  controller::CreateTopicsResponse response;
  grpc::Status status = Client(g).CallLeader([&](const auto& channel, auto* context) {
    response.Clear();
    return controller::AdminService::NewStub(channel)->CreateTopics(context, request, &response);
  });
  if (!status.ok()) return ReportError("topics create " + o.name, status);
  const auto& r = response.results(0);
  if (g.json()) {
    std::cout << nlohmann::json{{"Topic", r.name()},
                                {"TopicId", absl::BytesToHexString(r.topic_id())}}
                     .dump(2)
              << "\n";
  } else {
    std::printf("Created topic %s.\n", r.name().c_str());
  }
  return 0;
}

int TopicsDelete(const GlobalOptions& g, const std::string& name) {
  controller::DeleteTopicsRequest request;
  request.add_names(name);
  controller::DeleteTopicsResponse response;
  grpc::Status status = Client(g).CallLeader([&](const auto& channel, auto* context) {
    response.Clear();
    return controller::AdminService::NewStub(channel)->DeleteTopics(context, request, &response);
  });
  if (!status.ok()) return ReportError("topics delete " + name, status);
  if (g.json()) {
    std::cout << nlohmann::json{{"Deleted", {name}}}.dump(2) << "\n";
  } else {
    std::printf("Deleted topic %s.\n", name.c_str());
  }
  return 0;
}

int TopicsList(const GlobalOptions& g) {
  controller::ListTopicsResponse response;
  grpc::Status status = Client(g).CallAny([&](const auto& channel, auto* context) {
    response.Clear();
    return controller::AdminService::NewStub(channel)->ListTopics(
        context, controller::ListTopicsRequest(), &response);
  });
  if (!status.ok()) return ReportError("topics list", status);
  std::vector<std::string> names(response.names().begin(), response.names().end());
  std::sort(names.begin(), names.end());
  if (g.json()) {
    std::cout << nlohmann::json{{"Topics", names}}.dump(2) << "\n";
  } else {
    for (const auto& n : names) std::printf("%s\n", n.c_str());
  }
  return 0;
}

int TopicsDescribe(const GlobalOptions& g, const std::string& name) {
  controller::DescribeTopicsRequest request;
  if (!name.empty()) request.add_names(name);
  controller::DescribeTopicsResponse response;
  grpc::Status status = Client(g).CallAny([&](const auto& channel, auto* context) {
    response.Clear();
    return controller::AdminService::NewStub(channel)->DescribeTopics(context, request,
                                                                      &response);
  });
  if (!status.ok()) return ReportError("topics describe", status);
  std::vector<controller::TopicDescription> topics(response.topics().begin(),
                                                   response.topics().end());
  std::sort(topics.begin(), topics.end(),
            [](const auto& a, const auto& b) { return a.name() < b.name(); });
  if (g.json()) {
    nlohmann::json all = nlohmann::json::array();
    for (const auto& t : topics) all.push_back(TopicJson(t));
    std::cout << nlohmann::json{{"Topics", all}}.dump(2) << "\n";
    return 0;
  }
  for (const auto& t : topics) {
    std::map<std::string, std::string> configs(t.configs().begin(), t.configs().end());
    std::string config_text = absl::StrJoin(configs, ",", absl::PairFormatter("="));
    int rf = t.partitions().empty() ? 0 : t.partitions(0).replicas_size();
    std::printf("Topic: %s\tTopicId: %s\tPartitionCount: %d\tReplicationFactor: %d\tConfigs: %s\n",
                t.name().c_str(), absl::BytesToHexString(t.topic_id()).c_str(), t.partitions_size(),
                rf, config_text.c_str());
    std::vector<controller::PartitionDescription> parts(t.partitions().begin(),
                                                        t.partitions().end());
    std::sort(parts.begin(), parts.end(),
              [](const auto& a, const auto& b) { return a.partition() < b.partition(); });
    for (const auto& p : parts) {
      // Kafka prints "Leader: none" for an offline partition.
      std::string leader = p.leader() < 0 ? "none" : std::to_string(p.leader());
      std::printf("\tTopic: %s\tPartition: %d\tLeader: %s\tReplicas: %s\tIsr: %s\n",
                  t.name().c_str(), p.partition(), leader.c_str(),
                  absl::StrJoin(p.replicas(), ",").c_str(), absl::StrJoin(p.isr(), ",").c_str());
    }
  }
  return 0;
}

int BrokersList(const GlobalOptions& g) {
  controller::DescribeClusterResponse response;
  grpc::Status status = Client(g).CallAny([&](const auto& channel, auto* context) {
    response.Clear();
    return controller::AdminService::NewStub(channel)->DescribeCluster(
        context, controller::DescribeClusterRequest(), &response);
  });
  if (!status.ok()) return ReportError("brokers list", status);
  auto state = [](const controller::BrokerDescription& b) -> std::string {
    if (b.in_controlled_shutdown()) return "shutting down";
    return b.fenced() ? "fenced" : "active";
  };
  auto address = [](const controller::BrokerDescription& b) -> std::string {
    if (b.endpoints().empty()) return "";
    return b.endpoints(0).host() + ":" + std::to_string(b.endpoints(0).port());
  };
  // Each broker's own grpc.health.v1 answer, next to what the controllers believe.
  auto per_call = std::chrono::milliseconds(std::min<int64_t>(g.timeout_ms, 1000));
  std::map<int, std::string> health;
  for (const auto& b : response.brokers()) {
    health[b.broker_id()] = address(b).empty() ? "UNKNOWN" : CheckHealth(address(b), per_call);
  }
  if (g.json()) {
    nlohmann::json brokers = nlohmann::json::array();
    for (const auto& b : response.brokers()) {
      brokers.push_back({{"Id", b.broker_id()},
                         {"Address", address(b)},
                         {"Rack", b.rack()},
                         {"Epoch", b.broker_epoch()},
                         {"State", state(b)},
                         {"Health", health[b.broker_id()]}});
    }
    std::cout << nlohmann::json{{"ClusterId", response.cluster_id()},
                                {"ControllerId", response.controller_id()},
                                {"Brokers", brokers}}
                     .dump(2)
              << "\n";
    return 0;
  }
  std::vector<std::vector<std::string>> rows;
  for (const auto& b : response.brokers()) {
    rows.push_back({std::to_string(b.broker_id()), address(b), b.rack(),
                    std::to_string(b.broker_epoch()), state(b), health[b.broker_id()]});
  }
  std::cout << FormatTable({"Id", "Address", "Rack", "Epoch", "State", "Health"}, rows);
  return 0;
}

}  // namespace keel::keelctl
