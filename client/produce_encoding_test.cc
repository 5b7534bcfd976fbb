#include "client/produce_encoding.h"

#include <gtest/gtest.h>
#include <google/protobuf/util/message_differencer.h>

namespace keel::client {
namespace {

TEST(ProduceEncodingTest, ParsesAsTheGeneratedMessage) {
  std::string run_a, run_b, run_c;
  AppendRecordEntry("k1", "v1", {}, 0, &run_a);
  AppendRecordEntry(std::nullopt, std::string(300, 'x'), {{"h", "hv"}, {"", ""}}, 1700000000000,
                    &run_a);
  AppendRecordEntry("k3", "", {}, -5, &run_b);
  AppendRecordEntry("k4", std::string(20000, 'y'), {}, 1, &run_c);

  std::vector<EncodedTopic> topics(2);
  topics[0].topic = "orders";
  topics[0].partitions.push_back({0, {&run_a, &run_b}});
  topics[0].partitions.push_back({7, {&run_c}});
  topics[1].topic = "t";
  topics[1].partitions.push_back({300, {&run_b}});
  const std::string wire = EncodeProduceRequest(broker::ACKS_ALL, 30000, topics);

  broker::ProduceRequest parsed;
  ASSERT_TRUE(parsed.ParseFromString(wire));

  broker::ProduceRequest expected;
  expected.set_acks(broker::ACKS_ALL);
  expected.set_timeout_ms(30000);
  auto* t0 = expected.add_topics();
  t0->set_topic("orders");
  auto* p0 = t0->add_partitions();
  p0->set_partition(0);
  auto* r = p0->add_records();
  r->set_key("k1");
  r->set_value("v1");
  r = p0->add_records();
  r->set_value(std::string(300, 'x'));
  r->set_timestamp_ms(1700000000000);
  auto* h = r->add_headers();
  h->set_key("h");
  h->set_value("hv");
  r->add_headers();
  r = p0->add_records();
  r->set_key("k3");
  r->set_value("");  // present and empty
  r->set_timestamp_ms(-5);
  auto* p7 = t0->add_partitions();
  p7->set_partition(7);
  r = p7->add_records();
  r->set_key("k4");
  r->set_value(std::string(20000, 'y'));
  r->set_timestamp_ms(1);
  auto* t1 = expected.add_topics();
  t1->set_topic("t");
  auto* p300 = t1->add_partitions();
  p300->set_partition(300);
  r = p300->add_records();
  r->set_key("k3");
  r->set_value("");
  r->set_timestamp_ms(-5);

  EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(parsed, expected))
      << parsed.DebugString();
  // proto3 with default values left out: byte-identical to the generated serializer.
  EXPECT_EQ(wire, expected.SerializeAsString());
}

// Null and empty differ on the wire, as in Kafka: a tombstone is a null value, not "".
TEST(ProduceEncodingTest, NullAndEmptyKeysAndValuesDiffer) {
  std::string run;
  AppendRecordEntry(std::nullopt, std::nullopt, {}, 0, &run);  // null key, tombstone
  AppendRecordEntry("", "", {}, 0, &run);                      // both empty
  AppendRecordEntry("k", std::nullopt, {}, 0, &run);           // a keyed tombstone
  std::vector<EncodedTopic> topics(1);
  topics[0].topic = "t";
  topics[0].partitions.push_back({0, {&run}});
  broker::ProduceRequest parsed;
  ASSERT_TRUE(parsed.ParseFromString(EncodeProduceRequest(broker::ACKS_ALL, 1, topics)));
  const auto& records = parsed.topics(0).partitions(0).records();
  ASSERT_EQ(records.size(), 3);
  EXPECT_FALSE(records[0].has_key());
  EXPECT_FALSE(records[0].has_value());
  EXPECT_TRUE(records[1].has_key());
  EXPECT_TRUE(records[1].has_value());
  EXPECT_EQ(records[1].key(), "");
  EXPECT_EQ(records[1].value(), "");
  EXPECT_EQ(records[2].key(), "k");
  EXPECT_FALSE(records[2].has_value());
}

TEST(ProduceEncodingTest, AnEmptyRequestIsEmpty) {
  EXPECT_EQ(EncodeProduceRequest(broker::ACKS_LEADER, 0, {}), "");
}

}  // namespace
}  // namespace keel::client
