#include "controller/raft/test_cluster.h"

#include <cstdlib>

namespace keel::raft {

TestCluster::TestCluster(int voters, int observers, Config base) : base_(base) {
  for (int i = 1; i <= voters; ++i) conf_.add_voters(i);
  for (int i = voters + 1; i <= voters + observers; ++i) conf_.add_observers(i);
  for (int i = 1; i <= voters + observers; ++i) {
    nodes_[i].storage = std::make_unique<MemoryStorage>(conf_);
    Start(i);
  }
}

void TestCluster::Start(uint64_t id) {
  Config config = base_;
  config.id = id;
  config.random_seed = id * 7919;
  auto raw = RawNode::Create(config, nodes_[id].storage.get());
  if (!raw.ok()) std::abort();
  nodes_[id].raft = std::move(*raw);
}

void TestCluster::Crash(uint64_t id) { nodes_[id].raft.reset(); }

void TestCluster::Restart(uint64_t id) {
  nodes_[id].applied.clear();
  Start(id);
}

void TestCluster::Process() {
  for (auto& [id, n] : nodes_) {
    while (n.raft && n.raft->HasReady()) {
      Ready rd = n.raft->GetReady();
      if (rd.snapshot) (void)n.storage->ApplySnapshot(*rd.snapshot);
      (void)n.storage->Append(rd.entries);
      if (rd.hard_state) n.storage->SetHardState(*rd.hard_state);
      for (Message& m : rd.messages) queue_.push_back(std::move(m));
      for (const Entry& e : rd.committed_entries) {
        if (record_applied && e.type() == ENTRY_NORMAL) n.applied.push_back(e.data());
      }
      n.raft->Advance(rd);
    }
  }
}

void TestCluster::Deliver() {
  Process();
  for (int guard = 0; !queue_.empty() && guard < 100000; ++guard) {
    Message m = std::move(queue_.front());
    queue_.pop_front();
    Node& to = nodes_.at(m.to());
    if (!to.raft || isolated_.count(m.from()) || isolated_.count(m.to()) || drop(m)) continue;
    ++delivered_[m.type()];
    (void)to.raft->Step(m);
    Process();
  }
}

void TestCluster::Tick(uint64_t id, int ticks) {
  for (int i = 0; i < ticks; ++i) {
    if (nodes_[id].raft) nodes_[id].raft->Tick();
    Deliver();
  }
}

void TestCluster::TickAll(int ticks) {
  for (int i = 0; i < ticks; ++i) {
    for (auto& [id, n] : nodes_) {
      if (n.raft) n.raft->Tick();
    }
    Deliver();
  }
}

void TestCluster::CompactAll() {
  for (auto& [id, n] : nodes_) {
    if (!n.raft) continue;
    uint64_t applied = n.raft->GetStatus().applied;
    if (applied < n.storage->FirstIndex()) continue;
    if (n.storage->CreateSnapshot(applied, "").ok()) (void)n.storage->Compact(applied);
  }
}

void TestCluster::Isolate(uint64_t id, bool isolated) {
  if (isolated) {
    isolated_.insert(id);
  } else {
    isolated_.erase(id);
  }
}

uint64_t TestCluster::Elect(uint64_t id) {
  (void)nodes_[id].raft->Campaign();
  Deliver();
  return nodes_[id].raft->leader();
}

uint64_t TestCluster::Leader() {
  uint64_t leader = 0, term = 0;
  for (auto& [id, n] : nodes_) {
    if (n.raft && n.raft->role() == Role::kLeader && n.raft->term() >= term) {
      leader = id;
      term = n.raft->term();
    }
  }
  return leader;
}

}  // namespace keel::raft
