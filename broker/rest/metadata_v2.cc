// v2 metadata: GET /topics, /topics/{t}, /topics/{t}/partitions[/{p}], /brokers.
#include <string>

#include "absl/strings/str_cat.h"
#include "broker/rest/handlers.h"

namespace keel::rest {
namespace {

using nlohmann::json;

json PartitionJson(const controller::PartitionDescription& p) {
  json replicas = json::array();
  for (int32_t r : p.replicas()) {
    bool in_sync = false;
    for (int32_t i : p.isr()) in_sync = in_sync || i == r;
    replicas.push_back({{"broker", r}, {"leader", r == p.leader()}, {"in_sync", in_sync}});
  }
  return {{"partition", p.partition()}, {"leader", p.leader()}, {"replicas", replicas}};
}

// Replies 404/40401 (or the failure) and returns false when the topic is not there.
bool LookUp(RestContext& ctx, const std::string& topic, httplib::Response& res,
            controller::TopicDescription* out) {
  auto described = DescribeTopic(ctx, topic);
  if (!described.ok()) {
    ReplyError(res, absl::IsNotFound(described.status())
                        ? NotFoundError(kTopicNotFound, "Topic not found.")
                        : FromStatus(described.status()));
    return false;
  }
  *out = std::move(*described);
  return true;
}

}  // namespace

absl::StatusOr<controller::TopicDescription> DescribeTopic(RestContext& ctx,
                                                           const std::string& topic) {
  auto response = ctx.admin->DescribeTopics({topic}, ctx.admin_timeout());
  if (!response.ok()) return response.status();
  for (const auto& t : response->topics()) {
    if (t.name() == topic && t.error() == keel::NONE) return t;
  }
  return absl::NotFoundError(absl::StrCat("topic '", topic, "' does not exist"));
}

void AddMetadataV2Routes(Router& router, RestContext& ctx) {
  router.Get(R"(/topics)", "GET /topics", [&ctx](const httplib::Request&, httplib::Response& res) {
    auto listed = ctx.admin->ListTopics(false, ctx.admin_timeout());
    if (!listed.ok()) return ReplyError(res, FromStatus(listed.status()));
    json names = json::array();
    for (const auto& n : listed->names()) names.push_back(n);
    ReplyJson(res, 200, names);
  });

  router.Get(R"(/topics/([^/]+))", "GET /topics/{topic}",
             [&ctx](const httplib::Request& req, httplib::Response& res) {
               controller::TopicDescription t;
               if (!LookUp(ctx, PathParam(req, 1), res, &t)) return;
               json configs = json::object();
               for (const auto& [k, v] : t.configs()) configs[k] = v;
               json partitions = json::array();
               for (const auto& p : t.partitions()) partitions.push_back(PartitionJson(p));
               ReplyJson(res, 200,
                         {{"name", t.name()}, {"configs", configs}, {"partitions", partitions}});
             });

  router.Get(R"(/topics/([^/]+)/partitions)", "GET /topics/{topic}/partitions",
             [&ctx](const httplib::Request& req, httplib::Response& res) {
               controller::TopicDescription t;
               if (!LookUp(ctx, PathParam(req, 1), res, &t)) return;
               json partitions = json::array();
               for (const auto& p : t.partitions()) partitions.push_back(PartitionJson(p));
               ReplyJson(res, 200, partitions);
             });

  router.Get(R"(/topics/([^/]+)/partitions/([^/]+))", "GET /topics/{topic}/partitions/{p}",
             [&ctx](const httplib::Request& req, httplib::Response& res) {
               controller::TopicDescription t;
               if (!LookUp(ctx, PathParam(req, 1), res, &t)) return;
               std::optional<int32_t> p = ParsePartition(PathParam(req, 2));
               for (const auto& d : t.partitions()) {
                 if (p.has_value() && d.partition() == *p) return ReplyJson(res, 200, PartitionJson(d));
               }
               ReplyError(res, NotFoundError(kPartitionNotFound, "Partition not found."));
             });

  router.Get(R"(/brokers)", "GET /brokers", [&ctx](const httplib::Request&, httplib::Response& res) {
    auto cluster = ctx.admin->DescribeCluster(ctx.admin_timeout());
    if (!cluster.ok()) return ReplyError(res, FromStatus(cluster.status()));
    json ids = json::array();
    for (const auto& b : cluster->brokers()) ids.push_back(b.broker_id());
    ReplyJson(res, 200, {{"brokers", ids}});
  });
}

}  // namespace keel::rest
