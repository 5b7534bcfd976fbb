// CreateTopics v0-7, DeleteTopics v0-6, CreatePartitions v0-3: forwarded to the active
// controller (this broker is the controller id in Metadata). After a change commits, the
// answer waits (bounded by the request's timeout) until this broker's metadata shows it, so
// a client's next Metadata here sees its own change, as with Kafka.
#include <set>

#include "absl/strings/str_cat.h"
#include "broker/kafka/handlers/common.h"
#include "broker/kafka/handlers/handlers.h"
#include "broker/kafka/handlers/typed_handler.h"
#include "kafka/topic_admin.h"

namespace keel::broker::kafka {
namespace {

using keel::kafka::CreatePartitionsRequest;
using keel::kafka::CreatePartitionsResponse;
using keel::kafka::CreateTopicsRequest;
using keel::kafka::CreateTopicsResponse;
using keel::kafka::DeleteTopicsRequest;
using keel::kafka::DeleteTopicsResponse;
using keel::kafka::ErrorCode;

int64_t WaitBudgetMs(int32_t request_timeout_ms, const BrokerContext& context) {
  return request_timeout_ms > 0 ? std::min<int64_t>(request_timeout_ms,
                                                    context.config.admin_timeout_ms)
                                : 0;
}

class CreateTopicsHandler final : public TypedHandler<CreateTopicsRequest, CreateTopicsResponse> {
 public:
  explicit CreateTopicsHandler(BrokerContext* context) : TypedHandler(0, 7), context_(context) {}

 protected:
  Served Serve(const RequestContext&, CreateTopicsRequest& request,
               CreateTopicsResponse* response) override {
    Served served;
    controller::CreateTopicsRequest forward;
    forward.set_validate_only(request.validate_only);
    forward.set_timeout_ms(request.timeout_ms);
    // by_name points into response->topics: no reallocation after this.
    response->topics.reserve(request.topics.size());
    std::map<std::string, CreateTopicsResponse::Topic*> by_name;
    std::set<std::string> seen;
    for (const auto& t : request.topics) {
      CreateTopicsResponse::Topic& out = response->topics.emplace_back();
      out.name = t.name;
      if (!seen.insert(t.name).second) {
        out.error_code = KafkaCode(ErrorCode::kInvalidRequest);
        out.error_message = "The topic is named more than once in the request.";
        continue;
      }
      if (!t.assignments.empty()) {
        out.error_code = KafkaCode(ErrorCode::kInvalidReplicaAssignment);
        out.error_message = "Keel places replicas itself; manual assignments are not supported.";
        continue;
      }
      auto* ft = forward.add_topics();
      ft->set_name(t.name);
      ft->set_num_partitions(t.num_partitions < 0 ? context_->config.default_partitions
                                                  : t.num_partitions);
      ft->set_replication_factor(t.replication_factor < 0
                                     ? context_->config.default_replication_factor
                                     : t.replication_factor);
      for (const auto& c : t.configs) {
        if (c.value.has_value()) (*ft->mutable_configs())[c.name] = *c.value;
      }
      out.num_partitions = ft->num_partitions();
      out.replication_factor = static_cast<int16_t>(ft->replication_factor());
      out.configs.emplace();
      for (const auto& [k, v] : ft->configs()) {
        CreateTopicsResponse::Config& oc = out.configs->emplace_back();
        oc.name = k;
        oc.value = v;
        oc.config_source = 1;  // DYNAMIC_TOPIC_CONFIG
      }
      by_name[t.name] = &out;
    }
    if (forward.topics_size() > 0) {
      controller::CreateTopicsResponse answer;
      grpc::Status s = context_->admin->CreateTopics(forward, &answer);
      std::vector<std::string> created;
      for (auto& [name, out] : by_name) {
        if (!s.ok()) {
          out->error_code = ForwardErrorCode(s);
          out->error_message = s.error_message();
        }
      }
      for (const auto& r : answer.results()) {
        auto it = by_name.find(r.name());
        if (it == by_name.end()) continue;
        it->second->error_code = KafkaCode(r.error());
        if (r.error() != keel::NONE) {
          it->second->error_message = r.error_message();
          it->second->num_partitions = -1;
          it->second->replication_factor = -1;
          it->second->configs.reset();
        } else {
          it->second->topic_id = ToUuid(r.topic_id());
          if (!request.validate_only) created.push_back(r.name());
        }
      }
      if (!created.empty()) {
        WaitForImage(
            *context_,
            [&](const metadata::MetadataImage& image) {
              for (const std::string& n : created) {
                if (image.TopicByName(n) == nullptr) return false;
              }
              return true;
            },
            WaitBudgetMs(request.timeout_ms, *context_));
      }
    }
    for (const auto& t : response->topics) {
      if (t.error_code != 0) NoteError(t.error_code, &served);
    }
    return served;
  }

