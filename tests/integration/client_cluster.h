// The cluster the client-facing integration tests run against: one controller and a set of
// brokers (real processes, tests/integration/broker_cluster.h), started and unfenced, with a
// client::AdminClient on the controller.
#ifndef KEEL_TESTS_INTEGRATION_CLIENT_CLUSTER_H_
#define KEEL_TESTS_INTEGRATION_CLIENT_CLUSTER_H_

#include <memory>
#include <string>
#include <vector>

#include "client/admin_client.h"
#include "tests/integration/broker_cluster.h"
#include "tests/integration/controller_cluster.h"

namespace keel::testing {

// Members in start order, so that they are destroyed in reverse: clients, then brokers, then
// the controller.
struct ClientCluster {
  std::unique_ptr<ControllerCluster> controllers;
  std::unique_ptr<ControllerClient> controller_client;
  std::unique_ptr<BrokerSet> brokers;
  std::shared_ptr<client::AdminClient> admin;

  // Starts `broker_options.brokers` brokers (with its extra flags) under one controller and
  // waits up to 20 s for a leader, then up to 20 s for every broker to be unfenced. False when
  // a step failed; the members started so far are set (their logs explain it).
  bool Start(const BrokerSetOptions& broker_options);
};

}  // namespace keel::testing

#endif  // KEEL_TESTS_INTEGRATION_CLIENT_CLUSTER_H_
