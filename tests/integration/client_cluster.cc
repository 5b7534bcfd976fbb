#include "tests/integration/client_cluster.h"

#include <chrono>

namespace keel::testing {

bool ClientCluster::Start(const BrokerSetOptions& broker_options) {
  using std::chrono::seconds;
  ControllerClusterOptions controller_options;
  controller_options.voters = 1;
  controllers = std::make_unique<ControllerCluster>(controller_options);
  if (!controllers->StartAll() || controllers->WaitForLeader(seconds(20)) <= 0) return false;
  std::vector<std::string> addresses;
  for (int id : controllers->ids()) addresses.push_back(controllers->Address(id));
  controller_client = std::make_unique<ControllerClient>(addresses);
  brokers = std::make_unique<BrokerSet>(controllers.get(), broker_options);
  if (!brokers->StartAll() || !brokers->WaitAllUnfenced(controller_client.get(), seconds(20))) {
    return false;
  }
  client::AdminClientOptions admin_options;
  admin_options.controllers = addresses;
  admin = std::make_shared<client::AdminClient>(admin_options);
  return true;
}

}  // namespace keel::testing
