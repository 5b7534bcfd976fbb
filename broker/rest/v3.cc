// v3 (Confluent's "Kafka REST v3" shapes): /v3/clusters[/{id}], brokers, topics (list, get,
// create with configs, delete), records (one or a stream of records, one delivery report
// each), and the consumer-group read endpoints (consumer-groups[/{g}[/consumers|/lag-summary]]).
// Bodies and errors are application/json; resources carry "kind" and "metadata.self".
#include <chrono>
#include <map>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "broker/rest/group_offsets.h"
#include "broker/rest/handlers.h"
#include "broker/rest/json_stream.h"
#include "broker/rest/produce.h"
#include "client/consumer.h"
#include "client/consumer_protocol.h"
#include "client/errors.h"

namespace keel::rest {
namespace {

using nlohmann::json;

constexpr char kV3[] = "application/json";
constexpr int kV3TopicNotFound = 40403;  // v3 answers UnknownTopicOrPartition with 40403
constexpr int kTopicExists = 40002;

void Error(httplib::Response& res, const RestError& e) { ReplyError(res, e, kV3); }
void Error(httplib::Response& res, int status, int code, const std::string& message) {
  ReplyError(res, RestError{status, code, message}, kV3);
}

std::string Base(const httplib::Request& req, const RestContext& ctx) {
  std::string host = req.get_header_value("Host");
  return "http://" + (host.empty() ? ctx.options.listen : host);
}

json Related(const std::string& url) { return {{"related", url}}; }

json Meta(const std::string& self) { return {{"self", self}}; }

// Replies 404 and returns false unless `id` names this cluster.
bool CheckCluster(const RestContext& ctx, const std::string& id, httplib::Response& res) {
  if (id == ctx.options.cluster_id) return true;
  Error(res, 404, 404, "Cluster " + id + " not found.");
  return false;
}

json ClusterJson(const std::string& base, const RestContext& ctx, int32_t controller_id) {
  const std::string self = base + "/v3/clusters/" + ctx.options.cluster_id;
  json c = {{"kind", "KafkaCluster"},
            {"metadata", Meta(self)},
            {"cluster_id", ctx.options.cluster_id},
            {"brokers", Related(self + "/brokers")},
            {"topics", Related(self + "/topics")},
            {"consumer_groups", Related(self + "/consumer-groups")}};
  c["controller"] = controller_id >= 0 ? Related(self + "/brokers/" + std::to_string(controller_id)) : json(nullptr);
  return c;
}

json BrokerJson(const std::string& base, const RestContext& ctx, const controller::BrokerDescription& b) {
  const std::string self = absl::StrCat(base, "/v3/clusters/", ctx.options.cluster_id, "/brokers/", b.broker_id());
  json j = {{"kind", "KafkaBroker"}, {"metadata", Meta(self)}, {"cluster_id", ctx.options.cluster_id},
            {"broker_id", b.broker_id()}, {"host", nullptr}, {"port", nullptr},
            {"rack", b.rack().empty() ? json(nullptr) : json(b.rack())}};
  for (const auto& e : b.endpoints()) {
    if (e.name() == "KAFKA") {
      j["host"] = e.host();
      j["port"] = e.port();
    }
  }
  return j;
}

json TopicJson(const std::string& base, const RestContext& ctx, const controller::TopicDescription& t) {
  const std::string self = base + "/v3/clusters/" + ctx.options.cluster_id + "/topics/" + t.name();
  const int rf = t.partitions().empty() ? 0 : t.partitions(0).replicas_size();
  return {{"kind", "KafkaTopic"},
          {"metadata", Meta(self)},
          {"cluster_id", ctx.options.cluster_id},
          {"topic_name", t.name()},
          {"is_internal", t.name().rfind("__", 0) == 0},
          {"replication_factor", rf},
          {"partitions_count", t.partitions_size()},
          {"partitions", Related(self + "/partitions")},
          {"configs", Related(self + "/configs")}};
}

// The gRPC address of each broker (its first endpoint that is not the Kafka listener).
absl::StatusOr<std::vector<std::string>> BrokerAddresses(RestContext& ctx) {
  auto cluster = ctx.admin->DescribeCluster(ctx.admin_timeout());
  if (!cluster.ok()) return cluster.status();
  std::vector<std::string> out;
  for (const auto& b : cluster->brokers()) {
    for (const auto& e : b.endpoints()) {
      if (e.name() == "KAFKA") continue;
      out.push_back(absl::StrCat(e.host(), ":", e.port()));
      break;
    }
  }
  return out;
}

// ---- records

struct V3Record {
  ProduceItem item;
  std::string key_type, value_type;
  size_t key_size = 0, value_size = 0;
  bool has_key = false, has_value = false;
};

// {"type": "BINARY"|"JSON"|"STRING", "data": ...} into bytes.
absl::Status DecodeData(const json& field, std::optional<std::string>* bytes, std::string* type) {
  if (field.is_null()) return absl::OkStatus();
  if (!field.is_object()) return absl::InvalidArgumentError("key and value must be {\"type\", \"data\"} objects");
  *type = field.contains("type") && field["type"].is_string() ? field["type"].get<std::string>() : "JSON";
  const json data = field.contains("data") ? field["data"] : json(nullptr);
  if (*type == "BINARY") {
    auto decoded = DecodeField(EmbeddedFormat::kBinary, data);
    if (!decoded.ok()) return decoded.status();
    *bytes = std::move(*decoded);
  } else if (*type == "JSON") {
    auto decoded = DecodeField(EmbeddedFormat::kJson, data);
    if (!decoded.ok()) return decoded.status();
    *bytes = std::move(*decoded);
  } else if (*type == "STRING") {
    if (!data.is_string() && !data.is_null()) return absl::InvalidArgumentError("STRING data must be a string");
    if (data.is_string()) *bytes = data.get<std::string>();
  } else {
    return absl::InvalidArgumentError("unsupported type '" + *type + "' (BINARY, JSON or STRING; no schema registry)");
  }
  return absl::OkStatus();
}

absl::StatusOr<V3Record> ParseRecord(const std::string& text) {
  json r = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (r.is_discarded() || !r.is_object()) return absl::InvalidArgumentError("a record is not a valid JSON object");
  V3Record out;
  if (r.contains("partition_id") && !r["partition_id"].is_null()) {
    std::optional<int64_t> p = JsonInt(r["partition_id"]);
    if (!p || *p < 0 || *p > INT32_MAX) return absl::InvalidArgumentError("partition_id must be a non-negative integer");
    out.item.partition = static_cast<int32_t>(*p);
  }
  if (r.contains("headers")) {
    if (!r["headers"].is_array()) return absl::InvalidArgumentError("headers must be an array");
    for (const json& h : r["headers"]) {
      if (!h.is_object() || !h.contains("name") || !h["name"].is_string()) {
        return absl::InvalidArgumentError("each header must be {\"name\": string, \"value\": base64}");
      }
      auto value = DecodeField(EmbeddedFormat::kBinary, h.contains("value") ? h["value"] : json(nullptr));
      if (!value.ok()) return value.status();
      out.item.headers.push_back({h["name"].get<std::string>(), value->value_or("")});
    }
  }
  std::optional<std::string> value;
  if (r.contains("key")) {
    if (absl::Status s = DecodeData(r["key"], &out.item.key, &out.key_type); !s.ok()) return s;
  }
  if (r.contains("value")) {
    if (absl::Status s = DecodeData(r["value"], &value, &out.value_type); !s.ok()) return s;
  }
  out.has_key = out.item.key.has_value();
  out.key_size = out.has_key ? out.item.key->size() : 0;
  out.has_value = value.has_value();
  out.value_size = out.has_value ? value->size() : 0;
  out.item.value = std::move(value);
  return out;
}

json DeliveryReport(const RestContext& ctx, const std::string& topic, const V3Record& r,
                    const absl::StatusOr<client::RecordMetadata>& outcome) {
  if (!outcome.ok()) {
    RestError e = FromStatus(outcome.status());
    return {{"error_code", e.error_code}, {"message", e.message}};
  }
  json report = {{"error_code", 200}, {"cluster_id", ctx.options.cluster_id}, {"topic_name", topic},
                 {"partition_id", outcome->partition}, {"offset", outcome->offset},
                 {"timestamp", nullptr}, {"key", nullptr}, {"value", nullptr}};
  if (r.has_key) report["key"] = {{"type", r.key_type}, {"size", r.key_size}};
  if (r.has_value) report["value"] = {{"type", r.value_type}, {"size", r.value_size}};
  return report;
}

// One entry of a record stream's answer: an error found before sending, or the record's
// index in the ProduceStream (and the sizes its report names).
struct StreamEntry {
  std::optional<RestError> error;
  V3Record meta;  // item payload cleared once sent
  size_t produced = 0;
};

json EntryReport(const RestContext& ctx, const std::string& topic, ProduceStream& stream,
                 const StreamEntry& e) {
  if (e.error.has_value()) return {{"error_code", e.error->error_code}, {"message", e.error->message}};
  return DeliveryReport(ctx, topic, e.meta, stream.Wait(e.produced));
}

void ProduceRecords(RestContext& ctx, const httplib::Request& req, httplib::Response& res,
                    const httplib::ContentReader& reader) {
  // An answer given before the body is read must still consume it, or its bytes would be
  // read as the connection's next request.
  auto drain = [&] { reader([](const char*, size_t) { return true; }); };
  if (!CheckCluster(ctx, PathParam(req, 1), res)) return drain();
  const std::string topic = PathParam(req, 2);
  const std::string type = MediaType(req.get_header_value("Content-Type"));
  if (type != kJsonType) {
    drain();
    return Error(res, 415, 415, "HTTP 415 Unsupported Media Type: produce records as application/json");
  }
  auto metadata = ctx.metadata->Topic(topic, ctx.admin_timeout());
  if (!metadata.ok()) {
    drain();
    return Error(res, absl::IsNotFound(metadata.status())
                          ? NotFoundError(kV3TopicNotFound, "This server does not host this topic-partition.")
                          : FromStatus(metadata.status()));
  }
  const auto partitions = static_cast<int32_t>((*metadata)->partitions.size());

  // Each record is sent as soon as its object is complete, while the rest of the stream is
  // still arriving.
  std::shared_ptr<ProduceStream> stream = ProduceStream::Create(ctx.producer.get(), topic);
  auto entries = std::make_shared<std::vector<StreamEntry>>();
  JsonObjectSplitter splitter(static_cast<size_t>(ctx.options.max_request_bytes));
  std::vector<std::string> texts;
  absl::Status framing;
  reader([&](const char* data, size_t length) {
    framing = splitter.Feed(absl::string_view(data, length), &texts);
    for (const std::string& text : texts) {
      StreamEntry entry;
      absl::StatusOr<V3Record> record = ParseRecord(text);
      if (!record.ok()) {
        entry.error = InvalidPayload(std::string(record.status().message()));
      } else if (record->item.partition >= partitions) {
        entry.error = NotFoundError(kV3TopicNotFound, "This server does not host this topic-partition.");
      } else {
        entry.produced = stream->Send(record->item);
        entry.meta = std::move(*record);
        entry.meta.item = ProduceItem();
      }
      entries->push_back(std::move(entry));
    }
    texts.clear();
    return framing.ok();
  });
  if (framing.ok()) framing = splitter.Finish();
  if (!framing.ok()) {
    if (entries->empty()) return Error(res, InvalidPayload(std::string(framing.message())));
    // Records before the break were sent: report them, then the break.
    StreamEntry broken;
    broken.error = InvalidPayload(std::string(framing.message()));
    entries->push_back(std::move(broken));
  }
  if (entries->empty()) return Error(res, InvalidPayload("no record in the request body"));

  if (entries->size() == 1) {
    // One record: the HTTP status is its outcome's.
    const StreamEntry& e = entries->front();
    if (e.error.has_value()) return Error(res, *e.error);
    auto outcome = stream->Wait(e.produced);
    if (!outcome.ok()) return Error(res, FromStatus(outcome.status()));
    return ReplyJson(res, 200, DeliveryReport(ctx, topic, e.meta, outcome), kV3);
  }
  // A stream: 200, then one report per line, each written (chunked) as its record completes,
  // in the records' order.
  res.status = 200;
  RestContext* context = &ctx;
  res.set_chunked_content_provider(
      kV3, [context, topic, stream, entries](size_t, httplib::DataSink& sink) {
        for (const StreamEntry& e : *entries) {
          const std::string line = EntryReport(*context, topic, *stream, e).dump() + "\n";
          if (!sink.write(line.data(), line.size())) return false;
        }
        sink.done();
        return true;
      });
}

// ---- consumer groups

absl::StatusOr<keel::group::GroupDescription> DescribeGroup(RestContext& ctx, const std::string& group) {
  keel::group::DescribeGroupsRequest request;
  request.add_group_ids(group);
  auto response = ctx.groups->DescribeGroups(request, ctx.admin_timeout());
  if (!response.ok()) return response.status();
  if (response->groups_size() != 1) return absl::InternalError("DescribeGroups answered no group");
  const auto& g = response->groups(0);
  if (g.error() != keel::NONE) return absl::UnavailableError(g.error_message());
  if (g.state() == "Dead") return absl::NotFoundError("Consumer group " + group + " not found.");
  return g;
}

std::string StateName(const std::string& state) {
  if (state == "PreparingRebalance") return "PREPARING_REBALANCE";
  if (state == "CompletingRebalance") return "COMPLETING_REBALANCE";
  std::string upper = state;
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return upper;
}

// Replies (404 or the failure) and returns false when the group cannot be described.
bool LookUpGroup(RestContext& ctx, const std::string& group, httplib::Response& res,
                 keel::group::GroupDescription* out) {
  auto g = DescribeGroup(ctx, group);
  if (!g.ok()) {
    Error(res, absl::IsNotFound(g.status()) ? NotFoundError(404, std::string(g.status().message()))
                                            : FromStatus(g.status()));
    return false;
  }
  *out = std::move(*g);
  return true;
}

json GroupJson(const std::string& base, const RestContext& ctx, const keel::group::GroupDescription& g) {
  const std::string self = base + "/v3/clusters/" + ctx.options.cluster_id + "/consumer-groups/" + g.group_id();
  return {{"kind", "KafkaConsumerGroup"},
          {"metadata", Meta(self)},
          {"cluster_id", ctx.options.cluster_id},
          {"consumer_group_id", g.group_id()},
          {"is_simple", g.protocol_type().empty()},
          {"partition_assignor", g.protocol_name()},
          {"state", StateName(g.state())},
          {"generation_id", g.generation_id()},
          {"consumers", Related(self + "/consumers")},
          {"lag_summary", Related(self + "/lag-summary")}};
}

// Each member's partitions (decoded from its assignment bytes, while the group is Stable).
std::map<client::TopicPartition, const keel::group::GroupMemberDescription*> Owners(
    const keel::group::GroupDescription& g, std::map<std::string, std::vector<client::TopicPartition>>* per_member) {
  std::map<client::TopicPartition, const keel::group::GroupMemberDescription*> owners;
  for (const auto& m : g.members()) {
    auto assignment = client::DecodeAssignment(m.assignment());
    if (!assignment.ok()) continue;
    for (const auto& [topic, partitions] : assignment->partitions) {
      for (int32_t p : partitions) {
        owners[{topic, p}] = &m;
        if (per_member != nullptr) (*per_member)[m.member_id()].push_back({topic, p});
      }
    }
  }
  return owners;
}

void LagSummary(RestContext& ctx, const httplib::Request& req, httplib::Response& res) {
  if (!CheckCluster(ctx, PathParam(req, 1), res)) return;
  const std::string group = PathParam(req, 2);
  keel::group::GroupDescription g;
  if (!LookUpGroup(ctx, group, res, &g)) return;
  auto committed = FetchCommitted(*ctx.groups, group, {});
  if (!committed.ok()) return Error(res, FromStatus(committed.status()));
  auto owners = Owners(g, nullptr);
  // End offsets through an assign-only consumer (ListOffsets at each leader).
  client::ConsumerConfig config;
  client::Consumer ends(config, ctx.metadata);
  int64_t total_lag = 0, max_lag = -1;
  std::optional<client::TopicPartition> max_tp;
  for (const auto& [tp, offset] : *committed) {
    if (offset < 0) continue;
    auto end = ends.OffsetForTime(tp, client::kLatestOffset, ctx.admin_timeout());
    if (!end.ok()) return Error(res, FromStatus(end.status()));
    const int64_t lag = std::max<int64_t>(0, *end - offset);
    total_lag += lag;
    if (lag > max_lag) {
      max_lag = lag;
      max_tp = tp;
    }
  }
  const std::string self = Base(req, ctx) + "/v3/clusters/" + ctx.options.cluster_id + "/consumer-groups/" + group;
  json out = {{"kind", "KafkaConsumerGroupLagSummary"},
              {"metadata", Meta(self + "/lag-summary")},
              {"cluster_id", ctx.options.cluster_id},
              {"consumer_group_id", group},
              {"max_lag_consumer_id", nullptr},
              {"max_lag_instance_id", nullptr},
              {"max_lag_client_id", nullptr},
              {"max_lag_topic_name", nullptr},
              {"max_lag_partition_id", nullptr},
              {"max_lag", std::max<int64_t>(0, max_lag)},
              {"total_lag", total_lag}};
  if (max_tp.has_value()) {
    out["max_lag_topic_name"] = max_tp->topic;
    out["max_lag_partition_id"] = max_tp->partition;
    auto owner = owners.find(*max_tp);
    if (owner != owners.end()) {
      out["max_lag_consumer_id"] = owner->second->member_id();
      out["max_lag_client_id"] = owner->second->client_id();
      if (owner->second->has_group_instance_id()) out["max_lag_instance_id"] = owner->second->group_instance_id();
    }
  }
  ReplyJson(res, 200, out, kV3);
}

}  // namespace

void AddV3Routes(Router& router, RestContext& ctx) {
  const std::string cluster = R"(/v3/clusters/([^/]+))";
  auto list = [](const std::string& kind, const std::string& self, json data) {
    return json{{"kind", kind}, {"metadata", {{"self", self}, {"next", nullptr}}}, {"data", std::move(data)}};
  };

  router.Get(R"(/v3/clusters)", "GET /v3/clusters", [&ctx, list](const httplib::Request& req, httplib::Response& res) {
    auto described = ctx.admin->DescribeCluster(ctx.admin_timeout());
    if (!described.ok()) return Error(res, FromStatus(described.status()));
    const std::string base = Base(req, ctx);
    ReplyJson(res, 200, list("KafkaClusterList", base + "/v3/clusters",
                             json::array({ClusterJson(base, ctx, described->controller_id())})), kV3);
  });
  router.Get(cluster, "GET /v3/clusters/{cluster}", [&ctx](const httplib::Request& req, httplib::Response& res) {
    if (!CheckCluster(ctx, PathParam(req, 1), res)) return;
    auto described = ctx.admin->DescribeCluster(ctx.admin_timeout());
    if (!described.ok()) return Error(res, FromStatus(described.status()));
    ReplyJson(res, 200, ClusterJson(Base(req, ctx), ctx, described->controller_id()), kV3);
  });

  router.Get(cluster + "/brokers", "GET /v3/clusters/{cluster}/brokers",
             [&ctx, list](const httplib::Request& req, httplib::Response& res) {
               if (!CheckCluster(ctx, PathParam(req, 1), res)) return;
               auto described = ctx.admin->DescribeCluster(ctx.admin_timeout());
               if (!described.ok()) return Error(res, FromStatus(described.status()));
               const std::string base = Base(req, ctx);
               json data = json::array();
               for (const auto& b : described->brokers()) data.push_back(BrokerJson(base, ctx, b));
               ReplyJson(res, 200, list("KafkaBrokerList", base + "/v3/clusters/" + ctx.options.cluster_id + "/brokers", data), kV3);
             });
  router.Get(cluster + "/brokers/([^/]+)", "GET /v3/clusters/{cluster}/brokers/{broker}",
             [&ctx](const httplib::Request& req, httplib::Response& res) {
               if (!CheckCluster(ctx, PathParam(req, 1), res)) return;
               auto described = ctx.admin->DescribeCluster(ctx.admin_timeout());
               if (!described.ok()) return Error(res, FromStatus(described.status()));
               for (const auto& b : described->brokers()) {
                 if (std::to_string(b.broker_id()) == PathParam(req, 2)) {
                   return ReplyJson(res, 200, BrokerJson(Base(req, ctx), ctx, b), kV3);
                 }
               }
               Error(res, 404, 404, "Broker " + PathParam(req, 2) + " not found.");
             });

  router.Get(cluster + "/topics", "GET /v3/clusters/{cluster}/topics",
             [&ctx, list](const httplib::Request& req, httplib::Response& res) {
               if (!CheckCluster(ctx, PathParam(req, 1), res)) return;
               auto described = ctx.admin->DescribeTopics({}, ctx.admin_timeout());
               if (!described.ok()) return Error(res, FromStatus(described.status()));
               const std::string base = Base(req, ctx);
               json data = json::array();
               for (const auto& t : described->topics()) data.push_back(TopicJson(base, ctx, t));
               ReplyJson(res, 200, list("KafkaTopicList", base + "/v3/clusters/" + ctx.options.cluster_id + "/topics", data), kV3);
             });
  router.Get(cluster + "/topics/([^/]+)", "GET /v3/clusters/{cluster}/topics/{topic}",
             [&ctx](const httplib::Request& req, httplib::Response& res) {
               if (!CheckCluster(ctx, PathParam(req, 1), res)) return;
               auto t = DescribeTopic(ctx, PathParam(req, 2));
               if (!t.ok()) {
                 return Error(res, absl::IsNotFound(t.status())
                                       ? NotFoundError(kV3TopicNotFound, "This server does not host this topic-partition.")
                                       : FromStatus(t.status()));
               }
               ReplyJson(res, 200, TopicJson(Base(req, ctx), ctx, *t), kV3);
             });
  router.Post(cluster + "/topics", "POST /v3/clusters/{cluster}/topics",
              [&ctx](const httplib::Request& req, httplib::Response& res) {
                if (!CheckCluster(ctx, PathParam(req, 1), res)) return;
                std::optional<json> body = ParseObjectBody(req, res, false, kV3);
                if (!body.has_value()) return;
                const json& b = *body;
                if (!b.contains("topic_name") || !b["topic_name"].is_string() || b["topic_name"].get<std::string>().empty()) {
                  return Error(res, InvalidPayload("\"topic_name\" must be a non-empty string"));
                }
                std::optional<int64_t> partitions = b.contains("partitions_count") ? JsonInt(b["partitions_count"]) : std::optional<int64_t>(1);
                std::optional<int64_t> rf = b.contains("replication_factor") ? JsonInt(b["replication_factor"]) : std::optional<int64_t>(1);
                if (!partitions || *partitions < 1 || *partitions > INT32_MAX || !rf || *rf < 1 || *rf > INT16_MAX) {
                  return Error(res, InvalidPayload("partitions_count and replication_factor must be positive integers"));
                }
                std::map<std::string, std::string> configs;
                if (b.contains("configs")) {
                  if (!b["configs"].is_array()) return Error(res, InvalidPayload("\"configs\" must be an array"));
                  for (const json& c : b["configs"]) {
                    if (!c.is_object() || !c.contains("name") || !c["name"].is_string() || !c.contains("value") ||
                        !c["value"].is_string()) {
                      return Error(res, InvalidPayload("each config must be {\"name\": string, \"value\": string}"));
                    }
                    configs[c["name"].get<std::string>()] = c["value"].get<std::string>();
                  }
                }
                const std::string name = b["topic_name"].get<std::string>();
                absl::Status s = ctx.admin->CreateTopic(name, static_cast<int>(*partitions), static_cast<int>(*rf), configs,
                                                        ctx.admin_timeout());
                if (!s.ok()) {
                  const std::string m(s.message());
                  if (m.find("TOPIC_ALREADY_EXISTS") != std::string::npos || absl::IsAlreadyExists(s)) {
                    return Error(res, 400, kTopicExists, "Topic '" + name + "' already exists.");
                  }
                  if (IsRetriableStatus(s)) return Error(res, FromStatus(s));
                  return Error(res, 400, 40002, m);
                }
                const std::string base = Base(req, ctx);
                auto t = DescribeTopic(ctx, name);
                json topic;
                if (t.ok()) {
                  topic = TopicJson(base, ctx, *t);
                } else {  // created; the description may lag a moment
                  controller::TopicDescription d;
                  d.set_name(name);
                  topic = TopicJson(base, ctx, d);
                  topic["partitions_count"] = *partitions;
                  topic["replication_factor"] = *rf;
                }
                res.set_header("Location", topic["metadata"]["self"].get<std::string>());
                ReplyJson(res, 201, topic, kV3);
              });
  router.Delete(cluster + "/topics/([^/]+)", "DELETE /v3/clusters/{cluster}/topics/{topic}",
                [&ctx](const httplib::Request& req, httplib::Response& res) {
                  if (!CheckCluster(ctx, PathParam(req, 1), res)) return;
                  auto deleted = ctx.admin->DeleteTopics({PathParam(req, 2)}, ctx.admin_timeout());
                  if (!deleted.ok() && absl::IsNotFound(deleted.status())) {
                    return Error(res, NotFoundError(kV3TopicNotFound, "This server does not host this topic-partition."));
                  }
                  if (!deleted.ok()) return Error(res, FromStatus(deleted.status()));
                  for (const auto& r : deleted->results()) {
                    if (r.error() == keel::UNKNOWN_TOPIC_OR_PARTITION) {
                      return Error(res, NotFoundError(kV3TopicNotFound, "This server does not host this topic-partition."));
                    }
                    if (r.error() != keel::NONE) {
                      return Error(res, FromStatus(client::ErrorStatus(r.error(), r.error_message())));
                    }
                  }
                  ReplyNoContent(res);
                });

  router.PostStream(cluster + "/topics/([^/]+)/records", "POST /v3/clusters/{cluster}/topics/{topic}/records",
                    [&ctx](const httplib::Request& req, httplib::Response& res, const httplib::ContentReader& reader) {
                      ProduceRecords(ctx, req, res, reader);
                    });

  router.Get(cluster + "/consumer-groups", "GET /v3/clusters/{cluster}/consumer-groups",
             [&ctx, list](const httplib::Request& req, httplib::Response& res) {
               if (!CheckCluster(ctx, PathParam(req, 1), res)) return;
               auto brokers = BrokerAddresses(ctx);
               if (!brokers.ok()) return Error(res, FromStatus(brokers.status()));
               std::vector<std::string> ids;
               for (const std::string& address : *brokers) {
                 auto listed = ctx.groups->ListGroups(address, {}, ctx.admin_timeout());
                 if (!listed.ok()) return Error(res, FromStatus(listed.status()));
                 for (const auto& g : listed->groups()) ids.push_back(g.group_id());
               }
               const std::string base = Base(req, ctx);
               json data = json::array();
               if (!ids.empty()) {
                 keel::group::DescribeGroupsRequest request;
                 for (const auto& id : ids) request.add_group_ids(id);
                 auto described = ctx.groups->DescribeGroups(request, ctx.admin_timeout());
                 if (!described.ok()) return Error(res, FromStatus(described.status()));
                 for (const auto& g : described->groups()) {
                   if (g.error() == keel::NONE && g.state() != "Dead") data.push_back(GroupJson(base, ctx, g));
                 }
               }
               ReplyJson(res, 200, list("KafkaConsumerGroupList", base + "/v3/clusters/" + ctx.options.cluster_id + "/consumer-groups", data), kV3);
             });
  router.Get(cluster + "/consumer-groups/([^/]+)", "GET /v3/clusters/{cluster}/consumer-groups/{group}",
             [&ctx](const httplib::Request& req, httplib::Response& res) {
               if (!CheckCluster(ctx, PathParam(req, 1), res)) return;
               keel::group::GroupDescription g;
               if (!LookUpGroup(ctx, PathParam(req, 2), res, &g)) return;
               ReplyJson(res, 200, GroupJson(Base(req, ctx), ctx, g), kV3);
             });
  router.Get(cluster + "/consumer-groups/([^/]+)/consumers", "GET /v3/clusters/{cluster}/consumer-groups/{group}/consumers",
             [&ctx, list](const httplib::Request& req, httplib::Response& res) {
               if (!CheckCluster(ctx, PathParam(req, 1), res)) return;
               keel::group::GroupDescription g;
               if (!LookUpGroup(ctx, PathParam(req, 2), res, &g)) return;
               std::map<std::string, std::vector<client::TopicPartition>> per_member;
               Owners(g, &per_member);
               const std::string self = Base(req, ctx) + "/v3/clusters/" + ctx.options.cluster_id + "/consumer-groups/" + g.group_id() + "/consumers";
               json data = json::array();
               for (const auto& m : g.members()) {
                 json assignments = json::array();
                 for (const auto& tp : per_member[m.member_id()]) {
                   assignments.push_back({{"topic_name", tp.topic}, {"partition_id", tp.partition}});
                 }
                 data.push_back({{"kind", "KafkaConsumer"},
                                 {"metadata", Meta(self + "/" + m.member_id())},
                                 {"cluster_id", ctx.options.cluster_id},
                                 {"consumer_group_id", g.group_id()},
                                 {"consumer_id", m.member_id()},
                                 {"instance_id", m.has_group_instance_id() ? json(m.group_instance_id()) : json(nullptr)},
                                 {"client_id", m.client_id()},
                                 {"assignments", assignments}});
               }
               ReplyJson(res, 200, list("KafkaConsumerList", self, data), kV3);
             });
  router.Get(cluster + "/consumer-groups/([^/]+)/lag-summary", "GET /v3/clusters/{cluster}/consumer-groups/{group}/lag-summary",
             [&ctx](const httplib::Request& req, httplib::Response& res) { LagSummary(ctx, req, res); });
}

}  // namespace keel::rest
