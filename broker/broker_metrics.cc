#include "broker/broker_metrics.h"

#include <set>

namespace keel::broker {

BrokerMetrics::BrokerMetrics(std::shared_ptr<observability::MetricsRegistry> registry,
                             PartitionManager* partitions)
    : registry_(std::move(registry)),
      partitions_(partitions),
      bytes_in_(registry_->Counter("keel_broker_topic_received_bytes_total",
                                   "Record bytes produced to the topic on this broker.")),
      bytes_out_(registry_->Counter("keel_broker_topic_sent_bytes_total",
                                    "Record bytes fetched from the topic by consumers.")),
      records_in_(registry_->Counter("keel_broker_topic_received_records_total",
                                     "Records produced to the topic on this broker.")),
      records_out_(registry_->Counter("keel_broker_topic_sent_records_total",
                                      "Records fetched from the topic by consumers.")),
      log_end_(registry_->Gauge("keel_broker_partition_log_end_offset",
                                "Log end offset of a partition replica on this broker.")),
      high_watermark_(registry_->Gauge("keel_broker_partition_high_watermark",
                                       "High watermark of a partition replica on this broker.")),
      under_replicated_(registry_
                            ->Gauge("keel_broker_under_replicated_partitions",
                                    "Partitions this broker leads whose ISR is smaller than "
                                    "their replica set.")
                            .Add({})),
      leader_partitions_(registry_
                             ->Gauge("keel_broker_leader_partitions",
                                     "Partitions this broker leads.")
                             .Add({})),
      isr_shrinks_(registry_
                       ->Counter("keel_broker_isr_shrinks_total",
                                 "ISR shrinks this broker proposed and the controller accepted.")
                       .Add({})),
      isr_expands_(registry_
                       ->Counter("keel_broker_isr_expands_total",
                                 "ISR expansions this broker proposed and the controller "
                                 "accepted.")
                       .Add({})) {
  hook_ = registry_->AddScrapeHook([this] { Refresh(); });
}

BrokerMetrics::~BrokerMetrics() { hook_.reset(); }

BrokerMetrics::TopicSeries& BrokerMetrics::Topic(const std::string& topic) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = topics_.find(topic);
  if (it != topics_.end()) return it->second;
  const std::map<std::string, std::string> labels = {{"topic", topic}};
  TopicSeries s{&bytes_in_.Add(labels), &bytes_out_.Add(labels), &records_in_.Add(labels),
                &records_out_.Add(labels)};
  return topics_.emplace(topic, s).first->second;
}

void BrokerMetrics::RecordProduced(const std::string& topic, int64_t records, int64_t bytes) {
  TopicSeries& s = Topic(topic);
  s.records_in->Increment(static_cast<double>(records));
  s.bytes_in->Increment(static_cast<double>(bytes));
}

void BrokerMetrics::RecordFetched(const std::string& topic, int64_t records, int64_t bytes) {
  TopicSeries& s = Topic(topic);
  s.records_out->Increment(static_cast<double>(records));
  s.bytes_out->Increment(static_cast<double>(bytes));
}

void BrokerMetrics::RecordIsrChange(bool shrink, bool expand) {
  if (shrink) isr_shrinks_.Increment();
  if (expand) isr_expands_.Increment();
}

void BrokerMetrics::Refresh() {
  std::set<std::pair<std::string, int32_t>> present;
  int64_t under = 0;
  int64_t leading = 0;
  for (const auto& p : partitions_->All()) {
    const auto key = std::make_pair(p->topic(), p->partition());
    present.insert(key);
    auto it = partition_series_.find(key);
    if (it == partition_series_.end()) {
      const std::map<std::string, std::string> labels = {
          {"topic", p->topic()}, {"partition", std::to_string(p->partition())}};
      it = partition_series_
               .emplace(key, std::make_pair(&log_end_.Add(labels), &high_watermark_.Add(labels)))
               .first;
    }
    it->second.first->Set(static_cast<double>(p->log()->log_end_offset()));
    it->second.second->Set(static_cast<double>(p->high_watermark()));
    if (p->IsLeader()) {
      ++leading;
      const PartitionAssignment a = p->assignment();
      if (a.isr.size() < a.replicas.size()) ++under;
    }
  }
  for (auto it = partition_series_.begin(); it != partition_series_.end();) {
    if (present.count(it->first)) {
      ++it;
      continue;
    }
    log_end_.Remove(it->second.first);
    high_watermark_.Remove(it->second.second);
    it = partition_series_.erase(it);
  }
  under_replicated_.Set(static_cast<double>(under));
  leader_partitions_.Set(static_cast<double>(leading));
}

}  // namespace keel::broker
