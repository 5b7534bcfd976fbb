// One long-lived gRPC channel per address, shared by every call to that address (a channel is
// one HTTP/2 connection that multiplexes concurrent calls; building one per call costs a
// connection handshake and forgets nothing useful).
//
// Thread-safe.
#ifndef KEEL_CLIENT_CHANNELS_H_
#define KEEL_CLIENT_CHANNELS_H_

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <grpcpp/grpcpp.h>

namespace keel::client {

// "host:port,host:port" -> list; empty entries and surrounding blanks dropped.
std::vector<std::string> SplitAddresses(const std::string& csv);

// The credentials MakeChannel (and so every ChannelPool, MetadataCache and default
// AdminClient) uses; plaintext until set. A process talks to one cluster with one identity,
// so a tool sets this once at start (keelctl from $KEEL_TLS_CA/_CERT/_KEY,
// docs/security.md) rather than threading it through every client. Servers pass their own
// credentials explicitly instead (a broker's channel factory, the Raft transport's options).
void SetDefaultChannelCredentials(std::shared_ptr<grpc::ChannelCredentials> credentials);
std::shared_ptr<grpc::ChannelCredentials> DefaultChannelCredentials();

// A channel with Keel's settings: 256 MiB messages, reconnect backoff 100 ms .. 1 s, the
// default credentials.
std::shared_ptr<grpc::Channel> MakeChannel(const std::string& address);

class ChannelPool {
 public:
  std::shared_ptr<grpc::Channel> Get(const std::string& address);

 private:
  std::mutex mu_;
  std::map<std::string, std::shared_ptr<grpc::Channel>> channels_;  // guarded by mu_
};

}  // namespace keel::client

#endif  // KEEL_CLIENT_CHANNELS_H_
