#include "metadata/watch_snapshot.h"

#include <deque>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace keel::metadata {
namespace {

// A stream that replays the events it was given.
class ReplayReader : public grpc::ClientReaderInterface<controller::WatchMetadataResponse> {
 public:
  explicit ReplayReader(std::vector<controller::WatchMetadataResponse> events)
      : events_(events.begin(), events.end()) {}
  bool Read(controller::WatchMetadataResponse* event) override {
    if (events_.empty()) return false;
    *event = events_.front();
    events_.pop_front();
    return true;
  }
  grpc::Status Finish() override { return grpc::Status::OK; }
  bool NextMessageSize(uint32_t* size) override {
    *size = events_.empty() ? 0 : static_cast<uint32_t>(events_.front().ByteSizeLong());
    return !events_.empty();
  }
  void WaitForInitialMetadata() override {}
  size_t left() const { return events_.size(); }

 private:
  std::deque<controller::WatchMetadataResponse> events_;
};

std::vector<metadata::MetadataRecord> Topics(int n) {
  std::vector<metadata::MetadataRecord> records(n);
  for (int i = 0; i < n; ++i) records[i].mutable_topic()->set_name("t" + std::to_string(i));
  return records;
}

std::vector<controller::WatchMetadataResponse> Chunks(int records, int per_chunk) {
  std::vector<controller::WatchMetadataResponse> out;
  EXPECT_TRUE(WriteSnapshotChunks(
      42, 3, Topics(records),
      [&](const controller::WatchMetadataResponse& e) {
        out.push_back(e);
        return true;
      },
      per_chunk));
  return out;
}

TEST(WatchSnapshot, SplitsIntoBoundedChunksAndReassemblesInOrder) {
  std::vector<controller::WatchMetadataResponse> chunks = Chunks(25001, 10000);
  ASSERT_EQ(chunks.size(), 3u);
  EXPECT_EQ(chunks[0].snapshot().records_size(), 10000);
  EXPECT_EQ(chunks[1].snapshot().records_size(), 10000);
  EXPECT_EQ(chunks[2].snapshot().records_size(), 5001);
  EXPECT_TRUE(chunks[0].snapshot().more());
  EXPECT_TRUE(chunks[1].snapshot().more());
  EXPECT_FALSE(chunks[2].snapshot().more());
  for (const auto& c : chunks) {
    EXPECT_EQ(c.snapshot().offset(), 42);
    EXPECT_EQ(c.snapshot().epoch(), 3);
  }

  controller::WatchMetadataResponse after;
  after.mutable_entry()->set_offset(43);
  std::vector<controller::WatchMetadataResponse> stream(chunks.begin() + 1, chunks.end());
  stream.push_back(after);
  ReplayReader reader(stream);
  controller::MetadataImageSnapshot snapshot = chunks[0].snapshot();
  ASSERT_TRUE(ReadRestOfSnapshot(&reader, &snapshot));
  ASSERT_EQ(snapshot.records_size(), 25001);
  for (int i = 0; i < 25001; ++i)
    ASSERT_EQ(snapshot.records(i).topic().name(), "t" + std::to_string(i));
  EXPECT_FALSE(snapshot.more());
  EXPECT_EQ(reader.left(), 1u);  // the entry after the snapshot is left for the caller
}

TEST(WatchSnapshot, EmptyAndExactMultiplesEndWithOneLastChunk) {
  std::vector<controller::WatchMetadataResponse> empty = Chunks(0, 10);
  ASSERT_EQ(empty.size(), 1u);
  EXPECT_FALSE(empty[0].snapshot().more());
  EXPECT_EQ(empty[0].snapshot().records_size(), 0);
  std::vector<controller::WatchMetadataResponse> exact = Chunks(20, 10);
  ASSERT_EQ(exact.size(), 2u);
  EXPECT_TRUE(exact[0].snapshot().more());
  EXPECT_FALSE(exact[1].snapshot().more());
  ReplayReader nothing({});
  controller::MetadataImageSnapshot single = empty[0].snapshot();
  EXPECT_TRUE(ReadRestOfSnapshot(&nothing, &single));  // complete already: reads nothing
}

TEST(WatchSnapshot, StreamEndingOrChangingInsideASnapshotIsRefused) {
  std::vector<controller::WatchMetadataResponse> chunks = Chunks(30, 10);
  ReplayReader cut({chunks[1]});  // the last chunk never comes
  controller::MetadataImageSnapshot snapshot = chunks[0].snapshot();
  EXPECT_FALSE(ReadRestOfSnapshot(&cut, &snapshot));

  controller::WatchMetadataResponse entry;
  entry.mutable_entry()->set_offset(43);
  ReplayReader interleaved({chunks[1], entry});
  snapshot = chunks[0].snapshot();
  EXPECT_FALSE(ReadRestOfSnapshot(&interleaved, &snapshot));

  controller::WatchMetadataResponse other = chunks[2];
  other.mutable_snapshot()->set_offset(99);  // a chunk of another snapshot
  ReplayReader mixed({chunks[1], other});
  snapshot = chunks[0].snapshot();
  EXPECT_FALSE(ReadRestOfSnapshot(&mixed, &snapshot));
}

TEST(WatchSnapshot, WriterRefusalStopsTheSplit) {
  int written = 0;
  EXPECT_FALSE(WriteSnapshotChunks(
      1, 1, Topics(50), [&](const controller::WatchMetadataResponse&) { return ++written < 2; },
      10));
  EXPECT_EQ(written, 2);
}

}  // namespace
}  // namespace keel::metadata
