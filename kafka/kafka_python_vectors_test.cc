// Request and response bodies encoded by kafka-python 2.0.2 (an independent implementation;
// testdata/kafka_python_vectors.py says how they were made) must decode with our codec and
// re-encode to the same bytes.
#include <gtest/gtest.h>

#include <cstdio>
#include <iterator>
#include <string>

#include "kafka/all_messages_for_test.h"

namespace keel::kafka {
namespace {

struct Vector {
  int16_t api_key;
  int16_t version;
  bool is_request;
  const char* hex;
};

constexpr Vector kVectors[] = {
#include "kafka/testdata/kafka_python_vectors.inc"
};

// Where kafka-python 2.0.2's schema disagrees with Kafka's (none of these versions is one
// kafka-python sends or expects from a broker): our decoder must refuse these bodies.
struct KnownDeviation {
  int16_t api_key;
  int16_t version;
  bool is_request;
  const char* why;
};
constexpr KnownDeviation kKafkaPythonDeviations[] = {
    {0, 8, false, "ProduceResponse v8 lacks record_errors and error_message"},
    {2, 4, true, "ListOffsetsRequest v4 has current_leader_epoch as INT64, Kafka's is INT32"},
    {2, 5, true, "ListOffsetsRequest v5: the same"},
    {10, 1, false, "FindCoordinatorResponse v1 lacks throttle_time_ms"},
    {15, 3, false, "DescribeGroupsResponse v3 lacks authorized_operations"},
};

bool IsKnownDeviation(const Vector& v) {
  for (const KnownDeviation& d : kKafkaPythonDeviations) {
    if (d.api_key == v.api_key && d.version == v.version && d.is_request == v.is_request) {
      return true;
    }
  }
  return false;
}

std::string FromHex(const char* hex) {
  std::string out;
  for (const char* p = hex; p[0] != '\0' && p[1] != '\0'; p += 2) {
    auto nibble = [](char c) { return c <= '9' ? c - '0' : c - 'a' + 10; };
    out.push_back(static_cast<char>(nibble(p[0]) << 4 | nibble(p[1])));
  }
  return out;
}

TEST(KafkaPythonVectorsTest, DecodeAndReencodeToTheSameBytes) {
  int checked = 0, outside_range = 0, deviations = 0;
  for (const Vector& vector : kVectors) {
    const std::string body = FromHex(vector.hex);
    bool found = false;
    ForEachMessage([&](auto m) {
      using M = decltype(m);
      if (static_cast<int16_t>(M::kApiKey) != vector.api_key ||
          M::kIsRequest != vector.is_request) {
        return;
      }
      found = true;
      if (!IsSupported(M::kApiKey, vector.version)) {
        ++outside_range;
        return;
      }
      const std::string what = ApiName(M::kApiKey) +
                               (M::kIsRequest ? " request v" : " response v") +
                               std::to_string(vector.version);
      absl::StatusOr<M> decoded = Decode<M>(body, vector.version);
      if (IsKnownDeviation(vector)) {
        EXPECT_FALSE(decoded.ok()) << what << " was expected to differ from Kafka's schema";
        ++deviations;
        return;
      }
      ASSERT_TRUE(decoded.ok()) << what << ": " << decoded.status();
      absl::StatusOr<std::string> again = Encode(*decoded, vector.version);
      ASSERT_TRUE(again.ok()) << what;
      EXPECT_EQ(*again, body) << what;
      ++checked;
    });
    EXPECT_TRUE(found) << "api key " << vector.api_key;
  }
  std::printf(
      "%d kafka-python vectors checked, %d outside our version range, %d known "
      "kafka-python deviations refused\n",
      checked, outside_range, deviations);
  EXPECT_EQ(deviations, static_cast<int>(std::size(kKafkaPythonDeviations)));
  EXPECT_GT(checked, 150);
}

}  // namespace
}  // namespace keel::kafka
