// Log compaction with real processes: 3 controllers and 2 brokers whose segments roll at
// 1 KiB and whose log cleaner runs every 200 ms. A compacted topic produced with repeated
// keys over gRPC reads back, from offset 0, one record per key (the newest) at its original
// offset (docs/compaction.md).
#include <chrono>
#include <map>
#include <string>
#include <thread>

#include <gtest/gtest.h>

#include "tests/integration/broker_cluster.h"
#include "tests/integration/controller_cluster.h"

namespace keel::testing {
namespace {

using std::chrono::seconds;

TEST(CompactionIntegrationTest, ConsumerFromZeroSeesTheNewestRecordPerKeyAtItsOffset) {
  ControllerCluster controllers(ControllerClusterOptions{});
  ASSERT_TRUE(controllers.StartAll());
  ASSERT_GT(controllers.WaitForLeader(seconds(20)), 0);
  std::vector<std::string> addresses;
  for (int id : controllers.ids()) addresses.push_back(controllers.Address(id));
  ControllerClient client(addresses);
  BrokerSetOptions options;
  options.extra_flags = {"--log_segment_bytes=1024", "--log_cleaner_backoff_ms=200"};
  BrokerSet brokers(&controllers, options);
  ASSERT_TRUE(brokers.StartAll());
  ASSERT_TRUE(brokers.WaitAllUnfenced(&client, seconds(20)));
  ASSERT_EQ(CreateTopicWithConfigs(&client, "compacted", 1, 2, {{"cleanup.policy", "compact"}}),
            "");
  DataClient data(&client);

  std::map<std::string, std::pair<int64_t, std::string>> newest;  // key -> offset, value
  for (int round = 0; round < 10; ++round) {
    for (int k = 0; k < 5; ++k) {
      const std::string key = "key-" + std::to_string(k);
      const std::string value = key + "@" + std::to_string(round) + std::string(40, '.');
      auto produced = data.Produce("compacted", 0, {{key, value}});
      ASSERT_EQ(produced.error, keel::NONE) << produced.message;
      newest[key] = {produced.base_offset, value};
    }
  }
  // Distinct keys after them close the segments that hold the repeated ones.
  int64_t end_offset = 0;  // one past the last record produced
  for (int i = 0; i < 40; ++i) {
    auto produced = data.Produce("compacted", 0, {{"filler-" + std::to_string(i), std::string(60, 'f')}});
    ASSERT_EQ(produced.error, keel::NONE) << produced.message;
    end_offset = produced.base_offset + 1;
  }

  // Reads the partition from offset 0 to the high watermark as a consumer does, moving on
  // past batches whose records compaction removed (their last_offset). `*reached` is the
  // offset it stopped at.
  auto read_all = [&](int64_t* reached) {
    std::map<int64_t, broker::Record> out;
    int64_t offset = 0;
    for (int round = 0; round < 1000; ++round) {
      broker::FetchPartitionData d = data.Fetch("compacted", 0, offset, 4096);
      EXPECT_EQ(d.error(), keel::NONE) << d.error_message();
      if (d.error() != keel::NONE || offset >= d.high_watermark()) break;
      for (const auto& b : d.batches()) {
        for (const auto& r : b.records()) out[r.offset()] = r;
        offset = b.has_last_offset() ? b.last_offset() + 1 : b.records(b.records_size() - 1).offset() + 1;
      }
    }
    *reached = offset;
    return out;
  };
  // Produced with acks=1 to a replication factor of 2: the high watermark reaches the end
  // only once the follower has fetched the last records, which under load can come after
  // the cleaner's pass. Until then a read stops short of the last fillers, so the wait
  // covers both: the whole log is readable and the repeated keys are compacted.
  std::map<int64_t, broker::Record> records;
  int64_t reached = 0;
  bool compacted = false;
  const auto deadline = std::chrono::steady_clock::now() + seconds(30);
  while (!compacted && std::chrono::steady_clock::now() < deadline) {
    records = read_all(&reached);
    std::map<std::string, int> per_key;
    for (const auto& [offset, r] : records) ++per_key[r.key()];
    compacted = reached >= end_offset;
    for (const auto& [key, newest_record] : newest) compacted &= per_key[key] == 1;
    if (!compacted) std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  ASSERT_TRUE(compacted) << "not compacted and readable to offset " << end_offset
                         << " within 30 s (read to " << reached << ")\n"
                         << brokers.BrokerLog(1);
  for (const auto& [key, newest_record] : newest) {
    const auto& [offset, value] = newest_record;
    ASSERT_EQ(records.count(offset), 1u) << key;
    EXPECT_EQ(records.at(offset).key(), key);
    EXPECT_EQ(records.at(offset).value(), value);
  }
  for (int i = 0; i < 40; ++i) {
    int found = 0;
    for (const auto& [offset, r] : records) found += r.key() == "filler-" + std::to_string(i);
    EXPECT_EQ(found, 1) << i;
  }
}

}  // namespace
}  // namespace keel::testing
