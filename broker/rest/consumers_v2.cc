// v2 consumer instances: POST /consumers/{group}; under /consumers/{group}/instances/{name}:
// DELETE, subscription (POST/GET/DELETE), assignments (POST/GET), positions[/beginning|/end]
// (POST), records (GET), offsets (POST/GET).
//
// Commits. The proxy may hold records it polled but has not returned yet (a GET's max_bytes
// cut them off), so it never lets the client::Consumer auto-commit its fetch positions: it
// commits what it *returned* itself (auto.commit.enable: after a GET at most every 5 s, before
// partitions are revoked and before the instance is deleted; POST offsets without a body:
// the same on demand).
#include <atomic>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "broker/rest/consumer_instances.h"
#include "broker/rest/group_offsets.h"
#include "broker/rest/handlers.h"

namespace keel::rest {
namespace {

using nlohmann::json;
using client::TopicPartition;

constexpr int64_t kAutoCommitIntervalMs = 5000;
constexpr int64_t kDefaultRecordsTimeoutMs = 1000;  // Confluent's consumer.request.timeout.ms
constexpr int64_t kMaxRecordsTimeoutMs = 30000;

RestError InstanceNotFound() {
  return NotFoundError(kConsumerInstanceNotFound, "Consumer instance not found.");
}

RestError IllegalState(const std::string& message) { return RestError{409, kIllegalState, message}; }

// A property value given as a string, number or boolean, as text.
std::optional<std::string> PropertyText(const json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_boolean()) return std::string(v.get<bool>() ? "true" : "false");
  if (v.is_number_integer() || v.is_number_unsigned()) return v.dump();
  return std::nullopt;
}

// {"partitions": [{"topic", "partition"}]}; nullopt after replying 422.
std::optional<std::vector<TopicPartition>> ParsePartitions(const json& body, httplib::Response& res) {
  auto list = body.find("partitions");
  if (list == body.end() || !list->is_array()) {
    ReplyError(res, InvalidPayload("the body must have a \"partitions\" array"));
    return std::nullopt;
  }
  std::vector<TopicPartition> out;
  for (const json& p : *list) {
    std::optional<int64_t> partition;
    if (p.is_object() && p.contains("partition")) partition = JsonInt(p["partition"]);
    if (!p.is_object() || !p.contains("topic") || !p["topic"].is_string() ||
        !partition.has_value() || *partition < 0 || *partition > INT32_MAX) {
      ReplyError(res, InvalidPayload("each partition must be {\"topic\": string, \"partition\": int >= 0}"));
      return std::nullopt;
    }
    out.push_back({p["topic"].get<std::string>(), static_cast<int32_t>(*partition)});
  }
  return out;
}

// {"offsets": [{"topic", "partition", "offset"}]}; nullopt after replying 422.
std::optional<std::vector<std::pair<TopicPartition, int64_t>>> ParseOffsets(const json& body,
                                                                            httplib::Response& res) {
  auto list = body.find("offsets");
  if (list == body.end() || !list->is_array()) {
    ReplyError(res, InvalidPayload("the body must have an \"offsets\" array"));
    return std::nullopt;
  }
  std::vector<std::pair<TopicPartition, int64_t>> out;
  for (const json& o : *list) {
    std::optional<int64_t> partition, offset;
    if (o.is_object() && o.contains("partition")) partition = JsonInt(o["partition"]);
    if (o.is_object() && o.contains("offset")) offset = JsonInt(o["offset"]);
    if (!o.is_object() || !o.contains("topic") || !o["topic"].is_string() || !partition ||
        *partition < 0 || *partition > INT32_MAX || !offset || *offset < 0) {
      ReplyError(res, InvalidPayload(
                          "each offset must be {\"topic\": string, \"partition\": int >= 0, "
                          "\"offset\": int >= 0}"));
      return std::nullopt;
    }
    out.push_back({{o["topic"].get<std::string>(), static_cast<int32_t>(*partition)}, *offset});
  }
  return out;
}

json PartitionsJson(const std::vector<TopicPartition>& partitions) {
  json out = json::array();
  for (const auto& tp : partitions) out.push_back({{"topic", tp.topic}, {"partition", tp.partition}});
  return out;
}

void DropBuffered(ConsumerInstance& instance, const std::vector<TopicPartition>& partitions) {
  std::set<TopicPartition> drop(partitions.begin(), partitions.end());
  std::deque<client::ConsumerRecord> kept;
  for (auto& r : instance.buffered) {
    if (drop.count({r.topic, r.partition}) == 0) kept.push_back(std::move(r));
  }
  instance.buffered.swap(kept);
}

// Runs `fn` with the instance locked; replies 404/40403 when it does not exist (or closed).
template <typename Fn>
void WithInstance(RestContext& ctx, const httplib::Request& req, httplib::Response& res, Fn fn) {
  std::shared_ptr<ConsumerInstance> instance = ctx.consumers->Find(PathParam(req, 1), PathParam(req, 2));
  if (instance == nullptr) return ReplyError(res, InstanceNotFound());
  ++instance->active_requests;
  {
    std::lock_guard<std::mutex> lock(instance->mu);
    if (instance->consumer == nullptr) {
      ReplyError(res, InstanceNotFound());
    } else {
      fn(*instance);
    }
  }
  ctx.consumers->Touch(*instance);
  --instance->active_requests;
}

void Create(RestContext& ctx, const httplib::Request& req, httplib::Response& res) {
  std::optional<json> body = ParseObjectBody(req, res, /*empty_ok=*/true);
  if (!body.has_value()) return;
  const std::string group = PathParam(req, 1);
  static std::atomic<int64_t> next_id{1};
  std::string name;
  if (body->contains("name") && !(*body)["name"].is_null()) {
    if (!(*body)["name"].is_string() || (*body)["name"].get<std::string>().empty()) {
      return ReplyError(res, RestError{422, kInvalidConsumerConfig, "\"name\" must be a non-empty string"});
    }
    name = (*body)["name"].get<std::string>();
  } else {
    name = absl::StrCat("rest-consumer-", ctx.options.broker_id, "-", next_id++);
  }
  if (name.find('/') != std::string::npos) {
    return ReplyError(res, RestError{422, kInvalidConsumerConfig, "\"name\" must not contain '/'"});
  }
  EmbeddedFormat format = EmbeddedFormat::kBinary;
  if (body->contains("format")) {
    std::optional<EmbeddedFormat> f;
    if ((*body)["format"].is_string()) f = FormatFromName((*body)["format"].get<std::string>());
    if (!f.has_value()) {
      return ReplyError(res, RestError{422, kInvalidConsumerConfig,
                                       "\"format\" must be \"binary\" or \"json\" (no schema "
                                       "registry formats here)"});
    }
    format = *f;
  }
  client::Properties properties = {{"group.id", group},
                                   {"client.id", name},
                                   {"enable.auto.commit", "false"},
                                   {"heartbeat.interval.ms", "1000"},
                                   {"session.timeout.ms", "10000"}};
  bool auto_commit = true;
  int64_t request_timeout_ms = kDefaultRecordsTimeoutMs;
  for (const auto& [key, value] : body->items()) {
    if (key == "name" || key == "format") continue;
    std::optional<std::string> text = PropertyText(value);
    if (!text.has_value()) {
      return ReplyError(res, RestError{422, kInvalidConsumerConfig, "\"" + key + "\" must be a string or number"});
    }
    if (key == "auto.offset.reset") {
      if (*text == "smallest") *text = "earliest";
      if (*text == "largest") *text = "latest";
      properties[key] = *text;
    } else if (key == "auto.commit.enable") {
      if (*text != "true" && *text != "false") {
        return ReplyError(res, RestError{422, kInvalidConsumerConfig, "\"auto.commit.enable\" must be true or false"});
      }
      auto_commit = *text == "true";
    } else if (key == "fetch.min.bytes") {
      properties[key] = *text;
    } else if (key == "consumer.request.timeout.ms") {
      int64_t ms = 0;
      if (!absl::SimpleAtoi(*text, &ms) || ms < 0) {
        return ReplyError(res, RestError{422, kInvalidConsumerConfig, "\"consumer.request.timeout.ms\" must be >= 0"});
      }
      request_timeout_ms = std::min(ms, kMaxRecordsTimeoutMs);
    } else {
      return ReplyError(res, RestError{422, kInvalidConsumerConfig, "unknown consumer property \"" + key + "\""});
    }
  }
  auto created = ctx.consumers->Create(group, name, format, properties);
  if (!created.ok()) {
    if (absl::IsAlreadyExists(created.status())) {
      return ReplyError(res, RestError{409, kConsumerAlreadyExists, std::string(created.status().message())});
    }
    if (absl::IsResourceExhausted(created.status())) {
      return ReplyError(res, RestError{503, kKafkaRetriableError, std::string(created.status().message()), true});
    }
    return ReplyError(res, RestError{422, kInvalidConsumerConfig, std::string(created.status().message())});
  }
  {
    std::lock_guard<std::mutex> lock((*created)->mu);
    (*created)->auto_commit = auto_commit;
    (*created)->request_timeout_ms = request_timeout_ms;
  }
  std::string host = req.get_header_value("Host");
  if (host.empty()) host = ctx.options.listen;
  ReplyJson(res, 200, {{"instance_id", name},
                       {"base_uri", absl::StrCat("http://", host, "/consumers/", group, "/instances/", name)}});
}

void Subscribe(RestContext& ctx, const httplib::Request& req, httplib::Response& res) {
  std::optional<json> body = ParseObjectBody(req, res);
  if (!body.has_value()) return;
  const bool has_topics = body->contains("topics");
  const bool has_pattern = body->contains("topic_pattern");
  if (has_topics && has_pattern) {
    return ReplyError(res, IllegalState("Subscription to topics, partitions and pattern are mutually exclusive."));
  }
  std::vector<std::string> topics;
  if (has_topics) {
    const json& t = (*body)["topics"];
    bool ok = t.is_array() && !t.empty();
    for (const json& name : t) ok = ok && name.is_string() && !name.get<std::string>().empty();
    if (!ok) return ReplyError(res, InvalidPayload("\"topics\" must be a non-empty array of topic names"));
    for (const json& name : t) topics.push_back(name.get<std::string>());
  } else if (has_pattern) {
    if (!(*body)["topic_pattern"].is_string()) return ReplyError(res, InvalidPayload("\"topic_pattern\" must be a string"));
  } else {
    return ReplyError(res, InvalidPayload("the body must have \"topics\" or \"topic_pattern\""));
  }
  WithInstance(ctx, req, res, [&](ConsumerInstance& instance) {
    ConsumerInstance* raw = &instance;
    client::GroupClient* groups = ctx.groups.get();
    client::RebalanceListener listener;
    listener.on_partitions_revoked = [raw, groups](const std::vector<TopicPartition>& revoked) {
      // On the polling thread, under the instance's lock.
      if (raw->auto_commit) CommitReturned(*raw, *groups).IgnoreError();
      DropBuffered(*raw, revoked);
      for (const auto& tp : revoked) raw->consumed.erase(tp);
    };
    listener.on_partitions_lost = [raw](const std::vector<TopicPartition>& lost) {
      DropBuffered(*raw, lost);
      for (const auto& tp : lost) raw->consumed.erase(tp);
    };
    absl::Status s = has_pattern ? instance.consumer->Subscribe(
                                       client::TopicPattern::Of((*body)["topic_pattern"].get<std::string>()), listener)
                                 : instance.consumer->Subscribe(topics, listener);
    if (!s.ok()) {
      return ReplyError(res, absl::IsInvalidArgument(s) ? InvalidPayload(std::string(s.message()))
                                                        : IllegalState(std::string(s.message())));
    }
    instance.subscribed = true;
    ReplyNoContent(res);
  });
}

void Records(RestContext& ctx, const httplib::Request& req, httplib::Response& res) {
  int64_t max_bytes = INT64_MAX;
  int64_t timeout_ms = -1;
  if (req.has_param("max_bytes") && (!absl::SimpleAtoi(req.get_param_value("max_bytes"), &max_bytes) || max_bytes < 0)) {
    return ReplyError(res, InvalidPayload("max_bytes must be a non-negative integer"));
  }
  if (req.has_param("timeout") && (!absl::SimpleAtoi(req.get_param_value("timeout"), &timeout_ms) || timeout_ms < 0)) {
    return ReplyError(res, InvalidPayload("timeout must be a non-negative integer (ms)"));
  }
  const std::string accept = req.get_header_value("Accept");
  std::optional<EmbeddedFormat> wanted;
  if (accept.find(kV2BinaryType) != std::string::npos) wanted = EmbeddedFormat::kBinary;
  if (accept.find(kV2EmbeddedJsonType) != std::string::npos) wanted = EmbeddedFormat::kJson;
  WithInstance(ctx, req, res, [&](ConsumerInstance& instance) {
    if (wanted.has_value() && *wanted != instance.format) {
      return ReplyError(res, RestError{406, kConsumerFormatMismatch,
                                       absl::StrCat("The requested embedded data format does not match the deserializer "
                                                    "for this consumer instance (", FormatName(instance.format), ").")});
    }
    if (timeout_ms < 0) timeout_ms = instance.request_timeout_ms;
    timeout_ms = std::min(timeout_ms, kMaxRecordsTimeoutMs);
    if (instance.buffered.empty()) {
      auto polled = instance.consumer->Poll(std::chrono::milliseconds(timeout_ms));
      if (!polled.ok()) return ReplyError(res, FromStatus(polled.status()));
      for (auto& r : *polled) instance.buffered.push_back(std::move(r));
    }
    json records = json::array();
    int64_t bytes = 0;
    while (!instance.buffered.empty()) {
      const client::ConsumerRecord& r = instance.buffered.front();
      const int64_t size = static_cast<int64_t>(r.key.size() + r.value.size());
      // As Kafka's fetch.max.bytes: the first record goes even if larger, so a consumer
      // never stalls behind one big record.
      if (!records.empty() && bytes + size > max_bytes) break;
      auto key = EncodeField(instance.format, r.key, r.null_key);
      auto value = EncodeField(instance.format, r.value, r.null_value);
      if (!key.ok() || !value.ok()) {
        const absl::Status& bad = key.ok() ? value.status() : key.status();
        return ReplyError(res, RestError{500, kKafkaError, absl::StrCat("Error deserializing record at ", r.topic, "-",
                                                                        r.partition, "@", r.offset, ": ", bad.message())});
      }
      bytes += size;
      records.push_back({{"topic", r.topic}, {"key", *key}, {"value", *value},
                         {"partition", r.partition}, {"offset", r.offset}});
      instance.consumed[{r.topic, r.partition}] = r.offset + 1;
      instance.buffered.pop_front();
    }
    const auto now = std::chrono::steady_clock::now();
    if (instance.auto_commit && now - instance.last_commit >= std::chrono::milliseconds(kAutoCommitIntervalMs)) {
      CommitReturned(instance, *ctx.groups).IgnoreError();  // failures: the next GET tries again
      instance.last_commit = now;
    }
    ReplyJson(res, 200, records,
              instance.format == EmbeddedFormat::kBinary ? kV2BinaryType : kV2EmbeddedJsonType);
  });
}

}  // namespace

