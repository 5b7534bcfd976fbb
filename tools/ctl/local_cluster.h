// A local cluster started by `keelctl cluster up`: its description in DIR/cluster.json and the
// process plumbing (start detached, check and signal by pid) behind up/status/down/logs/
// restart-node.
//
// Ports (documented in docs/cli.md), for base port B and node i = 1..n:
//   controller i  gRPC B+i-1,      metrics B+200+i-1
//   broker i      gRPC B+100+i-1,  metrics B+300+i-1,  Kafka protocol B+400+i-1
#ifndef KEEL_TOOLS_CTL_LOCAL_CLUSTER_H_
#define KEEL_TOOLS_CTL_LOCAL_CLUSTER_H_

#include <sys/types.h>

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace keel::keelctl {

struct LocalNode {
  std::string name;  // "controller-1", "broker-2"
  std::string role;  // "controller" | "broker"
  int id = 0;
  std::string address;          // gRPC host:port
  std::string metrics_address;  // host:port (served once the binary supports it)
  std::string kafka_address;    // brokers: the Kafka listener's host:port; "" if none
  std::string rest_address;     // brokers: the REST proxy's host:port (docs/rest.md); "" if none
  pid_t pid = 0;                // last pid started; 0 if never started
  std::string data_dir;
  std::string log_file;
  std::vector<std::string> argv;  // the full command line that starts it again
};

struct LocalCluster {
  std::string cluster_id;
  std::string dir;  // absolute
  std::vector<LocalNode> nodes;
  // `up --tls`: the CA every node trusts and keelctl's certificate; "" when plaintext.
  std::string tls_ca_file;
  std::string tls_admin_cert;
  std::string tls_admin_key;

  std::string ControllerAddresses() const;  // "h:p,h:p"
  std::string BrokerAddresses() const;
  std::string KafkaAddresses() const;  // "h:p,h:p" of the brokers' Kafka listeners
  LocalNode* Find(const std::string& name);
  std::string FilePath() const { return dir + "/cluster.json"; }
  nlohmann::json Json() const;
};

// Reads DIR/cluster.json; false with `error` set when missing or unreadable.
bool LoadLocalCluster(const std::string& dir, LocalCluster* cluster, std::string* error);
// Writes DIR/cluster.json atomically (storage::WriteFileAtomically: temp file, fsync, rename,
// directory fsync).
bool SaveLocalCluster(const LocalCluster& cluster, std::string* error);

// 22 url-safe base64 characters from 16 random bytes, like Kafka's `random-uuid`.
std::string NewClusterId();

// Starts argv as a detached process (own session, stdin /dev/null, stdout and stderr appended
// to `log_file`). Returns the pid, or -1 with `error` set.
pid_t StartDetached(const std::vector<std::string>& argv, const std::string& log_file,
                    std::string* error);

// True while `pid` is a live process (not a zombie) running `program` (its argv[0]): a pid
// reused by something else since is not ours. A process with no argv yet or any more (a
// child of ours finishing its exec, or one exiting but not yet a zombie) counts as running.
bool IsRunning(pid_t pid, const std::string& program);

// If `pid` is our own child and has exited, its exit code (or 128+signal); else -1.
int ReapIfExited(pid_t pid);

// Runs `argv`, returns its stdout+stderr (bounded wait). Used to read `--help`.
std::string CaptureOutput(const std::vector<std::string>& argv, int timeout_ms);

// True when a TCP listener can bind host:port right now.
bool PortIsFree(const std::string& address);

// Where keel-controller / keel-broker live: --bin-dir, then next to keelctl (installed side by
// side, or Bazel's bazel-bin/<package>/ layout), then $PATH. "" if not found.
std::string FindBinary(const std::string& name, const std::string& package,
                       const std::string& bin_dir, const char* argv0);

// The last `lines` lines of a file (all when lines < 0).
std::string ReadTail(const std::string& path, int64_t lines);

}  // namespace keel::keelctl

#endif  // KEEL_TOOLS_CTL_LOCAL_CLUSTER_H_
