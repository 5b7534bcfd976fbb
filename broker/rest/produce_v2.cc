// v2 produce: POST /topics/{topic} and /topics/{topic}/partitions/{partition} with
// application/vnd.kafka.{binary,json}.v2+json bodies {"records": [{"key", "value",
// "partition"}]}, answered with one offsets entry per record, as Confluent's proxy does.
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "broker/rest/handlers.h"
#include "broker/rest/produce.h"

namespace keel::rest {
namespace {

using nlohmann::json;

// Confluent's per-record error codes in a produce answer.
constexpr int kRecordNonRetriable = 1;
constexpr int kRecordRetriable = 2;

void Produce(RestContext& ctx, const httplib::Request& req, httplib::Response& res,
             const std::string& topic, std::optional<int32_t> path_partition) {
  std::optional<EmbeddedFormat> format = FormatFromContentType(req.get_header_value("Content-Type"));
  if (!format.has_value()) {
    return ReplyError(res, RestError{415, 415,
                                     "HTTP 415 Unsupported Media Type: produce with Content-Type " +
                                         std::string(kV2BinaryType) + " or " + kV2EmbeddedJsonType});
  }
  std::optional<json> body = ParseObjectBody(req, res);
  if (!body.has_value()) return;
  auto records = body->find("records");
  if (records == body->end() || !records->is_array()) {
    return ReplyError(res, InvalidPayload("the body must have a \"records\" array"));
  }
  std::vector<ProduceItem> items;
  items.reserve(records->size());
  for (size_t i = 0; i < records->size(); ++i) {
    const json& r = (*records)[i];
    if (!r.is_object()) return ReplyError(res, InvalidPayload(absl::StrCat("record ", i, " is not an object")));
    ProduceItem item;
    if (auto k = r.find("key"); k != r.end()) {
      auto key = DecodeField(*format, *k);
      if (!key.ok()) return ReplyError(res, InvalidPayload(absl::StrCat("record ", i, ": ", key.status().message())));
      item.key = std::move(*key);
    }
    auto v = r.find("value");
    auto value = DecodeField(*format, v == r.end() ? json(nullptr) : *v);
    if (!value.ok()) return ReplyError(res, InvalidPayload(absl::StrCat("record ", i, ": ", value.status().message())));
    item.value = std::move(*value);
    if (path_partition.has_value()) {
      item.partition = *path_partition;
    } else if (auto p = r.find("partition"); p != r.end() && !p->is_null()) {
      std::optional<int64_t> partition = JsonInt(*p);
      if (!partition.has_value() || *partition < 0 || *partition > INT32_MAX) {
        return ReplyError(res, InvalidPayload(absl::StrCat("record ", i, ": \"partition\" must be a non-negative integer")));
      }
      item.partition = static_cast<int32_t>(*partition);
    }
    items.push_back(std::move(item));
  }

  auto metadata = ctx.metadata->Topic(topic, ctx.admin_timeout());
  if (!metadata.ok()) {
    return ReplyError(res, absl::IsNotFound(metadata.status())
                               ? NotFoundError(kTopicNotFound, "Topic not found.")
                               : FromStatus(metadata.status()));
  }
  const auto partitions = static_cast<int32_t>((*metadata)->partitions.size());
  for (const ProduceItem& item : items) {
    if (item.partition >= partitions) {
      return ReplyError(res, NotFoundError(kPartitionNotFound, "Partition not found."));
    }
  }

  std::vector<absl::StatusOr<client::RecordMetadata>> outcomes =
      ProduceAndWait(*ctx.producer, topic, items);
  json offsets = json::array();
  bool any_ok = false;
  absl::Status retriable_failure;
  for (const auto& o : outcomes) {
    if (o.ok()) {
      any_ok = true;
      offsets.push_back({{"partition", o->partition}, {"offset", o->offset},
                         {"error_code", nullptr}, {"error", nullptr}});
      continue;
    }
    const bool retriable = IsRetriableStatus(o.status());
    if (retriable) retriable_failure = o.status();
    offsets.push_back({{"partition", nullptr}, {"offset", nullptr},
                       {"error_code", retriable ? kRecordRetriable : kRecordNonRetriable},
                       {"error", std::string(o.status().message())}});
  }
  json answer = {{"key_schema_id", nullptr}, {"value_schema_id", nullptr}, {"offsets", offsets}};
  if (!any_ok && !retriable_failure.ok()) {
    // Nothing was written and asking again may work: say so with a 5xx and Retry-After.
    RestError e = FromStatus(retriable_failure);
    answer["error_code"] = e.error_code;
    answer["message"] = e.message;
    res.set_header("Retry-After", "1");
    return ReplyJson(res, e.http_status, answer);
  }
  ReplyJson(res, 200, answer);
}

}  // namespace

void AddProduceV2Routes(Router& router, RestContext& ctx) {
  router.Post(R"(/topics/([^/]+))", "POST /topics/{topic}",
              [&ctx](const httplib::Request& req, httplib::Response& res) {
                Produce(ctx, req, res, PathParam(req, 1), std::nullopt);
              });
  router.Post(R"(/topics/([^/]+)/partitions/([^/]+))", "POST /topics/{topic}/partitions/{p}",
              [&ctx](const httplib::Request& req, httplib::Response& res) {
                std::optional<int32_t> p = ParsePartition(PathParam(req, 2));
                if (!p.has_value()) {
                  return ReplyError(res, NotFoundError(kPartitionNotFound, "Partition not found."));
                }
                Produce(ctx, req, res, PathParam(req, 1), p);
              });
}

}  // namespace keel::rest