 private:
  BrokerContext* const context_;
};

class DeleteTopicsHandler final : public TypedHandler<DeleteTopicsRequest, DeleteTopicsResponse> {
 public:
  explicit DeleteTopicsHandler(BrokerContext* context) : TypedHandler(0, 6), context_(context) {}

 protected:
  Served Serve(const RequestContext& rc, DeleteTopicsRequest& request,
               DeleteTopicsResponse* response) override {
    Served served;
    // v6 names topics by name or id; older versions by name.
    std::vector<DeleteTopicsRequest::Topic> topics = request.topics;
    if (rc.api_version < 6) {
      for (const std::string& n : request.topic_names) topics.push_back({n, {}});
    }
    controller::DeleteTopicsRequest forward;
    forward.set_timeout_ms(request.timeout_ms);
    // by_name points into response->responses: no reallocation after this.
    response->responses.reserve(topics.size());
    std::map<std::string, DeleteTopicsResponse::Result*> by_name;
    context_->read_image([&](const metadata::MetadataImage& image) {
      for (const auto& t : topics) {
        DeleteTopicsResponse::Result& out = response->responses.emplace_back();
        std::string name = t.name.value_or("");
        if (!t.name.has_value()) {
          const std::string raw(reinterpret_cast<const char*>(t.topic_id.bytes.data()),
                                t.topic_id.bytes.size());
          const metadata::TopicInfo* info = image.TopicById(raw);
          out.topic_id = t.topic_id;
          if (info == nullptr) {
            out.error_code = KafkaCode(ErrorCode::kUnknownTopicId);
            continue;
          }
          name = info->name;
        } else if (const metadata::TopicInfo* info = image.TopicByName(name)) {
          out.topic_id = ToUuid(info->id);
        }
        out.name = name;
        if (by_name.count(name) > 0) {
          out.error_code = KafkaCode(ErrorCode::kInvalidRequest);
          out.error_message = "The topic is named more than once in the request.";
          continue;
        }
        forward.add_names(name);
        by_name[name] = &out;
      }
    });
    if (forward.names_size() > 0) {
      controller::DeleteTopicsResponse answer;
      grpc::Status s = context_->admin->DeleteTopics(forward, &answer);
      if (!s.ok()) {
        for (auto& [name, out] : by_name) {
          out->error_code = ForwardErrorCode(s);
          out->error_message = s.error_message();
        }
      }
      std::vector<std::string> deleted;
      for (const auto& r : answer.results()) {
        auto it = by_name.find(r.name());
        if (it == by_name.end()) continue;
        it->second->error_code = KafkaCode(r.error());
        if (r.error() != keel::NONE) {
          it->second->error_message = r.error_message();
        } else {
          deleted.push_back(r.name());
        }
      }
      if (!deleted.empty()) {
        WaitForImage(
            *context_,
            [&](const metadata::MetadataImage& image) {
              for (const std::string& n : deleted) {
                if (image.TopicByName(n) != nullptr) return false;
              }
              return true;
            },
            WaitBudgetMs(request.timeout_ms, *context_));
      }
    }
    for (const auto& r : response->responses) {
      if (r.error_code != 0) NoteError(r.error_code, &served);
    }
    return served;
  }

