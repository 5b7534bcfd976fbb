#include "tests/e2e/cluster.h"

#include <unistd.h>

#include "tests/integration/process.h"

namespace keel::e2e {

Cluster::Cluster(ClusterOptions options) : options_(std::move(options)) {
  root_ = testing::MakeTempDir("e2e");
  cluster_id_ = "e2e-" + std::to_string(::getpid());
  std::string voters;
  for (int id = 1; id <= options_.controllers; ++id) {
    controller_ports_.push_back(testing::PickFreePort());
    if (!voters.empty()) voters += ",";
    voters += std::to_string(id) + "@" + ControllerAddress(id);
  }
  std::string controllers;
  for (int id = 1; id <= options_.controllers; ++id) {
    if (!controllers.empty()) controllers += ",";
    controllers += ControllerAddress(id);
  }
  for (int id = 1; id <= options_.controllers; ++id) {
    const std::string dir = root_ + "/c" + std::to_string(id);
    std::vector<std::string> argv = {
        testing::RunfilePath("controller/keel-controller"),
        "--node_id=" + std::to_string(id),
        "--listen=" + ControllerAddress(id),
        "--voters=" + voters,
        "--data_dir=" + dir,
        "--cluster_id=" + cluster_id_,
        "--election_timeout_ms=" + std::to_string(options_.election_timeout_ms),
        "--heartbeat_interval_ms=" + std::to_string(options_.controller_heartbeat_interval_ms),
        "--broker_session_timeout_ms=" + std::to_string(options_.broker_session_timeout_ms),
    };
    for (const auto& f : options_.controller_flags) argv.push_back(f);
    nodes_.push_back(std::make_unique<Node>(Node::Role::kController, id, std::move(argv), dir,
                                            dir + ".log"));
  }
  for (int id = 1; id <= options_.brokers; ++id) {
    const std::string dir = root_ + "/b" + std::to_string(id);
    std::vector<std::string> argv = {
        testing::RunfilePath("broker/keel-broker"),
        "--broker_id=" + std::to_string(id),
        "--listen=127.0.0.1:" + std::to_string(testing::PickFreePort()),
        "--controllers=" + controllers,
        "--data_dirs=" + dir,
        "--cluster_id=" + cluster_id_,
        "--heartbeat_interval_ms=" + std::to_string(options_.broker_heartbeat_interval_ms),
        "--broker_session_timeout_ms=" + std::to_string(options_.broker_session_timeout_ms),
    };
    for (const auto& f : options_.broker_flags) argv.push_back(f);
    nodes_.push_back(std::make_unique<Node>(Node::Role::kBroker, id, std::move(argv), dir,
                                            dir + ".log"));
  }
}

bool Cluster::StartAll() {
  for (auto& node : nodes_) {
    if (!node->Start()) return false;
  }
  return true;
}

void Cluster::KillAll() {
  for (auto& node : nodes_) node->Kill();
}

std::vector<int> Cluster::controller_ids() const {
  std::vector<int> ids;
  for (int id = 1; id <= options_.controllers; ++id) ids.push_back(id);
  return ids;
}

std::vector<int> Cluster::broker_ids() const {
  std::vector<int> ids;
  for (int id = 1; id <= options_.brokers; ++id) ids.push_back(id);
  return ids;
}

std::string Cluster::ControllerAddress(int id) const {
  return "127.0.0.1:" + std::to_string(controller_ports_.at(static_cast<size_t>(id - 1)));
}

std::vector<std::string> Cluster::ControllerAddresses() const {
  std::vector<std::string> out;
  for (int id = 1; id <= options_.controllers; ++id) out.push_back(ControllerAddress(id));
  return out;
}

}  // namespace keel::e2e
