#include "tests/e2e/nemesis.h"

#include <signal.h>

#include <cstdio>
#include <random>

namespace keel::e2e {
namespace {

const char* RoleName(Node::Role role) {
  return role == Node::Role::kController ? "controller" : "broker";
}

int64_t Uniform(std::mt19937_64& rng, int64_t lo, int64_t hi) {
  return std::uniform_int_distribution<int64_t>(lo, hi)(rng);
}

}  // namespace

const char* FaultKindName(FaultKind kind) {
  switch (kind) {
    case FaultKind::kKill: return "kill";
    case FaultKind::kPause: return "pause";
    case FaultKind::kTerminate: return "terminate";
  }
  return "?";
}

std::string Fault::ToString() const {
  return std::string(FaultKindName(kind)) + " " + (role == Node::Role::kController ? "c" : "b") +
         std::to_string(node_id) + " for " + std::to_string(duration_ms) + " ms (after " +
         std::to_string(gap_ms) + " ms)";
}

std::vector<Fault> LaneSchedule(uint64_t seed, Node::Role role, const std::vector<int>& ids,
                                int64_t count) {
  // Each lane has its own stream, so a lane's schedule does not depend on the other's.
  std::mt19937_64 rng(seed * 2 + (role == Node::Role::kController ? 0 : 1));
  std::vector<Fault> out;
  for (int64_t i = 0; i < count; ++i) {
    Fault f;
    f.role = role;
    f.node_id = ids[static_cast<size_t>(Uniform(rng, 0, static_cast<int64_t>(ids.size()) - 1))];
    const int64_t k = Uniform(rng, 0, 99);
    f.kind = k < 40 ? FaultKind::kKill : k < 75 ? FaultKind::kPause : FaultKind::kTerminate;
    switch (f.kind) {
      case FaultKind::kKill:
        f.duration_ms = Uniform(rng, 100, 1000);
        break;
      case FaultKind::kPause:
        // Real 1-10 s pauses, mostly short so that a CI run fits 100 faults in minutes; the
        // long ones outlast the broker session (fencing) and several election timeouts.
        f.duration_ms = Uniform(rng, 0, 99) < 80 ? Uniform(rng, 1000, 2500)
                                                 : Uniform(rng, 2500, 10000);
        break;
      case FaultKind::kTerminate:
        f.duration_ms = Uniform(rng, 100, 500);
        break;
    }
    f.gap_ms = Uniform(rng, 100, 600);
    out.push_back(f);
  }
  return out;
}

Nemesis::Nemesis(Cluster* cluster, NemesisOptions options, std::function<bool(Node&)> recovered)
    : cluster_(cluster), options_(options), recovered_(std::move(recovered)) {
  start_ = std::chrono::steady_clock::now();
  for (const auto& node : cluster_->nodes()) {
    expected_up_[node.get()] = true;
    paused_[node.get()] = false;
  }
}

Nemesis::~Nemesis() { StopWatcher(); }

void Nemesis::Note(std::vector<std::string>* list, const std::string& line) {
  const double t = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  char prefix[32];
  std::snprintf(prefix, sizeof(prefix), "[%8.3f s] ", t);
  std::lock_guard<std::mutex> lock(mu_);
  list->push_back(prefix + line);
}

void Nemesis::SetExpectedUp(Node& node, bool up) {
  std::lock_guard<std::mutex> lock(mu_);
  expected_up_[&node] = up;
}

void Nemesis::WatchOnce() {
  for (const auto& node : cluster_->nodes()) {
    std::string death;
    {
      // Holding mu_ across the check: the nemesis marks a node down before it signals it.
      std::lock_guard<std::mutex> lock(mu_);
      if (!expected_up_[node.get()] || node->Running()) continue;
      expected_up_[node.get()] = false;  // report once
      death = node->name() + " died without an injected fault: " +
              node->last_exit().ToString() + "\n--- log tail of " + node->name() + " ---\n" +
              node->LogTail();
    }
    Note(&anomalies_, death);
    std::fprintf(stderr, "NEMESIS: %s\n", death.c_str());
  }
}

void Nemesis::StartWatcher() {
  watcher_stop_ = false;
  watcher_ = std::thread([this] {
    while (!watcher_stop_) {
      WatchOnce();
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  });
}

void Nemesis::StopWatcher() {
  watcher_stop_ = true;
  if (watcher_.joinable()) watcher_.join();
}

bool Nemesis::SleepUnlessStopped(int64_t ms) {
  const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
  while (std::chrono::steady_clock::now() < until) {
    if (stop_) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return !stop_;
}

void Nemesis::Apply(const Fault& fault) {
  Node& node = fault.role == Node::Role::kController ? cluster_->controller(fault.node_id)
                                                     : cluster_->broker(fault.node_id);
  Note(&timeline_, fault.ToString());
  switch (fault.kind) {
    case FaultKind::kKill:
      SetExpectedUp(node, false);
      node.Kill();
      std::this_thread::sleep_for(std::chrono::milliseconds(fault.duration_ms));
      break;
    case FaultKind::kPause: {
      {
        std::lock_guard<std::mutex> lock(mu_);
        paused_[&node] = true;
      }
      node.Pause();
      std::this_thread::sleep_for(std::chrono::milliseconds(fault.duration_ms));
      node.Resume();
      std::lock_guard<std::mutex> lock(mu_);
      paused_[&node] = false;
      break;
    }
    case FaultKind::kTerminate: {
      SetExpectedUp(node, false);
      const auto begin = std::chrono::steady_clock::now();
      bool timed_out = false;
      ExitInfo exit = node.Terminate(std::chrono::milliseconds(options_.terminate_grace_ms),
                                     &timed_out);
      const int64_t took_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                                  std::chrono::steady_clock::now() - begin)
                                  .count();
      if (timed_out) {
        Note(&warnings_, node.name() + " did not stop within " +
                             std::to_string(options_.terminate_grace_ms) +
                             " ms of SIGTERM; killed");
      } else if (exit.signal != 0 || exit.code != 0) {
        Note(&anomalies_, node.name() + " " + exit.ToString() + " after SIGTERM (graceful stop)" +
                              "\n--- log tail ---\n" + node.LogTail());
      } else {
        Note(&timeline_, node.name() + " stopped cleanly in " + std::to_string(took_ms) + " ms");
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(fault.duration_ms));
      break;
    }
  }
  if (!node.Running()) {
    if (!node.Start()) Note(&anomalies_, "cannot restart " + node.name());
    SetExpectedUp(node, true);
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    ++counts_[FaultKindName(fault.kind)];
    ++counts_[std::string(RoleName(fault.role)) + " " + FaultKindName(fault.kind)];
  }
  ++total_;
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::milliseconds(options_.recovery_timeout_ms);
  while (!recovered_(node)) {
    if (std::chrono::steady_clock::now() >= deadline) {
      Note(&warnings_, node.name() + " not recovered within " +
                           std::to_string(options_.recovery_timeout_ms) + " ms of " +
                           fault.ToString());
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

void Nemesis::RunLane(Node::Role role, const std::vector<int>& ids, uint64_t seed) {
  // Enough schedule for any run; lanes stop early on the shared budget.
  const std::vector<Fault> schedule = LaneSchedule(seed, role, ids, options_.max_faults);
  for (const Fault& fault : schedule) {
    if (!SleepUnlessStopped(fault.gap_ms)) return;
    if (total_.load() >= options_.max_faults) {
      stop_ = true;
      return;
    }
    Apply(fault);
  }
}

void Nemesis::Run() {
  stop_ = false;
  std::thread controllers(
      [this] { RunLane(Node::Role::kController, cluster_->controller_ids(), options_.seed); });
  std::thread brokers(
      [this] { RunLane(Node::Role::kBroker, cluster_->broker_ids(), options_.seed); });
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::milliseconds(options_.max_duration_ms);
  while (!stop_ && std::chrono::steady_clock::now() < deadline &&
         total_.load() < options_.max_faults) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  stop_ = true;
  controllers.join();
  brokers.join();
}

void Nemesis::Heal() {
  for (const auto& node : cluster_->nodes()) {
    node->Resume();
    // A node that died unexpectedly is restarted too (its death stays reported).
    if (!node->Running() && node->Start()) SetExpectedUp(*node, true);
  }
}

std::map<std::string, int64_t> Nemesis::Counts() const {
  std::lock_guard<std::mutex> lock(mu_);
  return counts_;
}

std::vector<std::string> Nemesis::Anomalies() const {
  std::lock_guard<std::mutex> lock(mu_);
  return anomalies_;
}

std::vector<std::string> Nemesis::Warnings() const {
  std::lock_guard<std::mutex> lock(mu_);
  return warnings_;
}

std::vector<std::string> Nemesis::Timeline() const {
  std::lock_guard<std::mutex> lock(mu_);
  return timeline_;
}

}  // namespace keel::e2e
