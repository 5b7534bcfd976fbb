#include "tests/sim/cluster_sim.h"

#include <algorithm>
#include <functional>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <sstream>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "controller/raft/memory_storage.h"
#include "controller/raft/raw_node.h"

namespace keel::sim {
namespace {

using raft::Entry;
using raft::Message;

// The application: a hash chain over applied entries, so two nodes with equal state at an
// index have applied identical histories. Snapshot data is "<index> <hash>".
struct App {
  uint64_t applied_index = 0;
  uint64_t hash = 0;
};

uint64_t Chain(uint64_t hash, const Entry& e) {
  return std::hash<std::string>()(absl::StrCat(hash, "/", e.term(), "/", e.data()));
}

struct Node {
  uint64_t id = 0;
  std::unique_ptr<raft::MemoryStorage> storage;  // durable
  std::unique_ptr<raft::RawNode> raft;           // null while crashed
  App app;
  // Hash of the durable log prefix ending at each index from chain_base on (derived from
  // storage, so it survives crashes): two logs with equal (index, term) must have equal
  // prefix hashes there, which is the log matching property.
  uint64_t chain_base = 0;
  std::vector<uint64_t> chain = {0};
};

struct InFlight {
  uint64_t deliver_at;
  uint64_t sequence;  // ties broken by a seeded shuffle, not by memory order
  Message message;
};

class Simulation {
 public:
  Simulation(uint64_t seed, const SimOptions& options)
      : seed_(seed), options_(options), rng_(seed) {}

  SimResult Run();

 private:
  bool Chance(double p) { return std::uniform_real_distribution<double>(0, 1)(rng_) < p; }
  uint64_t Pick(uint64_t n) { return std::uniform_int_distribution<uint64_t>(0, n - 1)(rng_); }

  void Fail(const std::string& what) {
    if (result_.ok) {
      result_.ok = false;
      result_.failure = absl::StrCat("step ", step_, ": ", what, " (", result_.config, ")");
    }
  }

  void Start(Node& node);
  void Crash(Node& node);
  void LoseDurableTail(Node& node);
  void HandleReadies(Node& node, bool allow_crash);
  void Deliver();
  void RandomEvent();
  bool Persist(Node& node, const raft::Ready& rd, int parts);
  void NoteCommit(const Node& node, uint64_t commit);
  void CheckLeaders();
  void CheckNewLeader(const Node& node);
  bool LogHolds(const raft::MemoryStorage& s, uint64_t index, uint64_t term) const;
  void CheckCommittedDurableOnQuorum();
  void CheckApplied(const Node& node, const Entry& e);
  void AppendToChain(Node& node, const std::vector<Entry>& entries);
  void ResetChain(Node& node, uint64_t index, uint64_t term);
  void CheckLogsPairwise();
  bool LinkUp(uint64_t from, uint64_t to) const { return !blocked_.count({from, to}); }
  Node* Leader();
  void Heal(bool quiet);

  const uint64_t seed_;
  const SimOptions options_;
  std::mt19937_64 rng_;
  std::vector<Node> nodes_;
  raft::ConfState conf_;
  std::vector<InFlight> network_;
  std::set<std::pair<uint64_t, uint64_t>> blocked_;  // directed links that drop everything
  uint64_t step_ = 0;
  uint64_t sequence_ = 0;
  uint64_t proposals_ = 0;
  bool faults_ = true;
  raft::Config base_config_;

