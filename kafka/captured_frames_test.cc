// The request frames tests/kafka captured from real clients talking to the Kafka listener and
// to librdkafka's mock cluster (tests/kafka/testdata/README.md): every frame's size prefix and
// header parse, its body decodes at the client's version and re-encodes to the same bytes,
// and every produced record batch decodes.
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "kafka/all_messages_for_test.h"
#include "kafka/record_batch.h"

namespace keel::kafka {
namespace {

constexpr char kDir[] = "tests/kafka/testdata/";

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

struct Entry {
  std::string file;
  int16_t api_key = 0;
  int16_t api_version = 0;
};

std::vector<Entry> Manifest() {
  std::vector<Entry> entries;
  std::istringstream lines(ReadFile(std::string(kDir) + "MANIFEST.tsv"));
  std::string line;
  std::getline(lines, line);  // header
  while (std::getline(lines, line)) {
    std::istringstream fields(line);
    Entry e;
    fields >> e.file >> e.api_key >> e.api_version;
    if (!e.file.empty()) entries.push_back(e);
  }
  return entries;
}

TEST(CapturedFramesTest, EveryFrameDecodesAndReencodes) {
  const std::vector<Entry> entries = Manifest();
  ASSERT_GT(entries.size(), 20u);
  int frames = 0, batches = 0;
  for (const Entry& e : entries) {
    const std::string frame = ReadFile(kDir + e.file);
    ASSERT_GT(frame.size(), kFrameSizeBytes) << e.file;
    absl::StatusOr<int32_t> size = ReadFrameSize(std::string_view(frame).substr(0, 4));
    ASSERT_TRUE(size.ok()) << e.file;
    EXPECT_EQ(static_cast<size_t>(*size), frame.size() - kFrameSizeBytes) << e.file;
    absl::StatusOr<ParsedRequest> parsed = ParseRequest(std::string_view(frame).substr(4));
    ASSERT_TRUE(parsed.ok()) << e.file << ": " << parsed.status();
    EXPECT_EQ(parsed->header.api_key, e.api_key) << e.file;
    EXPECT_EQ(parsed->header.api_version, e.api_version) << e.file;
    bool found = false;
    ForEachMessage([&](auto m) {
      using M = decltype(m);
      if constexpr (M::kIsRequest) {
        if (static_cast<int16_t>(M::kApiKey) != e.api_key) return;
        found = true;
        absl::StatusOr<M> decoded = Decode<M>(parsed->body, e.api_version);
        ASSERT_TRUE(decoded.ok()) << e.file << ": " << decoded.status();
        absl::StatusOr<std::string> again = Encode(*decoded, e.api_version);
        ASSERT_TRUE(again.ok()) << e.file;
        EXPECT_EQ(*again, parsed->body) << e.file;
        ++frames;
        if constexpr (std::is_same_v<M, ProduceRequest>) {
          for (const auto& topic : decoded->topics) {
            for (const auto& partition : topic.partitions) {
              ASSERT_TRUE(partition.records.has_value()) << e.file;
              absl::StatusOr<std::vector<RecordBatch>> decoded_batches =
                  DecodeBatches(*partition.records);
              ASSERT_TRUE(decoded_batches.ok()) << e.file << ": " << decoded_batches.status();
              batches += static_cast<int>(decoded_batches->size());
            }
          }
        }
      }
    });
    EXPECT_TRUE(found) << e.file << ": api key " << e.api_key << " not in the codec";
  }
  std::printf("%d captured frames decoded and re-encoded, %d produced batches decoded\n", frames,
              batches);
  EXPECT_EQ(frames, static_cast<int>(entries.size()));
  EXPECT_GT(batches, 5);
}

}  // namespace
}  // namespace keel::kafka