 private:
  BrokerContext* const context_;
};

class CreatePartitionsHandler final
    : public TypedHandler<CreatePartitionsRequest, CreatePartitionsResponse> {
 public:
  explicit CreatePartitionsHandler(BrokerContext* context)
      : TypedHandler(0, 3), context_(context) {}

 protected:
  Served Serve(const RequestContext&, CreatePartitionsRequest& request,
               CreatePartitionsResponse* response) override {
    Served served;
    std::set<std::string> seen;
    for (const auto& t : request.topics) {
      CreatePartitionsResponse::Result& out = response->results.emplace_back();
      out.name = t.name;
      if (!seen.insert(t.name).second) {
        out.error_code = KafkaCode(ErrorCode::kInvalidRequest);
        out.error_message = "The topic is named more than once in the request.";
      } else if (t.assignments.has_value()) {
        out.error_code = KafkaCode(ErrorCode::kInvalidReplicaAssignment);
        out.error_message = "Keel places replicas itself; manual assignments are not supported.";
      } else if (request.validate_only) {
        Validate(t, &out);
      } else {
        Create(t, request.timeout_ms, &out);
      }
      if (out.error_code != 0) NoteError(out.error_code, &served);
    }
    return served;
  }

 private:
  // The controller has no validate-only mode for partitions; the checks it would make first.
  void Validate(const CreatePartitionsRequest::Topic& t, CreatePartitionsResponse::Result* out) {
    context_->read_image([&](const metadata::MetadataImage& image) {
      const metadata::TopicInfo* info = image.TopicByName(t.name);
      if (info == nullptr) {
        out->error_code = KafkaCode(ErrorCode::kUnknownTopicOrPartition);
        out->error_message = absl::StrCat("Topic '", t.name, "' does not exist.");
      } else if (t.count <= static_cast<int32_t>(info->partitions.size())) {
        out->error_code = KafkaCode(ErrorCode::kInvalidPartitions);
        out->error_message = absl::StrCat("Topic '", t.name, "' already has ",
                                          info->partitions.size(), " partitions.");
      }
    });
  }

  void Create(const CreatePartitionsRequest::Topic& t, int32_t timeout_ms,
              CreatePartitionsResponse::Result* out) {
    controller::CreatePartitionsRequest forward;
    forward.set_topic(t.name);
    forward.set_new_total_count(t.count);
    forward.set_timeout_ms(timeout_ms);
    controller::CreatePartitionsResponse answer;
    grpc::Status s = context_->admin->CreatePartitions(forward, &answer);
    if (!s.ok()) {
      out->error_code = ForwardErrorCode(s);
      out->error_message = s.error_message();
      return;
    }
    out->error_code = KafkaCode(answer.result().error());
    if (answer.result().error() != keel::NONE) {
      out->error_message = answer.result().error_message();
      return;
    }
    WaitForImage(
        *context_,
        [&](const metadata::MetadataImage& image) {
          const metadata::TopicInfo* info = image.TopicByName(t.name);
          return info != nullptr && static_cast<int32_t>(info->partitions.size()) >= t.count;
        },
        WaitBudgetMs(timeout_ms, *context_));
  }

  BrokerContext* const context_;
};

}  // namespace

std::unique_ptr<Handler> NewCreateTopicsHandler(BrokerContext* context) {
  return std::make_unique<CreateTopicsHandler>(context);
}
std::unique_ptr<Handler> NewDeleteTopicsHandler(BrokerContext* context) {
  return std::make_unique<DeleteTopicsHandler>(context);
}
std::unique_ptr<Handler> NewCreatePartitionsHandler(BrokerContext* context) {
  return std::make_unique<CreatePartitionsHandler>(context);
}

}  // namespace keel::broker::kafka
