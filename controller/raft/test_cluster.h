// A tiny deterministic cluster for unit tests: messages are queued and delivered only when
// the test says so, through a filter that can drop them (partitions).
#ifndef KEEL_CONTROLLER_RAFT_TEST_CLUSTER_H_
#define KEEL_CONTROLLER_RAFT_TEST_CLUSTER_H_

#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "controller/raft/memory_storage.h"
#include "controller/raft/raw_node.h"

namespace keel::raft {

class TestCluster {
 public:
  // Voters 1..voters, observers voters+1..voters+observers.
  TestCluster(int voters, int observers = 0, Config base = {});

  RawNode& node(uint64_t id) { return *nodes_.at(id).raft; }
  MemoryStorage& storage(uint64_t id) { return *nodes_.at(id).storage; }
  const std::vector<std::string>& applied(uint64_t id) { return nodes_.at(id).applied; }

  // Drains every node's Ready: persists, queues messages, applies committed entries.
  void Process();
  // Delivers queued messages (repeatedly, including those sent in reaction) until none
  // remain; `drop(m)` true drops a message.
  void Deliver();
  void Tick(uint64_t id, int ticks = 1);
  void TickAll(int ticks = 1);
  // Isolates a node both ways (or heals when `isolated` is false).
  void Isolate(uint64_t id, bool isolated = true);
  void Crash(uint64_t id);
  void Restart(uint64_t id);
  // Campaigns from `id` and delivers until quiet; returns the leader id seen by `id`.
  uint64_t Elect(uint64_t id);
  // The unique leader among running nodes with the highest term, or 0.
  uint64_t Leader();

  std::function<bool(const Message&)> drop = [](const Message&) { return false; };
  // Whether applied() records entry data (the benchmark turns it off to measure the core,
  // not a growing vector of strings).
  bool record_applied = true;
  // Snapshots every running node at its applied index and compacts its log there (what an
  // application does periodically to bound its log).
  void CompactAll();
  int delivered_of_type(MessageType t) const {
    auto it = delivered_.find(t);
    return it == delivered_.end() ? 0 : it->second;
  }

 private:
  struct Node {
    std::unique_ptr<MemoryStorage> storage;
    std::unique_ptr<RawNode> raft;
    std::vector<std::string> applied;  // data of applied ENTRY_NORMAL entries
  };
  void Start(uint64_t id);

  Config base_;
  ConfState conf_;
  std::map<uint64_t, Node> nodes_;
  std::deque<Message> queue_;
  std::set<uint64_t> isolated_;
  std::map<MessageType, int> delivered_;
};

}  // namespace keel::raft

#endif  // KEEL_CONTROLLER_RAFT_TEST_CLUSTER_H_
