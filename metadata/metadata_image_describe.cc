// MetadataImage's response builders for ListTopics, DescribeTopics and DescribeCluster, so
// the gRPC services stay thin.
#include "metadata/metadata_image.h"

namespace keel::metadata {
namespace {

void Describe(const TopicInfo& t, controller::TopicDescription* d) {
  d->set_name(t.name);
  d->set_topic_id(t.id);
  for (const auto& [p, info] : t.partitions) *d->add_partitions() = DescribePartition(p, info);
  for (const auto& [k, v] : t.configs) (*d->mutable_configs())[k] = v;
}

}  // namespace

controller::PartitionDescription DescribePartition(int32_t partition, const PartitionInfo& info) {
  controller::PartitionDescription d;
  d.set_partition(partition);
  d.set_leader(info.leader);
  for (int32_t id : info.replicas) d.add_replicas(id);
  for (int32_t id : info.isr) d.add_isr(id);
  d.set_leader_epoch(info.leader_epoch);
  d.set_partition_epoch(info.partition_epoch);
  return d;
}

void MetadataImage::FillListTopics(controller::ListTopicsResponse* response) const {
  for (const auto& [name, id] : names_) response->add_names(name);
  response->set_metadata_offset(applied_offset_);
}

void MetadataImage::FillDescribeTopics(const controller::DescribeTopicsRequest& request,
                                       controller::DescribeTopicsResponse* response) const {
  if (request.names().empty()) {
    for (const auto& [name, id] : names_) Describe(topics_.at(id), response->add_topics());
  } else {
    for (const std::string& name : request.names()) {
      const TopicInfo* t = TopicByName(name);
      controller::TopicDescription* d = response->add_topics();
      if (t != nullptr) {
        Describe(*t, d);
      } else {
        d->set_name(name);
        d->set_error(UNKNOWN_TOPIC_OR_PARTITION);
      }
    }
  }
  response->set_metadata_offset(applied_offset_);
}

void MetadataImage::FillDescribeCluster(controller::DescribeClusterResponse* response) const {
  for (const auto& [id, b] : brokers_) {
    controller::BrokerDescription* d = response->add_brokers();
    d->set_broker_id(id);
    for (const auto& e : b.endpoints) *d->add_endpoints() = e;
    d->set_rack(b.rack);
    d->set_broker_epoch(b.epoch);
    d->set_fenced(b.fenced);
    d->set_in_controlled_shutdown(b.in_controlled_shutdown);
  }
  if (leader_change_) response->set_controller_id(leader_change_->leader_id());
  response->set_metadata_offset(applied_offset_);
}

}  // namespace keel::metadata
