// keelctl topics create | list | describe | delete | alter, configs describe | alter
// (kafka-topics / kafka-configs style), and brokers list, over client::AdminClient.
#include <cstdio>
#include <iostream>
#include <map>

#include <nlohmann/json.hpp>

#include "absl/status/statusor.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "proto/controller.grpc.pb.h"
#include "tools/ctl/commands.h"
#include "tools/ctl/connect.h"
#include "tools/ctl/health.h"
#include "tools/ctl/output.h"

namespace keel::keelctl {
namespace {


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
  auto response = AdminFor(g)->CreateTopics(request);
  if (!response.ok()) return ReportError("topics create " + o.name, response.status());
  const auto& r = response->results(0);
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
  auto response = AdminFor(g)->DeleteTopics({name});
  if (!response.ok()) return ReportError("topics delete " + name, response.status());
  if (g.json()) {
    std::cout << nlohmann::json{{"Deleted", {name}}}.dump(2) << "\n";
  } else {
    std::printf("Deleted topic %s.\n", name.c_str());
  }
  return 0;
}

int TopicsList(const GlobalOptions& g) {
  auto response = AdminFor(g)->ListTopics();
  if (!response.ok()) return ReportError("topics list", response.status());
  std::vector<std::string> names(response->names().begin(), response->names().end());
  std::sort(names.begin(), names.end());
  if (g.json()) {
    std::cout << nlohmann::json{{"Topics", names}}.dump(2) << "\n";
  } else {
    for (const auto& n : names) std::printf("%s\n", n.c_str());
  }
  return 0;
}

int TopicsDescribe(const GlobalOptions& g, const std::string& name) {
  std::vector<std::string> names;
  if (!name.empty()) names.push_back(name);
  auto response = AdminFor(g)->DescribeTopics(names);
  if (!response.ok()) return ReportError("topics describe", response.status());
  std::vector<controller::TopicDescription> topics(response->topics().begin(),
                                                   response->topics().end());
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
  auto described = AdminFor(g)->DescribeCluster();
  if (!described.ok()) return ReportError("brokers list", described.status());
  const controller::DescribeClusterResponse& response = *described;
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

int TopicsAlter(const GlobalOptions& g, const std::string& name, int partitions) {
  auto response = AdminFor(g)->CreatePartitions(name, partitions);
  if (!response.ok()) return ReportError("topics alter " + name, response.status());
  if (response->result().error() != keel::NONE) {
    return ReportError("topics alter " + name,
                       absl::FailedPreconditionError(response->result().error_message()));
  }
  if (g.json()) {
    std::cout << nlohmann::json{{"Topic", name}, {"PartitionCount", partitions}}.dump(2) << "\n";
  } else {
    std::printf("Altered topic %s: %d partitions.\n", name.c_str(), partitions);
  }
  return 0;
}

static absl::StatusOr<std::map<std::string, std::string>> ParseConfigList(const std::string& text) {
  // kafka-configs' --add-config: k=v pairs separated by commas; a value in [brackets] may
  // hold commas itself.
  std::map<std::string, std::string> out;
  size_t i = 0;
  while (i < text.size()) {
    size_t eq = text.find('=', i);
    if (eq == std::string::npos || eq == i) {
      return absl::InvalidArgumentError("--add-config expects k=v[,k=v...], got '" + text + "'");
    }
    std::string key = text.substr(i, eq - i);
    size_t end;
    std::string value;
    if (eq + 1 < text.size() && text[eq + 1] == '[') {
      size_t close = text.find(']', eq + 2);
      if (close == std::string::npos) {
        return absl::InvalidArgumentError("unclosed '[' in --add-config value of " + key);
      }
      value = text.substr(eq + 2, close - eq - 2);
      end = close + 1;
      if (end < text.size() && text[end] != ',') {
        return absl::InvalidArgumentError("expected ',' after ']' in --add-config");
      }
    } else {
      end = text.find(',', eq + 1);
      if (end == std::string::npos) end = text.size();
      value = text.substr(eq + 1, end - eq - 1);
    }
    if (out.count(key) > 0) {
      return absl::InvalidArgumentError("config " + key + " given twice in --add-config");
    }
    out[key] = value;
    i = end + 1;
  }
  return out;
}

int ConfigsDescribe(const GlobalOptions& g, const std::string& topic) {
  auto response = AdminFor(g)->DescribeTopics({topic});
  if (!response.ok()) return ReportError("configs describe " + topic, response.status());
  if (response->topics_size() != 1) {
    return ReportError("configs describe " + topic,
                       absl::NotFoundError("UNKNOWN_TOPIC_OR_PARTITION: Topic '" + topic +
                                           "' does not exist."));
  }
  const auto& t = response->topics(0);
  std::map<std::string, std::string> configs(t.configs().begin(), t.configs().end());
  if (g.json()) {
    std::cout << nlohmann::json{{"Topic", topic}, {"Configs", configs}}.dump(2) << "\n";
    return 0;
  }
  // kafka-configs --describe: the topic's own (non-default) configs.
  std::printf("Dynamic configs for topic %s are:\n", topic.c_str());
  for (const auto& [k, v] : configs) std::printf("  %s=%s\n", k.c_str(), v.c_str());
  return 0;
}

int ConfigsAlter(const GlobalOptions& g, const ConfigsAlterOptions& o) {
  const std::string what = "configs alter " + o.topic;
  std::map<std::string, std::string> set;
  if (!o.add_config.empty()) {
    auto parsed = ParseConfigList(o.add_config);
    if (!parsed.ok()) {
      std::fprintf(stderr, "keelctl: %s: %s\n", what.c_str(),
                   std::string(parsed.status().message()).c_str());
      return 2;
    }
    set = *parsed;
  }
  std::vector<std::string> remove;
  for (const std::string& list : o.delete_config) {
    for (absl::string_view k : absl::StrSplit(list, ',', absl::SkipWhitespace())) {
      remove.emplace_back(k);
      if (set.count(remove.back()) > 0) {
        std::fprintf(stderr, "keelctl: %s: %s is both added and deleted\n", what.c_str(),
                     remove.back().c_str());
        return 2;
      }
    }
  }
  if (set.empty() && remove.empty()) {
    std::fprintf(stderr, "keelctl: %s: give --add-config and/or --delete-config\n", what.c_str());
    return 2;
  }
  auto response = AdminFor(g)->AlterConfigs(o.topic, set, remove);
  if (!response.ok()) return ReportError(what, response.status());
  if (response->result().error() != keel::NONE) {
    return ReportError(what, absl::InvalidArgumentError(response->result().error_message()));
  }
  if (g.json()) {
    std::cout << nlohmann::json{{"Topic", o.topic}, {"Set", set}, {"Deleted", remove}}.dump(2)
              << "\n";
  } else {
    std::printf("Completed updating config for topic %s.\n", o.topic.c_str());
  }
  return 0;
}

}  // namespace keel::keelctl
