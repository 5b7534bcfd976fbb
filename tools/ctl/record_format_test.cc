#include "tools/ctl/record_format.h"

#include <gtest/gtest.h>

namespace keel::keelctl {
namespace {

TEST(RecordFormat, NamesTheRecordTypeAndPrintsBytesAsHex) {
  metadata::MetadataRecord r;
  r.mutable_topic()->set_name("orders");
  r.mutable_topic()->set_topic_id(std::string("\x01\xab", 2));
  EXPECT_EQ(RecordTypeName(r), "TopicRecord");
  nlohmann::json j = RecordJson(r);
  EXPECT_EQ(j["Type"], "TopicRecord");
  EXPECT_EQ(j["Record"]["name"], "orders");
  EXPECT_EQ(j["Record"]["topic_id"], "01ab");
  EXPECT_EQ(RecordText(r), "name=orders topic_id=01ab");
}

TEST(RecordFormat, KeepsEveryProto3FieldButOmitsUnsetOptionals) {
  metadata::MetadataRecord r;
  r.mutable_partition_change()->set_partition_id(0);
  nlohmann::json body = RecordJson(r)["Record"];
  EXPECT_TRUE(body.contains("partition_id"));  // zero, still present: stable keys
  EXPECT_FALSE(body.contains("leader"));       // optional and unset: "unchanged"
  EXPECT_FALSE(body.contains("isr"));
  r.mutable_partition_change()->set_leader(-1);
  r.mutable_partition_change()->mutable_isr()->add_ids(2);
  body = RecordJson(r)["Record"];
  EXPECT_EQ(body["leader"], -1);
  EXPECT_EQ(body["isr"]["ids"], nlohmann::json::array({2}));
}

TEST(RecordFormat, EnumsByNameAndEmptyRecord) {
  metadata::MetadataRecord r;
  EXPECT_EQ(RecordTypeName(r), "EmptyRecord");
  r.mutable_broker_registration_change()->set_fencing(metadata::UNFENCE);
  EXPECT_EQ(RecordJson(r)["Record"]["fencing"], "UNFENCE");
}

}  // namespace
}  // namespace keel::keelctl
