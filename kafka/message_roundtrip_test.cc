// Every API at every supported version: random contents survive encode + decode, the bytes
// are stable, and every strict prefix of a valid body is refused with an error.
#include <gtest/gtest.h>

#include <cstdio>
#include <random>
#include <set>
#include <type_traits>

#include "kafka/all_messages_for_test.h"
#include "kafka/randomizer.h"

namespace keel::kafka {
namespace {

constexpr int kSamplesPerVersion = 40;

template <class M>
void RoundTripAllVersions(std::mt19937_64& rng, int* checked) {
  const ApiInfo* api = FindApi(static_cast<int16_t>(M::kApiKey));
  ASSERT_NE(api, nullptr);
  const char* kind = M::kIsRequest ? "request" : "response";
  for (int16_t v = api->min_version; v <= api->max_version; ++v) {
    for (int i = 0; i < kSamplesPerVersion; ++i) {
      M original = RandomMessage<M>(rng, v);
      absl::StatusOr<std::string> bytes = Encode(original, v);
      ASSERT_TRUE(bytes.ok()) << api->name << " " << kind << " v" << v << ": " << bytes.status();
      absl::StatusOr<M> decoded = Decode<M>(*bytes, v);
      ASSERT_TRUE(decoded.ok()) << api->name << " " << kind << " v" << v << ": "
                                << decoded.status();
      ASSERT_TRUE(*decoded == original) << api->name << " " << kind << " v" << v << " sample " << i;
      absl::StatusOr<std::string> again = Encode(*decoded, v);
      ASSERT_TRUE(again.ok());
      ASSERT_EQ(*again, *bytes) << api->name << " " << kind << " v" << v;
      if (i < 3) {  // truncation at every byte position
        for (size_t n = 0; n < bytes->size(); ++n) {
          absl::StatusOr<M> cut = Decode<M>(std::string_view(*bytes).substr(0, n), v);
          ASSERT_FALSE(cut.ok()) << api->name << " " << kind << " v" << v << " prefix " << n;
          ASSERT_EQ(cut.status().code(), absl::StatusCode::kInvalidArgument);
        }
        // One stray byte after the body is refused too.
        ASSERT_FALSE(Decode<M>(*bytes + "x", v).ok()) << api->name << " v" << v;
      }
      ++*checked;
    }
  }
}

TEST(MessageRoundTripTest, EveryApiEveryVersion) {
  std::mt19937_64 rng(20261202);
  int checked = 0;
  ForEachMessage([&](auto m) { RoundTripAllVersions<decltype(m)>(rng, &checked); });
  std::printf("round-tripped %d random messages\n", checked);
  EXPECT_GT(checked, 5000);
}

TEST(MessageRoundTripTest, EveryApiInTheTableHasARequestAndAResponse) {
  std::set<int16_t> requests, responses;
  ForEachMessage([&](auto m) {
    using M = decltype(m);
    (M::kIsRequest ? requests : responses).insert(static_cast<int16_t>(M::kApiKey));
  });
  for (const ApiInfo& api : SupportedApis()) {
    EXPECT_TRUE(requests.count(static_cast<int16_t>(api.key))) << api.name;
    EXPECT_TRUE(responses.count(static_cast<int16_t>(api.key))) << api.name;
  }
  EXPECT_EQ(requests.size(), SupportedApis().size());
}

TEST(MessageRoundTripTest, VersionsOutsideTheRangeAreUnimplemented) {
  absl::StatusOr<MetadataRequest> r = Decode<MetadataRequest>("", 13);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kUnimplemented);
  EXPECT_EQ(Decode<ProduceRequest>("", 12).status().code(), absl::StatusCode::kUnimplemented);
  EXPECT_EQ(Encode(FetchResponse{}, 18).status().code(), absl::StatusCode::kUnimplemented);
  EXPECT_EQ(Decode<ApiVersionsRequest>("", -1).status().code(), absl::StatusCode::kUnimplemented);
}

}  // namespace
}  // namespace keel::kafka
