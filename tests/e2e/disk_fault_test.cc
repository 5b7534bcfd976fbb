// Disk faults (issue #10): the tail of a partition's active segment, and of a controller's
// metadata log, is cut (a torn write) or has a bit flipped while the node is down. On restart
// the node must recover (cut its log back to the last intact batch), rejoin, serve again,
// and never serve a corrupt record; acknowledged data survives on the other replicas.
#include <chrono>
#include <cstdio>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "tests/e2e/clients.h"
#include "tests/e2e/cluster.h"
#include "tests/e2e/disk_faults.h"
#include "tests/e2e/e2e_env.h"
#include "tests/e2e/history.h"

namespace keel::e2e {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

enum class Damage { kTruncate, kBitFlip };
const char* DamageName(Damage d) { return d == Damage::kTruncate ? "truncate" : "bit-flip"; }

absl::Status DamageTail(const std::string& log_dir, Damage damage) {
  auto segment = ActiveSegment(log_dir);
  if (!segment.ok()) return segment.status();
  if (damage == Damage::kTruncate) {
    // Cut inside the last batch (a record batch here is well over 7 bytes long).
    auto size = TruncateTail(*segment, 7);
    return size.ok() ? absl::OkStatus() : size.status();
  }
  // A bit of the last record's body: the batch CRC no longer matches.
  return FlipBitNearEnd(*segment, 10);
}

class DiskFaultTest : public ::testing::Test {
 protected:
  void SetUp() override {
    cluster_ = std::make_unique<Cluster>(ClusterOptions{});
    ASSERT_TRUE(cluster_->StartAll());
    ASSERT_GT(WaitForControllerLeader(cluster_.get(), seconds(30)), 0);
    ASSERT_TRUE(WaitBrokersUnfenced(cluster_.get(), seconds(30)));
    metadata_ = std::make_unique<MetadataClient>(cluster_->ControllerAddresses());
    data_ = std::make_unique<RecordClient>(cluster_->ControllerAddresses());
  }

  void TearDown() override {
    if (HasFailure()) {
      for (const auto& node : cluster_->nodes()) {
        std::fprintf(stderr, "--- %s (%s) log tail ---\n%s\n", node->name().c_str(),
                     node->last_exit().ToString().c_str(), node->LogTail(2500).c_str());
      }
    }
    cluster_->KillAll();
  }

  // Produces values "<prefix>-<i>" one batch each with acks=all; all must be acknowledged.
  void ProduceAcked(const std::string& topic, const std::string& prefix, int count,
                    std::vector<std::string>* acked) {
    for (int i = 0; i < count; ++i) {
      const std::string v = prefix + "-" + std::to_string(i);
      Outcome o = Outcome::kFail;
      for (int attempt = 0; attempt < 50 && o == Outcome::kFail; ++attempt) {
        o = data_->Produce(&history_, 1, topic, 0, {v});
        if (o == Outcome::kFail) std::this_thread::sleep_for(milliseconds(100));
      }
      ASSERT_EQ(o, Outcome::kOk) << v << ": " << history_.Snapshot().back().error;
      acked->push_back(v);
    }
  }