void AddConsumerV2Routes(Router& router, RestContext& ctx) {
  const std::string instance = R"(/consumers/([^/]+)/instances/([^/]+))";
  router.Post(R"(/consumers/([^/]+))", "POST /consumers/{group}",
              [&ctx](const httplib::Request& req, httplib::Response& res) { Create(ctx, req, res); });

  router.Delete(instance, "DELETE /consumers/{group}/instances/{name}",
                [&ctx](const httplib::Request& req, httplib::Response& res) {
                  if (!ctx.consumers->Remove(PathParam(req, 1), PathParam(req, 2))) {
                    return ReplyError(res, InstanceNotFound());
                  }
                  ReplyNoContent(res);
                });

  router.Post(instance + "/subscription", "POST /consumers/{group}/instances/{name}/subscription",
              [&ctx](const httplib::Request& req, httplib::Response& res) { Subscribe(ctx, req, res); });
  router.Get(instance + "/subscription", "GET /consumers/{group}/instances/{name}/subscription",
             [&ctx](const httplib::Request& req, httplib::Response& res) {
               WithInstance(ctx, req, res, [&](ConsumerInstance& i) {
                 json topics = json::array();
                 for (const auto& t : i.consumer->Subscription()) topics.push_back(t);
                 ReplyJson(res, 200, {{"topics", topics}});
               });
             });
  router.Delete(instance + "/subscription", "DELETE /consumers/{group}/instances/{name}/subscription",
                [&ctx](const httplib::Request& req, httplib::Response& res) {
                  WithInstance(ctx, req, res, [&](ConsumerInstance& i) {
                    absl::Status s = i.consumer->Unsubscribe();
                    if (!s.ok()) return ReplyError(res, FromStatus(s));
                    i.subscribed = false;
                    i.buffered.clear();
                    i.consumed.clear();
                    ReplyNoContent(res);
                  });
                });

  router.Post(instance + "/assignments", "POST /consumers/{group}/instances/{name}/assignments",
              [&ctx](const httplib::Request& req, httplib::Response& res) {
                std::optional<json> body = ParseObjectBody(req, res);
                if (!body.has_value()) return;
                auto partitions = ParsePartitions(*body, res);
                if (!partitions.has_value()) return;
                WithInstance(ctx, req, res, [&](ConsumerInstance& i) {
                  absl::Status s = i.consumer->AssignChecked(*partitions);
                  if (!s.ok()) return ReplyError(res, IllegalState(std::string(s.message())));
                  std::set<TopicPartition> kept(partitions->begin(), partitions->end());
                  std::vector<TopicPartition> gone;
                  for (const auto& [tp, offset] : i.consumed) {
                    if (kept.count(tp) == 0) gone.push_back(tp);
                  }
                  DropBuffered(i, gone);
                  for (const auto& tp : gone) i.consumed.erase(tp);
                  ReplyNoContent(res);
                });
              });
  router.Get(instance + "/assignments", "GET /consumers/{group}/instances/{name}/assignments",
             [&ctx](const httplib::Request& req, httplib::Response& res) {
               WithInstance(ctx, req, res, [&](ConsumerInstance& i) {
                 ReplyJson(res, 200, {{"partitions", PartitionsJson(i.consumer->Assignment())}});
               });
             });

  router.Post(instance + "/positions", "POST /consumers/{group}/instances/{name}/positions",
              [&ctx](const httplib::Request& req, httplib::Response& res) {
                std::optional<json> body = ParseObjectBody(req, res);
                if (!body.has_value()) return;
                auto offsets = ParseOffsets(*body, res);
                if (!offsets.has_value()) return;
                WithInstance(ctx, req, res, [&](ConsumerInstance& i) {
                  for (const auto& [tp, offset] : *offsets) {
                    absl::Status s = i.consumer->Seek(tp, offset);
                    if (!s.ok()) return ReplyError(res, IllegalState(std::string(s.message())));
                    DropBuffered(i, {tp});
                  }
                  ReplyNoContent(res);
                });
              });
  for (const std::string end : {"beginning", "end"}) {
    router.Post(instance + "/positions/" + end, "POST /consumers/{group}/instances/{name}/positions/" + end,
                [&ctx, end](const httplib::Request& req, httplib::Response& res) {
                  std::optional<json> body = ParseObjectBody(req, res);
                  if (!body.has_value()) return;
                  auto partitions = ParsePartitions(*body, res);
                  if (!partitions.has_value()) return;
                  WithInstance(ctx, req, res, [&](ConsumerInstance& i) {
                    absl::Status s = end == "end" ? i.consumer->SeekToEnd(*partitions)
                                                  : i.consumer->SeekToBeginning(*partitions);
                    if (!s.ok()) return ReplyError(res, IllegalState(std::string(s.message())));
                    DropBuffered(i, *partitions);
                    ReplyNoContent(res);
                  });
                });
  }

  router.Get(instance + "/records", "GET /consumers/{group}/instances/{name}/records",
             [&ctx](const httplib::Request& req, httplib::Response& res) { Records(ctx, req, res); });

  router.Post(instance + "/offsets", "POST /consumers/{group}/instances/{name}/offsets",
              [&ctx](const httplib::Request& req, httplib::Response& res) {
                std::optional<json> body = ParseObjectBody(req, res, /*empty_ok=*/true);
                if (!body.has_value()) return;
                std::optional<std::vector<std::pair<TopicPartition, int64_t>>> offsets;
                if (!body->empty()) {
                  offsets = ParseOffsets(*body, res);
                  if (!offsets.has_value()) return;
                }
                WithInstance(ctx, req, res, [&](ConsumerInstance& i) {
                  absl::Status s;
                  if (offsets.has_value()) {
                    // Confluent's convention: "offset" is the last record consumed, so the
                    // committed position (the next record to read) is one after it.
                    client::OffsetMap map;
                    for (const auto& [tp, offset] : *offsets) map[tp] = offset + 1;
                    s = CommitOffsets(i, *ctx.groups, map);
                  } else {
                    s = CommitReturned(i, *ctx.groups);
                  }
                  if (!s.ok()) return ReplyError(res, FromStatus(s));
                  res.status = 200;
                });
              });
  router.Get(instance + "/offsets", "GET /consumers/{group}/instances/{name}/offsets",
             [&ctx](const httplib::Request& req, httplib::Response& res) {
               // httplib does not read the body of a GET, so Confluent's {"partitions": [...]}
               // body cannot be honoured; the partitions come from ?partitions=t:0,t:1.
               if (req.has_header("Content-Length") && req.get_header_value("Content-Length") != "0") {
                 res.set_header("Connection", "close");  // the unread body must not become a request
                 return ReplyError(res, RestError{400, 400,
                                                  "GET .../offsets takes its partitions as the query "
                                                  "?partitions=topic:partition,... (a GET body is not read)"});
               }
               std::optional<std::vector<TopicPartition>> partitions;
               if (req.has_param("partitions")) {
                 partitions.emplace();
                 for (absl::string_view item : absl::StrSplit(req.get_param_value("partitions"), ',', absl::SkipEmpty())) {
                   const size_t colon = item.rfind(':');
                   std::optional<int32_t> p;
                   if (colon != absl::string_view::npos && colon > 0) p = ParsePartition(std::string(item.substr(colon + 1)));
                   if (!p.has_value()) {
                     return ReplyError(res, InvalidPayload("partitions must be topic:partition,... not '" + std::string(item) + "'"));
                   }
                   partitions->push_back({std::string(item.substr(0, colon)), *p});
                 }
               }
               WithInstance(ctx, req, res, [&](ConsumerInstance& i) {
                 std::vector<TopicPartition> asked = partitions.has_value() ? *partitions : i.consumer->Assignment();
                 auto committed = FetchCommitted(*ctx.groups, i.group, asked);
                 if (!committed.ok()) return ReplyError(res, FromStatus(committed.status()));
                 json out = json::array();
                 for (const auto& tp : asked) {
                   auto it = committed->find(tp);
                   out.push_back({{"topic", tp.topic}, {"partition", tp.partition},
                                  {"offset", it == committed->end() ? -1 : it->second}, {"metadata", ""}});
                 }
                 ReplyJson(res, 200, {{"offsets", out}});
               });
             });
}

}  // namespace keel::rest
