#include "tools/ctl/local_tls.h"

#include <sys/stat.h>

#include <chrono>
#include <cstdlib>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "common/process.h"
#include "storage/env.h"

namespace keel::keelctl {
namespace {

constexpr int kValidDays = 30;
constexpr char kSubjectOrg[] = "/O=Keel local cluster";
// Leaf certificates: usable by a server and a client, for the loopback addresses.
constexpr char kLeafExtensions[] =
    "basicConstraints=CA:FALSE\n"
    "keyUsage=critical,digitalSignature,keyEncipherment\n"
    "extendedKeyUsage=serverAuth,clientAuth\n"
    "subjectAltName=IP:127.0.0.1,DNS:localhost\n";

std::string FindOpenSsl() {
  storage::Env* env = storage::Env::Default();
  const char* path = std::getenv("PATH");
  for (absl::string_view d : absl::StrSplit(path != nullptr ? path : "/usr/bin:/bin", ':')) {
    std::string candidate = absl::StrCat(d, "/openssl");
    if (!d.empty() && env->FileExists(candidate)) return candidate;
  }
  return "";
}

// Runs openssl with `args`, its output into `log`; the log's text in the error on failure.
absl::Status RunOpenSsl(const std::string& openssl, const std::vector<std::string>& args,
                        const std::string& log) {
  std::vector<std::string> argv = {openssl};
  argv.insert(argv.end(), args.begin(), args.end());
  common::SpawnOptions options;
  options.stdin_path = "/dev/null";
  options.stdout_path = log;
  options.truncate_output = true;
  absl::StatusOr<pid_t> pid = common::SpawnProcess(argv, options);
  if (!pid.ok()) return pid.status();
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  std::optional<common::ExitStatus> status;
  while (!(status = common::TryReap(*pid)) && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  if (!status) status = common::KillAndReap(*pid);
  if (status->code == 0) return absl::OkStatus();
  auto output = storage::ReadWholeFile(storage::Env::Default(), log);
  return absl::InternalError(absl::StrCat("`openssl ", absl::StrJoin(args, " "), "` ",
                                          status->ToString(), ": ",
                                          output.ok() ? *output : ""));
}

absl::Status MakeCertificate(const std::string& openssl, const std::string& tls_dir,
                             const std::string& name, const LocalTlsFiles& files) {
  const std::string cert = tls_dir + "/" + name + ".crt";
  const std::string key = tls_dir + "/" + name + ".key";
  storage::Env* env = storage::Env::Default();
  if (env->FileExists(cert) && env->FileExists(key)) return absl::OkStatus();
  const std::string csr = tls_dir + "/" + name + ".csr";
  const std::string log = tls_dir + "/openssl.log";
  if (absl::Status s = RunOpenSsl(openssl,
                                  {"req", "-new", "-newkey", "ec", "-pkeyopt",
                                   "ec_paramgen_curve:P-256", "-nodes", "-keyout", key, "-out",
                                   csr, "-subj", absl::StrCat(kSubjectOrg, "/CN=", name)},
                                  log);
      !s.ok()) {
    return s;
  }
  if (absl::Status s = RunOpenSsl(
          openssl,
          {"x509", "-req", "-in", csr, "-CA", files.ca_file, "-CAkey", tls_dir + "/ca.key",
           "-CAcreateserial", "-days", std::to_string(kValidDays), "-sha256", "-extfile",
           tls_dir + "/leaf.ext", "-out", cert},
          log);
      !s.ok()) {
    return s;
  }
  chmod(key.c_str(), 0600);
  return env->DeleteFile(csr);
}

}  // namespace

std::string LocalTlsCert(const std::string& dir, const std::string& name) {
  return dir + "/tls/" + name + ".crt";
}

std::string LocalTlsKey(const std::string& dir, const std::string& name) {
  return dir + "/tls/" + name + ".key";
}

absl::StatusOr<LocalTlsFiles> MakeLocalTls(const std::string& dir,
                                           const std::vector<std::string>& node_names) {
  const std::string openssl = FindOpenSsl();
  if (openssl.empty()) {
    return absl::FailedPreconditionError(
        "--tls needs the openssl command (apt-get install openssl; tools/install-deps.sh)");
  }
  storage::Env* env = storage::Env::Default();
  const std::string tls_dir = dir + "/tls";
  if (absl::Status s = env->CreateDirs(tls_dir); !s.ok()) return s;
  chmod(tls_dir.c_str(), 0700);  // holds private keys
  LocalTlsFiles files{tls_dir + "/ca.crt", LocalTlsCert(dir, "admin"), LocalTlsKey(dir, "admin")};
  if (!env->FileExists(files.ca_file) || !env->FileExists(tls_dir + "/ca.key")) {
    if (absl::Status s = RunOpenSsl(
            openssl,
            {"req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
             "-keyout", tls_dir + "/ca.key", "-out", files.ca_file, "-days",
             std::to_string(kValidDays), "-sha256", "-subj",
             absl::StrCat(kSubjectOrg, "/CN=keel-local-ca"), "-addext",
             "basicConstraints=critical,CA:TRUE", "-addext",
             "keyUsage=critical,keyCertSign,cRLSign"},
            tls_dir + "/openssl.log");
        !s.ok()) {
      return s;
    }
    chmod((tls_dir + "/ca.key").c_str(), 0600);
  }
  if (absl::Status s = storage::WriteFileAtomically(env, tls_dir + "/leaf.ext", kLeafExtensions);
      !s.ok()) {
    return s;
  }
  std::vector<std::string> names = node_names;
  names.push_back("admin");
  for (const std::string& name : names) {
    if (absl::Status s = MakeCertificate(openssl, tls_dir, name, files); !s.ok()) return s;
  }
  return files;
}

}  // namespace keel::keelctl
