#include "client/channels.h"

#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace keel::client {
namespace {

std::mutex default_credentials_mu;
std::shared_ptr<grpc::ChannelCredentials> default_credentials;  // guarded by the mutex

}  // namespace

void SetDefaultChannelCredentials(std::shared_ptr<grpc::ChannelCredentials> credentials) {
  std::lock_guard<std::mutex> lock(default_credentials_mu);
  default_credentials = std::move(credentials);
}

std::shared_ptr<grpc::ChannelCredentials> DefaultChannelCredentials() {
  std::lock_guard<std::mutex> lock(default_credentials_mu);
  return default_credentials != nullptr ? default_credentials
                                        : grpc::InsecureChannelCredentials();
}

std::vector<std::string> SplitAddresses(const std::string& csv) {
  std::vector<std::string> out;
  for (absl::string_view part : absl::StrSplit(csv, ',', absl::SkipWhitespace())) {
    out.emplace_back(absl::StripAsciiWhitespace(part));
  }
  return out;
}

std::shared_ptr<grpc::Channel> MakeChannel(const std::string& address) {
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(256 << 20);
  args.SetMaxSendMessageSize(256 << 20);
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 100);
  args.SetInt(GRPC_ARG_MIN_RECONNECT_BACKOFF_MS, 100);
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 1000);
  return grpc::CreateCustomChannel(address, DefaultChannelCredentials(), args);
}

std::shared_ptr<grpc::Channel> ChannelPool::Get(const std::string& address) {
  std::lock_guard<std::mutex> lock(mu_);
  auto& channel = channels_[address];
  if (channel == nullptr) channel = MakeChannel(address);
  return channel;
}

}  // namespace keel::client
