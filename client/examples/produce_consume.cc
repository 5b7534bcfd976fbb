// A program that uses the client library end to end: creates a topic (if missing), produces
// JSON records keyed by user with a Producer, then reads them back with a Consumer.
//   bazel run //client/examples:produce_consume -- --controllers=127.0.0.1:19091 [--topic=t]
// (tools/quickstart.sh starts a cluster with controllers on 127.0.0.1:19091-19093.)
#include <cstdio>
#include <string>
#include <vector>

#include <gflags/gflags.h>

#include "client/admin_client.h"
#include "client/channels.h"
#include "client/consumer.h"
#include "client/metadata_cache.h"
#include "client/producer.h"
#include "client/serializers.h"

DEFINE_string(controllers, "127.0.0.1:19091,127.0.0.1:19092,127.0.0.1:19093",
              "Controllers, host:port separated by commas.");
DEFINE_string(topic, "client-example", "Topic to create (if missing), write and read.");
DEFINE_int32(records, 10, "Records to produce.");

int main(int argc, char** argv) {
  gflags::ParseCommandLineFlags(&argc, &argv, true);
  using namespace keel::client;  // NOLINT: a short example

  // One AdminClient and one MetadataCache for the whole program; producer and consumer share
  // them (and so the channels and the leaders they learn).
  AdminClientOptions admin_options;
  admin_options.controllers = SplitAddresses(FLAGS_controllers);
  auto admin = std::make_shared<AdminClient>(admin_options);
  absl::Status created = admin->CreateTopic(FLAGS_topic, 3, 1);
  if (!created.ok() && !absl::IsAlreadyExists(created)) {
    std::fprintf(stderr, "create topic: %s\n", created.ToString().c_str());
    return 1;
  }
  auto metadata = std::make_shared<MetadataCache>(admin, std::vector<std::string>{});

  // Kafka-style properties; anything not given keeps Kafka's default.
  auto producer = Producer::Create({{"acks", "all"}, {"linger.ms", "5"}}, metadata);
  if (!producer.ok()) {
    std::fprintf(stderr, "producer: %s\n", producer.status().ToString().c_str());
    return 1;
  }
  for (int i = 0; i < FLAGS_records; ++i) {
    ProducerRecord record;
    record.topic = FLAGS_topic;
    record.key = "user-" + std::to_string(i % 3);  // murmur2(key): the same partition as Kafka
    record.value = JsonSerializer()({{"event", "clicked"}, {"n", i}});
    absl::Status queued = (*producer)->Send(
        std::move(record), [](const absl::StatusOr<RecordMetadata>& m) {
          if (m.ok()) {
            std::printf("acked %s-%d@%ld\n", m->topic.c_str(), m->partition,
                        static_cast<long>(m->offset));
          } else {
            std::fprintf(stderr, "failed: %s\n", m.status().ToString().c_str());
          }
        });
    if (!queued.ok()) std::fprintf(stderr, "send: %s\n", queued.ToString().c_str());
  }
  (*producer)->Flush();
  (void)(*producer)->Close(std::chrono::seconds(5));

  auto consumer = Consumer::Create({{"auto.offset.reset", "earliest"}}, metadata);
  if (!consumer.ok()) return 1;
  auto topic = metadata->Topic(FLAGS_topic, std::chrono::seconds(10));
  if (!topic.ok()) return 1;
  std::vector<TopicPartition> partitions;
  for (const auto& p : (*topic)->partitions) partitions.push_back({FLAGS_topic, p.partition});
  (*consumer)->Assign(partitions);
  int read = 0;
  for (int polls = 0; polls < 10 && read < FLAGS_records; ++polls) {
    auto records = (*consumer)->Poll(std::chrono::milliseconds(1000));
    if (!records.ok()) {
      std::fprintf(stderr, "poll: %s\n", records.status().ToString().c_str());
      return 1;
    }
    for (const auto& r : *records) {
      auto value = DeserializeJson(r.value);
      std::printf("%s-%d@%ld %s %s\n", r.topic.c_str(), r.partition, static_cast<long>(r.offset),
                  r.key.c_str(), value.ok() ? value->dump().c_str() : "(not JSON)");
      ++read;
    }
  }
  std::printf("read %d records\n", read);
  return 0;
}