  std::map<uint64_t, uint64_t> leader_of_term_;
  // (index, term) -> hash of the log prefix ending there, over every log that held it.
  std::map<std::pair<uint64_t, uint64_t>, uint64_t> prefix_hash_at_;
  // What some node has reported committed (its HardState.commit), index -> the entry's term
  // and the term of the node that reported it first (the term it was committed in).
  struct Committed {
    uint64_t entry_term = 0;
    uint64_t commit_term = 0;
  };
  std::map<uint64_t, Committed> committed_;
  std::map<uint64_t, uint64_t> applied_hash_;  // index -> state-machine hash after applying it
  uint64_t max_committed_ = 0;
  SimResult result_;
};

void Simulation::Start(Node& node) {
  raft::Config config = base_config_;
  config.id = node.id;
  config.random_seed = rng_();
  // The application restarts from the durable snapshot (if any) and replays the rest.
  node.app = App{};
  auto snapshot = node.storage->GetSnapshot();
  if (snapshot.ok()) {
    std::vector<std::string> parts = absl::StrSplit(snapshot->data, ' ');
    absl::SimpleAtoi(parts[0], &node.app.applied_index);
    absl::SimpleAtoi(parts[1], &node.app.hash);
  }
  config.applied = node.app.applied_index;
  auto raw = raft::RawNode::Create(config, node.storage.get());
  if (!raw.ok()) {
    Fail(absl::StrCat("node ", node.id, " cannot start: ", raw.status().ToString()));
    return;
  }
  node.raft = std::move(*raw);
}

void Simulation::Crash(Node& node) {
  node.raft.reset();
  ++result_.crashes;
  if (options_.broken_storage_loses_tail) LoseDurableTail(node);
}

// A storage that breaks the persistence contract: it acknowledged entries it then loses on
// a crash (like an fsync that lied). Only for proving the invariant checks catch it.
void Simulation::LoseDurableTail(Node& node) {
  raft::MemoryStorage& old = *node.storage;
  const uint64_t lose = 1 + Pick(3);
  if (old.LastIndex() < old.FirstIndex() + lose) return;
  const uint64_t keep_last = old.LastIndex() - lose;
  auto fresh = std::make_unique<raft::MemoryStorage>(conf_);
  if (auto snapshot = old.GetSnapshot(); snapshot.ok()) (void)fresh->ApplySnapshot(*snapshot);
  if (keep_last >= old.FirstIndex()) {
    auto kept = old.Entries(old.FirstIndex(), keep_last + 1, UINT64_MAX);
    if (kept.ok()) (void)fresh->Append(*kept);
  }
  raft::HardState hs = old.hard_state();
  hs.set_commit(std::min<uint64_t>(hs.commit(), keep_last));
  fresh->SetHardState(hs);
  node.storage = std::move(fresh);
  if (keep_last >= node.chain_base) node.chain.resize(keep_last - node.chain_base + 1);
}

Node* Simulation::Leader() {
  Node* leader = nullptr;
  uint64_t best_term = 0;
  for (Node& n : nodes_) {
    if (n.raft && n.raft->role() == raft::Role::kLeader && n.raft->term() >= best_term) {
      leader = &n;
      best_term = n.raft->term();
    }
  }
  return leader;
}

// Log matching, checked on every durable append: an (index, term) pair identifies the whole
// log prefix up to it, on every node, at every step.
void Simulation::AppendToChain(Node& node, const std::vector<Entry>& entries) {
  for (const Entry& e : entries) {
    if (e.index() <= node.chain_base) continue;      // inside the node's snapshot: ignored
    node.chain.resize(e.index() - node.chain_base);  // drops a replaced suffix
    uint64_t prefix = Chain(node.chain.back(), e);
    node.chain.push_back(prefix);
    auto [it, inserted] = prefix_hash_at_.emplace(std::make_pair(e.index(), e.term()), prefix);
    if (!inserted && it->second != prefix) {
      Fail(absl::StrCat("log matching: node ", node.id, " holds entry ", e.index(), " of term ",
                        e.term(), " after a log prefix that differs from another node's"));
      return;
    }
  }
}

void Simulation::ResetChain(Node& node, uint64_t index, uint64_t term) {
  auto it = prefix_hash_at_.find({index, term});
  if (it == prefix_hash_at_.end()) {
    Fail(absl::StrCat("node ", node.id, " installed a snapshot at ", index, " term ", term,
                      " that no log ever held"));
    return;
  }
  node.chain_base = index;
  node.chain.assign(1, it->second);
}

void Simulation::CheckApplied(const Node& node, const Entry& e) {
  // Entries below a snapshot that its reporter installed have no recorded term.
  auto c = committed_.find(e.index());
  if (c != committed_.end() && c->second.entry_term != e.term()) {
    Fail(absl::StrCat("state machine safety: node ", node.id, " applied index ", e.index(),
                      " of term ", e.term(), " but term ", c->second.entry_term,
                      " was committed there"));
    return;
  }
  if (e.index() > max_committed_) {
    Fail(absl::StrCat("node ", node.id, " applied ", e.index(), " beyond every commit index"));
    return;
  }
  auto [it, inserted] = applied_hash_.emplace(e.index(), node.app.hash);
  if (!inserted && it->second != node.app.hash) {
    Fail(absl::StrCat("state machine safety: node ", node.id, " applied a different entry at ",
                      e.index()));
  }
}

bool Simulation::LogHolds(const raft::MemoryStorage& s, uint64_t index, uint64_t term) const {
  if (index + 1 < s.FirstIndex()) return true;  // inside its snapshot (checked on install)
  auto t = s.Term(index);
  return t.ok() && *t == term;
}

void Simulation::NoteCommit(const Node& node, uint64_t commit) {
  // Called once the node's Ready is persisted, so every entry up to `commit` is in storage
  // (or in its snapshot, whose entries' terms are no longer known here).
  for (uint64_t i = max_committed_ + 1; i <= commit; ++i) {
    auto t = node.storage->Term(i);
    if (!t.ok()) continue;
    committed_[i] = Committed{*t, node.raft->term()};
  }
  max_committed_ = std::max(max_committed_, commit);
}

// No committed entry is ever lost: the newest one is durable on a majority of voters at every
// step, whatever crashed (then, by log matching, so is everything before it).
void Simulation::CheckCommittedDurableOnQuorum() {
  auto c = committed_.find(max_committed_);
  if (c == committed_.end()) return;
  int holders = 0;
  for (int v = 0; v < options_.voters; ++v) {
    if (LogHolds(*nodes_[v].storage, c->first, c->second.entry_term)) ++holders;
  }
  if (holders < options_.voters / 2 + 1) {
    Fail(absl::StrCat("durability: committed entry ", c->first, " is durable on only ", holders,
                      " of ", options_.voters, " voters"));
  }
}

void Simulation::CheckNewLeader(const Node& node) {
  const uint64_t term = node.raft->term();
  auto [it, inserted] = leader_of_term_.emplace(term, node.id);
  if (!inserted && it->second != node.id) {
    Fail(absl::StrCat("election safety: nodes ", it->second, " and ", node.id, " both lead term ",
                      term));
  }
  if (inserted) ++result_.elections;
  // Leader completeness: every entry committed in an earlier term is in the new leader's log.
  for (const auto& [index, c] : committed_) {
    if (c.commit_term < term && !LogHolds(*node.storage, index, c.entry_term)) {
      Fail(absl::StrCat("leader completeness: leader ", node.id, " of term ", term, " lacks entry ",
                        index, " committed in term ", c.commit_term));
      return;
    }
  }
}

// Persists the first `parts` of (snapshot, entries, hard state), in the order ready.h
// prescribes. Returns false on failure.
bool Simulation::Persist(Node& node, const raft::Ready& rd, int parts) {
  if (parts >= 1 && rd.snapshot.has_value()) {
    if (auto s = node.storage->ApplySnapshot(*rd.snapshot); !s.ok()) {
      Fail(absl::StrCat("node ", node.id, " cannot persist snapshot: ", s.ToString()));
      return false;
    }
    ResetChain(node, rd.snapshot->metadata.index(), rd.snapshot->metadata.term());
  }
  if (parts >= 2) {
    if (auto s = node.storage->Append(rd.entries); !s.ok()) {
      Fail(absl::StrCat("node ", node.id, " cannot append: ", s.ToString()));
      return false;
    }
    AppendToChain(node, rd.entries);
  }
  if (parts >= 3 && rd.hard_state.has_value()) {
    node.storage->SetHardState(*rd.hard_state);
    NoteCommit(node, rd.hard_state->commit());
  }
  return true;
}

void Simulation::HandleReadies(Node& node, bool allow_crash) {
  for (int rounds = 0; node.raft && node.raft->HasReady() && rounds < 100; ++rounds) {
    raft::Ready rd = node.raft->GetReady();
    if (allow_crash && faults_ && Chance(options_.crash_mid_ready_probability)) {
      // Crash while persisting: a prefix of the Ready reaches the disk (possibly none of it,
      // possibly all of it), nothing is sent or applied.
      Persist(node, rd, static_cast<int>(Pick(4)));
      Crash(node);
      return;
    }
    if (!Persist(node, rd, 3)) return;
    if (rd.snapshot.has_value()) {
      std::vector<std::string> parts = absl::StrSplit(rd.snapshot->data, ' ');
      App restored;
      absl::SimpleAtoi(parts[0], &restored.applied_index);
      absl::SimpleAtoi(parts[1], &restored.hash);
      auto h = applied_hash_.find(restored.applied_index);
      if (h != applied_hash_.end() && h->second != restored.hash) {
        Fail(absl::StrCat("node ", node.id, " installed a snapshot that disagrees at ",
                          restored.applied_index));
      }
      node.app = restored;
      ++result_.snapshots_installed;
    }
    for (Message& m : rd.messages) {
      if (!LinkUp(m.from(), m.to())) continue;
      if (faults_ && Chance(options_.drop_probability)) continue;
      int copies = faults_ && Chance(options_.duplicate_probability) ? 2 : 1;
      for (int c = 0; c < copies; ++c) {
        uint64_t delay = faults_ ? Pick(options_.max_delay_steps + 1) : 0;
        network_.push_back(InFlight{step_ + delay, sequence_++, m});
      }
    }
    if (rd.soft_state.has_value() && rd.soft_state->role == raft::Role::kLeader) {
      CheckNewLeader(node);
    }
    for (const Entry& e : rd.committed_entries) {
      if (e.index() <= node.app.applied_index) continue;
      if (e.index() != node.app.applied_index + 1) {
        Fail(absl::StrCat("node ", node.id, " applied ", e.index(), " after ",
                          node.app.applied_index));
        return;
      }
      node.app.hash = Chain(node.app.hash, e);
      node.app.applied_index = e.index();
      CheckApplied(node, e);
    }
    node.raft->Advance(rd);
  }
}

void Simulation::Deliver() {
  std::vector<InFlight> due, later;
  for (InFlight& f : network_) (f.deliver_at <= step_ ? due : later).push_back(std::move(f));
  network_ = std::move(later);
  std::shuffle(due.begin(), due.end(), rng_);  // reordering
  for (InFlight& f : due) {
    Node& to = nodes_[f.message.to() - 1];
    if (!to.raft || !LinkUp(f.message.from(), f.message.to())) continue;
    ++result_.messages_delivered;
    if (auto s = to.raft->Step(f.message); !s.ok()) {
      Fail(absl::StrCat("node ", to.id, " rejected a message: ", s.ToString()));
    }
  }
}

void Simulation::RandomEvent() {
  if (Chance(options_.propose_probability)) {
    if (Node* leader = Leader()) {
      (void)leader->raft->Propose(absl::StrCat("v", seed_, "-", proposals_++));
    }
  }
  if (!faults_) return;
  if (Chance(options_.crash_probability)) {
    Node& n = nodes_[Pick(nodes_.size())];
    if (n.raft) Crash(n);
  }
  for (Node& n : nodes_) {
    if (!n.raft && Chance(options_.restart_probability)) Start(n);
  }
  if (Chance(options_.partition_probability)) {
    // Cut one node off; half the time only one direction (asymmetric partition).
    uint64_t victim = 1 + Pick(nodes_.size());
    bool asymmetric = Chance(0.5);
    bool inbound = Chance(0.5);
    for (const Node& other : nodes_) {
      if (other.id == victim) continue;
      if (!asymmetric || inbound) blocked_.insert({other.id, victim});
      if (!asymmetric || !inbound) blocked_.insert({victim, other.id});
    }
  }
  if (Chance(options_.heal_probability)) blocked_.clear();
  if (Chance(options_.snapshot_probability)) {
    Node& n = nodes_[Pick(nodes_.size())];
    if (n.raft && n.app.applied_index > n.storage->FirstIndex()) {
      uint64_t index = n.app.applied_index;
      if (n.storage->CreateSnapshot(index, absl::StrCat(index, " ", n.app.hash)).ok()) {
        // Keep a few entries so slightly lagging followers need no snapshot.
        uint64_t keep = Pick(4);
        (void)n.storage->Compact(index > keep ? index - keep : index);
      }
    }
  }
  if (Chance(options_.transfer_probability)) {
    if (Node* leader = Leader()) {
      (void)leader->raft->TransferLeadership(1 + Pick(options_.voters));
    }
  }
}

void Simulation::CheckLeaders() {
  auto newest = committed_.find(max_committed_);
  for (Node& n : nodes_) {
    if (!n.raft || n.raft->role() != raft::Role::kLeader) continue;
    const uint64_t term = n.raft->term();
    auto it = leader_of_term_.find(term);
    if (it != leader_of_term_.end() && it->second != n.id) {
      Fail(absl::StrCat("election safety: two leaders in term ", term));
    }
    if (newest != committed_.end() && newest->second.commit_term < term &&
        !LogHolds(*n.storage, newest->first, newest->second.entry_term)) {
      Fail(absl::StrCat("leader completeness: leader ", n.id, " of term ", term, " lacks entry ",
                        newest->first, " committed in term ", newest->second.commit_term));
    }
  }
  CheckCommittedDurableOnQuorum();
}

void Simulation::CheckLogsPairwise() {
  for (size_t a = 0; a < nodes_.size(); ++a) {
    for (size_t b = a + 1; b < nodes_.size(); ++b) {
      const raft::MemoryStorage& x = *nodes_[a].storage;
      const raft::MemoryStorage& y = *nodes_[b].storage;
      uint64_t lo = std::max(x.FirstIndex(), y.FirstIndex());
      uint64_t hi = std::min(x.LastIndex(), y.LastIndex());
      // Find the last index where both have the same term; everything before must match.
      uint64_t match = 0;
      for (uint64_t i = hi; i >= lo && i > 0; --i) {
        if (*x.Term(i) == *y.Term(i)) {
          match = i;
          break;
        }
      }
      for (uint64_t i = lo; i <= match; ++i) {
        auto ex = x.Entries(i, i + 1, UINT64_MAX);
        auto ey = y.Entries(i, i + 1, UINT64_MAX);
        if (!ex.ok() || !ey.ok() || (*ex)[0].term() != (*ey)[0].term() ||
            (*ex)[0].data() != (*ey)[0].data()) {
          Fail(absl::StrCat("log matching: nodes ", nodes_[a].id, " and ", nodes_[b].id,
                            " differ at ", i, " below their match at ", match));
          return;
        }
      }
    }
  }
}

void Simulation::Heal(bool quiet) {
  faults_ = !quiet;
  blocked_.clear();
  for (Node& n : nodes_) {
    if (!n.raft) Start(n);
  }
}

SimResult Simulation::Run() {
  base_config_.election_ticks = options_.election_ticks;
  base_config_.heartbeat_ticks = 1;
  base_config_.max_inflight_appends = 4;
  base_config_.max_append_bytes = 256;
  base_config_.snapshot_chunk_bytes = options_.snapshot_chunk_bytes;
  if (options_.vary_config) {
    const uint64_t append_bytes[] = {1, 256, 1 << 16};
    const int inflight[] = {1, 4, 64};
    base_config_.max_append_bytes = append_bytes[Pick(3)];
    base_config_.max_inflight_appends = inflight[Pick(3)];
    base_config_.pre_vote = !Chance(0.25);
    base_config_.check_quorum = !Chance(0.25);
  }
  result_.config = absl::StrCat("max_append_bytes=", base_config_.max_append_bytes,
                                " max_inflight_appends=", base_config_.max_inflight_appends,
                                " pre_vote=", base_config_.pre_vote,
                                " check_quorum=", base_config_.check_quorum);
  const int members = options_.voters + options_.observers;
  for (int i = 1; i <= options_.voters; ++i) conf_.add_voters(i);
  for (int i = options_.voters + 1; i <= members; ++i) conf_.add_observers(i);
  for (int i = 1; i <= members; ++i) {
    Node n;
    n.id = i;
    n.storage = std::make_unique<raft::MemoryStorage>(conf_);
    nodes_.push_back(std::move(n));
  }
  for (Node& n : nodes_) Start(n);

  for (step_ = 0; step_ < static_cast<uint64_t>(options_.steps) && result_.ok; ++step_) {
    for (Node& n : nodes_) {
      if (n.raft) n.raft->Tick();
    }
    Deliver();
    RandomEvent();
    for (Node& n : nodes_) HandleReadies(n, true);
    CheckLeaders();
  }
  result_.committed = max_committed_;
  if (!result_.ok) return result_;

  // Heal everything; the cluster must converge and commit a new entry everywhere.
  Heal(true);
  uint64_t final_index = 0;
  const std::string final_value = absl::StrCat("final-", seed_);
  for (int quiet = 0; quiet < 400 && result_.ok; ++quiet, ++step_) {
    for (Node& n : nodes_) n.raft->Tick();
    Deliver();
    for (Node& n : nodes_) HandleReadies(n, false);
    Node* leader = Leader();
    // Like a client, re-propose if the entry was lost to a leader change.
    CheckLeaders();
    if (leader != nullptr && quiet > 20 && (final_index == 0 || quiet % 100 == 0)) {
      bool applied_somewhere = false;
      for (const Node& n : nodes_)
        applied_somewhere |= final_index && n.app.applied_index >= final_index;
      if (!applied_somewhere && leader->raft->Propose(final_value).ok()) {
        final_index = leader->raft->GetStatus().last_index;
      }
    }
    bool all_applied = final_index != 0;
    for (const Node& n : nodes_) all_applied = all_applied && n.app.applied_index >= final_index;
    if (all_applied && network_.empty()) break;
  }
  if (result_.ok) {
    for (const Node& n : nodes_) {
      if (final_index == 0 || n.app.applied_index < final_index) {
        std::string detail;
        if (Node* leader = Leader()) {
          raft::Status st = leader->raft->GetStatus();
          for (const auto& [id, p] : st.progress) {
            absl::StrAppend(&detail, " [", id, " match=", p.match, " next=", p.next,
                            " state=", static_cast<int>(p.state), "]");
          }
          absl::StrAppend(&detail, " leader=", leader->id, " commit=", st.commit,
                          " last=", st.last_index);
        }
        raft::Status ns = n.raft->GetStatus();
        absl::StrAppend(&detail, " node: role=", raft::RoleName(ns.role), " term=", ns.term,
                        " lead=", ns.lead, " commit=", ns.commit, " storage=[",
                        n.storage->FirstIndex(), ",", n.storage->LastIndex(), "]");
        Fail(absl::StrCat("no convergence after healing: node ", n.id, " applied ",
                          n.app.applied_index, ", final entry at ", final_index, detail));
        break;
      }
      if (n.app.applied_index < max_committed_) {
        Fail(absl::StrCat("durability: node ", n.id, " lost committed entries"));
      }
    }
  }
  if (result_.ok) CheckLogsPairwise();
  result_.committed = max_committed_;
  return result_;
}

}  // namespace

SimResult RunSeed(uint64_t seed, const SimOptions& options) {
  return Simulation(seed, options).Run();
}

std::string ReplayCommand(uint64_t seed, const SimOptions& options) {
  return absl::StrCat(
      "bazel run //tests/sim:raft_sim -- --seeds=1 --first_seed=", seed,
      " --voters=", options.voters, " --observers=", options.observers, " --steps=", options.steps,
      " --drop=", options.drop_probability, " --duplicate=", options.duplicate_probability,
      " --crash=", options.crash_probability,
      " --crash_mid_ready=", options.crash_mid_ready_probability,
      " --partition=", options.partition_probability, " --snapshot=", options.snapshot_probability,
      " --vary_config=", options.vary_config);
}

}  // namespace keel::sim
