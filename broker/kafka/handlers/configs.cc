// DescribeConfigs v0-4 and IncrementalAlterConfigs v0-1, for topic configs. Describe lists
// every topic config Keel knows (metadata/topic_validation.h) with the topic's
// override (source DYNAMIC_TOPIC_CONFIG) or the broker default (DEFAULT_CONFIG, value null
// when the broker has none of its own); broker resources are answered empty. Alter
// forwards SET and DELETE to the controller's AlterConfigs; APPEND and SUBTRACT (list
// configs) are refused, as are broker resources (broker configs are flags).
#include <set>

#include "absl/strings/str_cat.h"
#include "broker/kafka/handlers/common.h"
#include "broker/kafka/handlers/handlers.h"
#include "broker/kafka/handlers/typed_handler.h"
#include "metadata/topic_validation.h"
#include "kafka/configs.h"

namespace keel::broker::kafka {
namespace {

using keel::kafka::DescribeConfigsRequest;
using keel::kafka::DescribeConfigsResponse;
using keel::kafka::ErrorCode;
using keel::kafka::IncrementalAlterConfigsRequest;
using keel::kafka::IncrementalAlterConfigsResponse;

constexpr int8_t kSourceDynamicTopic = 1;
constexpr int8_t kSourceDefault = 5;
constexpr int8_t kOpSet = 0;
constexpr int8_t kOpDelete = 1;

class DescribeConfigsHandler final
    : public TypedHandler<DescribeConfigsRequest, DescribeConfigsResponse> {
 public:
  explicit DescribeConfigsHandler(BrokerContext* context)
      : TypedHandler(0, 4), context_(context) {}

 protected:
  Served Serve(const RequestContext& rc, DescribeConfigsRequest& request,
               DescribeConfigsResponse* response) override {
    Served served;
    context_->read_image([&](const metadata::MetadataImage& image) {
      for (const auto& res : request.resources) {
        DescribeConfigsResponse::Result& out = response->results.emplace_back();
        out.resource_type = res.resource_type;
        out.resource_name = res.resource_name;
        if (res.resource_type == keel::kafka::kResourceTypeBroker) continue;
        if (res.resource_type != keel::kafka::kResourceTypeTopic) {
          out.error_code = KafkaCode(ErrorCode::kInvalidRequest);
          out.error_message = "Only topic and broker resources are described.";
          NoteError(out.error_code, &served);
          continue;
        }
        const metadata::TopicInfo* t = image.TopicByName(res.resource_name);
        if (t == nullptr) {
          out.error_code = KafkaCode(ErrorCode::kUnknownTopicOrPartition);
          out.error_message = absl::StrCat("Topic '", res.resource_name, "' does not exist.");
          NoteError(out.error_code, &served);
          continue;
        }
        std::set<std::string> wanted;
        if (res.configuration_keys.has_value()) {
          wanted.insert(res.configuration_keys->begin(), res.configuration_keys->end());
        }
        std::set<std::string> names(metadata::KnownTopicConfigs().begin(),
                                    metadata::KnownTopicConfigs().end());
        for (const auto& [k, v] : t->configs) names.insert(k);
        for (const std::string& name : names) {
          if (!wanted.empty() && wanted.count(name) == 0) continue;
          DescribeConfigsResponse::Config& c = out.configs.emplace_back();
          c.name = name;
          auto it = t->configs.find(name);
          if (it != t->configs.end()) {
            c.value = it->second;
            c.config_source = kSourceDynamicTopic;
          } else {
            c.value = std::nullopt;
            c.config_source = kSourceDefault;
            c.is_default = true;
          }
          (void)rc;
        }
      }
    });
    return served;
  }

 private:
  BrokerContext* const context_;
};

class IncrementalAlterConfigsHandler final
    : public TypedHandler<IncrementalAlterConfigsRequest, IncrementalAlterConfigsResponse> {
 public:
  explicit IncrementalAlterConfigsHandler(BrokerContext* context)
      : TypedHandler(0, 1), context_(context) {}

 protected:
  Served Serve(const RequestContext&, IncrementalAlterConfigsRequest& request,
               IncrementalAlterConfigsResponse* response) override {
    Served served;
    for (const auto& res : request.resources) {
      IncrementalAlterConfigsResponse::Result& out = response->responses.emplace_back();
      out.resource_type = res.resource_type;
      out.resource_name = res.resource_name;
      Alter(res, request.validate_only, &out);
      if (out.error_code != 0) NoteError(out.error_code, &served);
    }
    return served;
  }

 private:
  void Alter(const IncrementalAlterConfigsRequest::Resource& res, bool validate_only,
             IncrementalAlterConfigsResponse::Result* out) {
    if (res.resource_type != keel::kafka::kResourceTypeTopic) {
      out->error_code = KafkaCode(ErrorCode::kInvalidRequest);
      out->error_message = "Only topic configs can be altered; broker configs are flags.";
      return;
    }
    controller::AlterConfigsRequest forward;
    forward.set_topic(res.resource_name);
    for (const auto& c : res.configs) {
      if (c.config_operation == kOpSet) {
        (*forward.mutable_set())[c.name] = c.value.value_or("");
      } else if (c.config_operation == kOpDelete) {
        forward.add_delete_(c.name);
      } else {
        out->error_code = KafkaCode(ErrorCode::kInvalidRequest);
        out->error_message = absl::StrCat("Config operation ", static_cast<int>(c.config_operation), " on '",
                                          c.name, "' is not supported (only SET and DELETE).");
        return;
      }
    }
    int replication_factor = 0;
    bool exists = false;
    context_->read_image([&](const metadata::MetadataImage& image) {
      if (const metadata::TopicInfo* t = image.TopicByName(res.resource_name)) {
        exists = true;
        replication_factor = t->replication_factor();
      }
    });
    if (!exists) {
      out->error_code = KafkaCode(ErrorCode::kUnknownTopicOrPartition);
      out->error_message = absl::StrCat("Topic '", res.resource_name, "' does not exist.");
      return;
    }
    if (validate_only) {
      std::map<std::string, std::string> set(forward.set().begin(), forward.set().end());
      if (auto e = metadata::ValidateTopicConfigs(set, replication_factor)) {
        out->error_code = KafkaCode(e->code);
        out->error_message = e->message;
      }
      return;
    }
    controller::AlterConfigsResponse answer;
    grpc::Status s = context_->admin->AlterConfigs(forward, &answer);
    if (!s.ok()) {
      out->error_code = ForwardErrorCode(s);
      out->error_message = s.error_message();
      return;
    }
    out->error_code = KafkaCode(answer.result().error());
    if (answer.result().error() != keel::NONE) out->error_message = answer.result().error_message();
  }

  BrokerContext* const context_;
};

}  // namespace

std::unique_ptr<Handler> NewDescribeConfigsHandler(BrokerContext* context) {
  return std::make_unique<DescribeConfigsHandler>(context);
}
std::unique_ptr<Handler> NewIncrementalAlterConfigsHandler(BrokerContext* context) {
  return std::make_unique<IncrementalAlterConfigsHandler>(context);
}

}  // namespace keel::broker::kafka
