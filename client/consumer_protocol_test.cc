#include "client/consumer_protocol.h"

#include <string>

#include "gtest/gtest.h"

namespace keel::client {
namespace {

std::string Bytes(std::initializer_list<int> values) {
  std::string out;
  for (int v : values) out.push_back(static_cast<char>(v));
  return out;
}

TEST(ConsumerProtocolTest, AssignmentMatchesKafkasLayoutByteForByte) {
  ConsumerAssignment a;
  a.version = 0;
  a.partitions["t"] = {0, 1};
  const std::string want = Bytes({0, 0,                    // version
                                  0, 0, 0, 1,              // one topic
                                  0, 1, 't',               // "t"
                                  0, 0, 0, 2,              // two partitions
                                  0, 0, 0, 0, 0, 0, 0, 1,  // 0, 1
                                  0xff, 0xff, 0xff, 0xff});  // user_data null
  EXPECT_EQ(EncodeAssignment(a), want);
  auto back = DecodeAssignment(want);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->version, 0);
  EXPECT_EQ(back->partitions, a.partitions);
  EXPECT_FALSE(back->user_data.has_value());
}

TEST(ConsumerProtocolTest, SubscriptionRoundTripsEveryVersion) {
  for (int16_t version = 0; version <= 3; ++version) {
    ConsumerSubscription s;
    s.version = version;
    s.topics = {"orders", "payments"};
    s.user_data = std::string("\x01\x02", 2);
    if (version >= 1) s.owned_partitions = {{"orders", {2, 5}}};
    if (version >= 2) s.generation_id = 7;
    if (version >= 3) s.rack_id = "rack-a";
    auto back = DecodeSubscription(EncodeSubscription(s));
    ASSERT_TRUE(back.ok()) << back.status();
    EXPECT_EQ(back->version, version);
    EXPECT_EQ(back->topics, s.topics);
    EXPECT_EQ(back->user_data, s.user_data);
    EXPECT_EQ(back->owned_partitions, s.owned_partitions);
    EXPECT_EQ(back->generation_id, s.generation_id);
    EXPECT_EQ(back->rack_id, s.rack_id);
  }
}

TEST(ConsumerProtocolTest, AssignmentWithUserDataAndManyTopicsRoundTrips) {
  ConsumerAssignment a;
  a.partitions = {{"a", {0}}, {"b", {3, 1, 2}}, {"c", {}}};
  a.user_data = "sticky";
  auto back = DecodeAssignment(EncodeAssignment(a));
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->partitions, a.partitions);
  EXPECT_EQ(back->user_data, a.user_data);
}

TEST(ConsumerProtocolTest, EmptyAssignmentBytesAreAnEmptyAssignment) {
  auto a = DecodeAssignment("");
  ASSERT_TRUE(a.ok());
  EXPECT_TRUE(a->partitions.empty());
}

TEST(ConsumerProtocolTest, ExtraTrailingBytesOfANewerVersionAreIgnored) {
  ConsumerSubscription s;
  s.version = 3;
  s.topics = {"t"};
  auto back = DecodeSubscription(EncodeSubscription(s) + "future");
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->topics, s.topics);
}

TEST(ConsumerProtocolTest, TruncatedOrLyingBytesAreRefusedNotTrusted) {
  ConsumerAssignment a;
  a.partitions["topic"] = {0, 1, 2};
  const std::string full = EncodeAssignment(a);
  for (size_t n = 1; n < full.size() - 4; ++n) {
    EXPECT_FALSE(DecodeAssignment(full.substr(0, n)).ok()) << "prefix " << n;
  }
  // A topic count far beyond the bytes present.
  EXPECT_FALSE(DecodeAssignment(Bytes({0, 0, 0x7f, 0xff, 0xff, 0xff})).ok());
  EXPECT_FALSE(DecodeSubscription(Bytes({0xff, 0xff, 0, 0, 0, 0})).ok());  // version -1
  EXPECT_FALSE(DecodeSubscription(Bytes({0, 1, 0, 0, 0, 1, 0, 9, 'x'})).ok());
}

}  // namespace
}  // namespace keel::client
