#include "controller/metadata_feed.h"

#include <thread>

#include <gtest/gtest.h>

namespace keel::controller {
namespace {

MetadataLogEntry Entry(int64_t offset) {
  MetadataLogEntry e;
  e.set_offset(offset);
  e.set_epoch(1);
  e.mutable_batch()->add_records()->mutable_no_op();
  return e;
}

TEST(MetadataFeed, ReturnsEntriesAfterCursorAndSkipsGaps) {
  MetadataFeed feed(100);
  feed.Append(Entry(1));
  feed.Append(Entry(2));
  feed.MarkCovered(4);  // offsets 3 and 4 carried no metadata
  feed.Append(Entry(5));
  int64_t cursor = 1;
  std::vector<MetadataLogEntry> out;
  ASSERT_TRUE(feed.WaitAfter(&cursor, std::chrono::milliseconds(0), &out));
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].offset(), 2);
  EXPECT_EQ(out[1].offset(), 5);
  EXPECT_EQ(cursor, 5);
}

TEST(MetadataFeed, CursorBehindRetainedTailNeedsSnapshot) {
  MetadataFeed feed(2);
  for (int64_t o = 1; o <= 5; ++o) feed.Append(Entry(o));
  int64_t cursor = 1;  // entries 2 and 3 were dropped from memory
  std::vector<MetadataLogEntry> out;
  EXPECT_FALSE(feed.WaitAfter(&cursor, std::chrono::milliseconds(0), &out));
  cursor = 3;
  EXPECT_TRUE(feed.WaitAfter(&cursor, std::chrono::milliseconds(0), &out));
  EXPECT_EQ(out.size(), 2u);
  feed.Reset(10);  // a snapshot replaced the image
  cursor = 5;
  EXPECT_FALSE(feed.WaitAfter(&cursor, std::chrono::milliseconds(0), &out));
}

TEST(MetadataFeed, WaiterWakesOnAppend) {
  MetadataFeed feed(10);
  std::vector<MetadataLogEntry> out;
  int64_t cursor = 0;
  std::thread appender([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    feed.Append(Entry(1));
  });
  auto start = std::chrono::steady_clock::now();
  ASSERT_TRUE(feed.WaitAfter(&cursor, std::chrono::seconds(10), &out));
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
  appender.join();
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(cursor, 1);
}

}  // namespace
}  // namespace keel::controller
