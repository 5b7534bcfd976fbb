// Proves the protoc toolchain: generated messages serialize and parse back unchanged, and the
// oneof field numbers that serve as stable record type ids have not moved.
#include <string>

#include <gtest/gtest.h>

#include "proto/broker.pb.h"
#include "proto/metadata.pb.h"
#include "proto/raft.pb.h"

namespace keel {
namespace {

TEST(ProtoRoundTrip, RaftMessageSurvivesSerialization) {
  raft::Message m;
  m.set_type(raft::MSG_APPEND);
  m.set_from(1);
  m.set_to(2);
  m.set_term(7);
  raft::Entry* e = m.add_entries();
  e->set_term(7);
  e->set_index(42);
  e->set_data(std::string("\0\1binary", 8));

  std::string wire;
  ASSERT_TRUE(m.SerializeToString(&wire));
  raft::Message parsed;
  ASSERT_TRUE(parsed.ParseFromString(wire));
  EXPECT_EQ(parsed.type(), raft::MSG_APPEND);
  EXPECT_EQ(parsed.term(), 7u);
  ASSERT_EQ(parsed.entries_size(), 1);
  EXPECT_EQ(parsed.entries(0).index(), 42u);
  EXPECT_EQ(parsed.entries(0).data(), std::string("\0\1binary", 8));
}

TEST(ProtoRoundTrip, MetadataRecordTypeIdsAreStable) {
  using metadata::MetadataRecord;
  EXPECT_EQ(MetadataRecord::kRegisterBroker, 1);
  EXPECT_EQ(MetadataRecord::kBrokerRegistrationChange, 2);
  EXPECT_EQ(MetadataRecord::kUnregisterBroker, 3);
  EXPECT_EQ(MetadataRecord::kTopic, 4);
  EXPECT_EQ(MetadataRecord::kPartition, 5);
  EXPECT_EQ(MetadataRecord::kPartitionChange, 6);
  EXPECT_EQ(MetadataRecord::kRemoveTopic, 7);
  EXPECT_EQ(MetadataRecord::kConfig, 8);
  EXPECT_EQ(MetadataRecord::kNoOp, 9);
  EXPECT_EQ(MetadataRecord::kLeaderChange, 10);
  EXPECT_EQ(MetadataRecord::kProducerIds, 11);

  MetadataRecord r;
  r.mutable_partition_change()->set_partition_id(3);
  r.mutable_partition_change()->set_leader(-1);
  std::string wire = r.SerializeAsString();
  MetadataRecord parsed;
  ASSERT_TRUE(parsed.ParseFromString(wire));
  ASSERT_EQ(parsed.record_case(), MetadataRecord::kPartitionChange);
  EXPECT_TRUE(parsed.partition_change().has_leader());
  EXPECT_EQ(parsed.partition_change().leader(), -1);
  EXPECT_FALSE(parsed.partition_change().has_isr());
}

// Record key / value are `optional bytes`: unset (null) and empty differ on the wire, and
// bytes from a peer that knew no `optional` (it never sent an empty field) parse as before.
TEST(ProtoRoundTrip, RecordKeyAndValueNullVersusEmpty) {
  broker::Record empty;
  empty.set_key("");
  empty.set_value("");
  broker::Record parsed;
  ASSERT_TRUE(parsed.ParseFromString(empty.SerializeAsString()));
  EXPECT_TRUE(parsed.has_key());
  EXPECT_TRUE(parsed.has_value());
  broker::Record null;
  null.set_offset(5);
  ASSERT_TRUE(parsed.ParseFromString(null.SerializeAsString()));
  EXPECT_FALSE(parsed.has_key());
  EXPECT_FALSE(parsed.has_value());
  // Field 1 (key) = "k", field 2 (value) = "v": the bytes an older broker or client sends.
  const std::string old_wire = std::string("\x0a\x01k\x12\x01v", 6);
  ASSERT_TRUE(parsed.ParseFromString(old_wire));
  EXPECT_EQ(parsed.key(), "k");
  EXPECT_EQ(parsed.value(), "v");
}

}  // namespace
}  // namespace keel
