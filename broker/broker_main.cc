// keel-broker: stores partition logs and serves Produce / Fetch / ListOffsets.
//
// Registration, the metadata follower and the data API are wired in by the broker issue; until
// then the binary validates its configuration and says so, rather than pretending to serve.
#include <cstdio>
#include <string>

#include <gflags/gflags.h>

// gflags defines these in its own module; we handle them to show only our flags.
DECLARE_bool(help);
DECLARE_bool(helpshort);

DEFINE_int32(broker_id, -1, "This broker's id (unique in the cluster, >= 1).");
DEFINE_string(listen, "127.0.0.1:19191", "host:port the broker's gRPC server binds.");
DEFINE_string(controllers, "",
              "Bootstrap controllers, host:port separated by commas; the leader is found from them.");
DEFINE_string(data_dirs, "", "Directories for partition logs, separated by commas.");
DEFINE_string(rack, "", "Rack id used to spread replicas (optional).");

int main(int argc, char** argv) {
  gflags::SetUsageMessage(
      "keel-broker --broker_id=N --listen=HOST:PORT --controllers=HOST:PORT,... "
      "--data_dirs=DIR[,DIR]\n\n"
      "A Keel broker: registers with the controller quorum and stores partition logs.");
  gflags::SetVersionString("0.1.0");
  gflags::ParseCommandLineNonHelpFlags(&argc, &argv, true);
  if (FLAGS_help || FLAGS_helpshort) {
    gflags::ShowUsageWithFlagsRestrict(argv[0], "broker/");
    return 0;
  }
  gflags::HandleCommandLineHelpFlags();
  if (FLAGS_broker_id < 1) {
    std::fprintf(stderr, "keel-broker: --broker_id must be >= 1 (see --help)\n");
    return 2;
  }
  if (FLAGS_controllers.empty() || FLAGS_data_dirs.empty()) {
    std::fprintf(stderr, "keel-broker: --controllers and --data_dirs are required\n");
    return 2;
  }
  std::fprintf(stderr, "keel-broker: the broker service is not available in this build\n");
  return 1;
}
