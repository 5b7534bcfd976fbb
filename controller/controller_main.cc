// keel-controller: one voter (or observer) of the controller quorum.
//
// The Raft core (controller/raft) and the metadata state machine are wired into this process
// by the controller-service issue; until then the binary validates its configuration and
// says so, rather than pretending to serve.
#include <cstdio>
#include <string>

#include <gflags/gflags.h>

// gflags defines these in its own module; we handle them to show only our flags.
DECLARE_bool(help);
DECLARE_bool(helpshort);

DEFINE_int32(node_id, -1, "This controller's node id (unique in the quorum, >= 1).");
DEFINE_string(listen, "127.0.0.1:19091", "host:port the controller's gRPC server binds.");
DEFINE_string(voters, "",
              "The voter set, id@host:port separated by commas, e.g. "
              "1@127.0.0.1:19091,2@127.0.0.1:19092,3@127.0.0.1:19093.");
DEFINE_string(data_dir, "", "Directory for the metadata log and state (formatted on first start).");
DEFINE_string(cluster_id, "", "Cluster id; the data dir is formatted with it and checked on start.");

int main(int argc, char** argv) {
  gflags::SetUsageMessage(
      "keel-controller --node_id=N --listen=HOST:PORT --voters=ID@HOST:PORT,... "
      "--data_dir=DIR --cluster_id=ID\n\n"
      "A Keel controller: a member of the Raft quorum that replicates the cluster metadata log.");
  gflags::SetVersionString("0.1.0");
  gflags::ParseCommandLineNonHelpFlags(&argc, &argv, true);
  if (FLAGS_help || FLAGS_helpshort) {
    gflags::ShowUsageWithFlagsRestrict(argv[0], "controller/");
    return 0;
  }
  gflags::HandleCommandLineHelpFlags();
  if (FLAGS_node_id < 1) {
    std::fprintf(stderr, "keel-controller: --node_id must be >= 1 (see --help)\n");
    return 2;
  }
  if (FLAGS_voters.empty() || FLAGS_data_dir.empty() || FLAGS_cluster_id.empty()) {
    std::fprintf(stderr, "keel-controller: --voters, --data_dir and --cluster_id are required\n");
    return 2;
  }
  std::fprintf(stderr, "keel-controller: the controller service is not available in this build\n");
  return 1;
}
