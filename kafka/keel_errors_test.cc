#include "kafka/keel_errors.h"

#include <gtest/gtest.h>

namespace keel::kafka {
namespace {

TEST(KeelErrorsTest, EveryKeelCodeMapsToTheKafkaCodeOfTheSameName) {
  const google::protobuf::EnumDescriptor* keel_codes = keel::ErrorCode_descriptor();
  ASSERT_GT(keel_codes->value_count(), 10);
  for (int i = 0; i < keel_codes->value_count(); ++i) {
    const google::protobuf::EnumValueDescriptor* value = keel_codes->value(i);
    ErrorCode kafka = FromKeel(static_cast<keel::ErrorCode>(value->number()));
    EXPECT_EQ(ErrorName(kafka), value->name()) << "keel code " << value->number();
  }
}

TEST(KeelErrorsTest, InvalidUpdateVersionUsesKafkasNumber) {
  EXPECT_EQ(Code(FromKeel(keel::INVALID_UPDATE_VERSION)), 95);
  EXPECT_EQ(Code(FromKeel(keel::NOT_LEADER_OR_FOLLOWER)), 6);
  EXPECT_EQ(Code(FromKeel(keel::NONE)), 0);
}

}  // namespace
}  // namespace keel::kafka