  std::unique_ptr<Cluster> cluster_;
  std::unique_ptr<MetadataClient> metadata_;
  std::unique_ptr<RecordClient> data_;
  History history_;
};

TEST_F(DiskFaultTest, PartitionSegmentTailDamageIsCutBackAndNeverServed) {
  const std::string topic = "disk";
  ASSERT_TRUE(metadata_->CreateTopicForSetup(topic, 1, 3, {{"min.insync.replicas", "2"}},
                                             seconds(20)));
  ASSERT_TRUE(WaitForIsr(cluster_.get(), topic, 3, seconds(30)));
  std::vector<std::string> acked;
  for (Damage damage : {Damage::kTruncate, Damage::kBitFlip}) {
    SCOPED_TRACE(DamageName(damage));
    ProduceAcked(topic, DamageName(damage), 30, &acked);
    // Damage the leader's copy: the replica that served every acknowledged record.
    const int victim = data_->lookup()->Leader(topic, 0);
    ASSERT_GT(victim, 0);
    cluster_->broker(victim).Kill();
    ASSERT_TRUE(DamageTail(cluster_->broker(victim).data_dir() + "/" + topic + "-0", damage).ok());
    // Writes continue on the other replicas meanwhile.
    ProduceAcked(topic, std::string(DamageName(damage)) + "-while-down", 5, &acked);
    ASSERT_TRUE(cluster_->broker(victim).Start());
    ASSERT_TRUE(WaitBrokersUnfenced(cluster_.get(), seconds(30)));
    ASSERT_TRUE(WaitForIsr(cluster_.get(), topic, 3, seconds(30)))
        << "the damaged replica did not catch up and rejoin the ISR";
    EXPECT_TRUE(cluster_->broker(victim).Running());

    // Make the damaged replica the leader: gracefully stop the other two (their leadership
    // moves to it), then read everything from it.
    std::vector<int> others;
    for (int id : cluster_->broker_ids()) {
      if (id != victim) others.push_back(id);
    }
    for (int id : others) {
      bool timed_out = false;
      cluster_->broker(id).Terminate(seconds(10), &timed_out);
    }
    const auto deadline = std::chrono::steady_clock::now() + seconds(20);
    while (data_->lookup()->Leader(topic, 0) != victim &&
           std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(milliseconds(200));
    }
    ASSERT_EQ(data_->lookup()->Leader(topic, 0), victim);
    std::vector<std::string> served;
    int64_t hw = -1;
    ASSERT_TRUE(data_->ReadAll(topic, 0, &served, &hw, seconds(30)));
    EXPECT_EQ(served, acked) << "the recovered replica serves other data than was acknowledged";
    for (int id : others) ASSERT_TRUE(cluster_->broker(id).Start());
    ASSERT_TRUE(WaitBrokersUnfenced(cluster_.get(), seconds(30)));
    ASSERT_TRUE(WaitForIsr(cluster_.get(), topic, 3, seconds(30)));
  }
  // Every replica on disk holds exactly the acknowledged records.
  std::this_thread::sleep_for(seconds(2));
  for (int id : cluster_->broker_ids()) cluster_->broker(id).Kill();
  for (int id : cluster_->broker_ids()) {
    auto replica = ReadReplicaFromDisk(cluster_->broker(id).data_dir() + "/" + topic + "-0");
    ASSERT_TRUE(replica.ok()) << "b" << id << ": " << replica.status();
    EXPECT_EQ(*replica, acked) << "b" << id;
  }
}

TEST_F(DiskFaultTest, CleanlyClosedSegmentWithAFlippedBitNeverServesTheCorruptRecord) {
  // A clean shutdown marker tells recovery not to scan: the damage is found on read, which
  // must fail rather than serve the record.
  const std::string topic = "clean";
  ASSERT_TRUE(metadata_->CreateTopicForSetup(topic, 1, 3, {{"min.insync.replicas", "2"}},
                                             seconds(20)));
  ASSERT_TRUE(WaitForIsr(cluster_.get(), topic, 3, seconds(30)));
  std::vector<std::string> acked;
  ProduceAcked(topic, "c", 30, &acked);
  const int victim = data_->lookup()->Leader(topic, 0);
  ASSERT_GT(victim, 0);
  bool timed_out = false;
  ExitInfo exit = cluster_->broker(victim).Terminate(seconds(10), &timed_out);
  ASSERT_FALSE(timed_out);
  ASSERT_EQ(exit.code, 0);
  ASSERT_TRUE(DamageTail(cluster_->broker(victim).data_dir() + "/" + topic + "-0",
                         Damage::kBitFlip)
                  .ok());
  ASSERT_TRUE(cluster_->broker(victim).Start());
  ASSERT_TRUE(WaitBrokersUnfenced(cluster_.get(), seconds(30)));
  // Whatever the victim does with its copy, consumers only ever see acknowledged values at
  // their offsets; try while the victim follows and after it is made the only live replica.
  std::vector<int> others;
  for (int id : cluster_->broker_ids()) {
    if (id != victim) others.push_back(id);
  }
  for (int round = 0; round < 2; ++round) {
    if (round == 1) {
      WaitForIsr(cluster_.get(), topic, 3, seconds(20));
      for (int id : others) cluster_->broker(id).Terminate(seconds(10), &timed_out);
      std::this_thread::sleep_for(seconds(2));
    }
    int64_t offset = 0;
    for (int i = 0; i < 40; ++i) {
      const int64_t before = offset;
      data_->Fetch(&history_, 2, topic, 0, &offset);
      const Operation op = history_.Snapshot().back();
      for (const std::string& r : op.values) {
        const size_t eq = r.find('=');
        const int64_t o = std::stoll(r.substr(0, eq));
        ASSERT_LT(o, static_cast<int64_t>(acked.size())) << "served beyond what was produced";
        EXPECT_EQ(r.substr(eq + 1), acked[static_cast<size_t>(o)])
            << "a corrupt or wrong record was served at offset " << o;
      }
      if (offset == before && offset >= static_cast<int64_t>(acked.size())) break;
      if (offset == before) std::this_thread::sleep_for(milliseconds(100));
    }
  }
  EXPECT_TRUE(cluster_->broker(victim).Running())
      << "the damaged broker died: " << cluster_->broker(victim).last_exit().ToString();
}

TEST_F(DiskFaultTest, MetadataLogTailDamageRecoversAndKeepsEveryAcknowledgedTopic) {
  std::vector<std::string> acked;
  for (Damage damage : {Damage::kTruncate, Damage::kBitFlip}) {
    SCOPED_TRACE(DamageName(damage));
    for (int i = 0; i < 5; ++i) {
      const std::string name = std::string(DamageName(damage)) + "-" + std::to_string(i);
      ASSERT_TRUE(metadata_->CreateTopicForSetup(name, 1, 1, {}, seconds(20)));
      acked.push_back(name);
    }
    // Damage the leader's log: it holds every committed entry, the newest last.
    const int victim = WaitForControllerLeader(cluster_.get(), seconds(20));
    ASSERT_GT(victim, 0);
    cluster_->controller(victim).Kill();
    ASSERT_TRUE(
        DamageTail(cluster_->controller(victim).data_dir() + "/metadata-log", damage).ok());
    ASSERT_TRUE(cluster_->controller(victim).Start());
    // The quorum recovers with the damaged node in it, and takes new writes.
    ASSERT_GT(WaitForControllerLeader(cluster_.get(), seconds(30)), 0);
    const std::string after = std::string(DamageName(damage)) + "-after";
    ASSERT_TRUE(metadata_->CreateTopicForSetup(after, 1, 1, {}, seconds(20)));
    acked.push_back(after);
    const auto deadline = std::chrono::steady_clock::now() + seconds(20);
    while (!ControllerKnowsLeader(cluster_.get(), victim) &&
           std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(milliseconds(200));
    }
    ASSERT_TRUE(cluster_->controller(victim).Running())
        << "the damaged controller died: " << cluster_->controller(victim).last_exit().ToString();
    // Read the damaged node's own committed image once it has caught up.
    std::this_thread::sleep_for(seconds(2));
    controller::ListTopicsResponse list;
    {
      auto stub = controller::AdminService::NewStub(grpc::CreateChannel(
          cluster_->ControllerAddress(victim), grpc::InsecureChannelCredentials()));
      grpc::ClientContext context;
      context.set_deadline(std::chrono::system_clock::now() + seconds(3));
      ASSERT_TRUE(stub->ListTopics(&context, controller::ListTopicsRequest(), &list).ok());
    }
    std::set<std::string> names(list.names().begin(), list.names().end());
    for (const auto& n : acked) {
      EXPECT_TRUE(names.count(n)) << "acknowledged topic " << n
                                  << " missing from the damaged controller's image";
    }
  }
  // Every controller's image has every acknowledged topic.
  for (int id : cluster_->controller_ids()) {
    auto stub = controller::AdminService::NewStub(grpc::CreateChannel(
        cluster_->ControllerAddress(id), grpc::InsecureChannelCredentials()));
    controller::ListTopicsResponse list;
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + seconds(3));
    ASSERT_TRUE(stub->ListTopics(&context, controller::ListTopicsRequest(), &list).ok());
    std::set<std::string> names(list.names().begin(), list.names().end());
    for (const auto& n : acked) EXPECT_TRUE(names.count(n)) << "c" << id << " lacks " << n;
  }
  for (const auto& node : cluster_->nodes()) {
    EXPECT_TRUE(node->Running()) << node->name() << " " << node->last_exit().ToString();
  }
}

}  // namespace
}  // namespace keel::e2e
