// Request frames that kcat/librdkafka, confluent-kafka, kafka-python and kafkajs sent
// (testdata/client_requests.md): each parses, decodes, re-encodes to the same bytes, and
// every record batch they produced decodes.
#include <gtest/gtest.h>

#include <cstdio>
#include <map>
#include <set>
#include <string>

#include "kafka/all_messages_for_test.h"
#include "kafka/record_batch.h"

namespace keel::kafka {
namespace {

struct Captured {
  const char* client;
  int16_t api_key;
  int16_t version;
  const char* hex;
};

constexpr Captured kCaptured[] = {
#include "kafka/testdata/client_requests.inc"
};

std::string FromHex(const char* hex) {
  std::string out;
  for (const char* p = hex; p[0] != '\0' && p[1] != '\0'; p += 2) {
    auto nibble = [](char c) { return c <= '9' ? c - '0' : c - 'a' + 10; };
    out.push_back(static_cast<char>(nibble(p[0]) << 4 | nibble(p[1])));
  }
  return out;
}

TEST(ClientRequestsTest, EveryCapturedRequestDecodesAndReencodes) {
  std::set<std::string> clients;
  int checked = 0;
  for (const Captured& c : kCaptured) {
    const std::string frame = FromHex(c.hex);
    absl::StatusOr<ParsedRequest> parsed = ParseRequest(frame);
    ASSERT_TRUE(parsed.ok()) << c.client << " " << ApiName(c.api_key) << ": " << parsed.status();
    EXPECT_EQ(parsed->header.api_key, c.api_key);
    EXPECT_EQ(parsed->header.api_version, c.version);
    EXPECT_EQ(parsed->header.client_id, c.client);
    clients.insert(c.client);
    bool found = false;
    ForEachMessage([&](auto m) {
      using M = decltype(m);
      if constexpr (M::kIsRequest) {
        if (static_cast<int16_t>(M::kApiKey) != c.api_key) return;
        found = true;
        const std::string what =
            std::string(c.client) + " " + ApiName(c.api_key) + " v" + std::to_string(c.version);
        absl::StatusOr<M> decoded = Decode<M>(parsed->body, c.version);
        ASSERT_TRUE(decoded.ok()) << what << ": " << decoded.status();
        absl::StatusOr<std::string> again = EncodeRequestFrame(
            *decoded, c.version, parsed->header.correlation_id, parsed->header.client_id);
        ASSERT_TRUE(again.ok()) << what;
        EXPECT_EQ(again->substr(kFrameSizeBytes), frame) << what;
        ++checked;
      }
    });
    EXPECT_TRUE(found) << ApiName(c.api_key);
  }
  EXPECT_EQ(clients,
            (std::set<std::string>{"rdkafka", "confluent-kafka", "kafka-python", "kafkajs"}));
  EXPECT_EQ(checked, static_cast<int>(std::size(kCaptured)));
}

TEST(ClientRequestsTest, EveryProducedBatchDecodes) {
  std::map<Compression, int> codecs;
  int records = 0;
  bool idempotent = false;
  for (const Captured& c : kCaptured) {
    if (c.api_key != static_cast<int16_t>(ApiKey::kProduce)) continue;
    const std::string frame = FromHex(c.hex);
    absl::StatusOr<ParsedRequest> parsed = ParseRequest(frame);
    ASSERT_TRUE(parsed.ok());
    absl::StatusOr<ProduceRequest> request = Decode<ProduceRequest>(parsed->body, c.version);
    ASSERT_TRUE(request.ok()) << request.status();
    for (const ProduceRequest::Topic& topic : request->topics) {
      EXPECT_EQ(topic.name, "capture");
      for (const ProduceRequest::Partition& partition : topic.partitions) {
        ASSERT_TRUE(partition.records.has_value());
        absl::StatusOr<std::vector<RecordBatch>> batches = DecodeBatches(*partition.records);
        ASSERT_TRUE(batches.ok()) << c.client << ": " << batches.status();
        for (const RecordBatch& batch : *batches) {
          ++codecs[batch.header.compression()];
          if (batch.header.producer_id >= 0) {
            idempotent = true;
            EXPECT_EQ(batch.header.base_sequence, 0) << c.client;
          }
          for (const Record& record : batch.records) {
            ++records;
            ASSERT_TRUE(record.value.has_value());
            EXPECT_FALSE(record.value->empty());
          }
        }
      }
    }
  }
  std::printf("%d records in captured produce requests\n", records);
  EXPECT_GE(records, 10);
  EXPECT_TRUE(idempotent);  // confluent-kafka's idempotent producer
  for (Compression codec : {Compression::kNone, Compression::kGzip, Compression::kSnappy,
                            Compression::kLz4, Compression::kZstd}) {
    EXPECT_GT(codecs[codec], 0) << CompressionName(codec);
  }
}

}  // namespace
}  // namespace keel::kafka
