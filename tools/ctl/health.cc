#include "tools/ctl/health.h"

#include <vector>

#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>

#include "client/channels.h"

namespace keel::keelctl {

std::string CheckHealth(const std::string& address, std::chrono::milliseconds timeout) {
  auto channel = grpc::CreateChannel(address, client::DefaultChannelCredentials());
  grpc::GenericStub stub(channel);
  grpc::CompletionQueue cq;
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + timeout);
  // HealthCheckRequest{service: ""} encodes as zero bytes.
  grpc::Slice empty("", 0);
  grpc::ByteBuffer request(&empty, 1), response;
  auto call = stub.PrepareUnaryCall(&context, "/grpc.health.v1.Health/Check", request, &cq);
  call->StartCall();
  grpc::Status status;
  call->Finish(&response, &status, reinterpret_cast<void*>(1));
  void* tag = nullptr;
  bool ok = false;
  cq.Next(&tag, &ok);
  cq.Shutdown();
  while (cq.Next(&tag, &ok)) {
  }
  if (status.error_code() == grpc::StatusCode::UNAVAILABLE ||
      status.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED) {
    return "UNREACHABLE";
  }
  if (!status.ok()) return "UNKNOWN";
  std::vector<grpc::Slice> slices;
  (void)response.Dump(&slices);
  std::string bytes;
  for (const auto& s : slices) bytes.append(reinterpret_cast<const char*>(s.begin()), s.size());
  // HealthCheckResponse{status = 1}: field 1, varint -> 0x08 <status>. Proto3 omits a zero
  // status (UNKNOWN), so an empty message is UNKNOWN too.
  if (bytes.size() == 2 && bytes[0] == 0x08) {
    switch (bytes[1]) {
      case 1:
        return "SERVING";
      case 2:
        return "NOT_SERVING";
      default:
        break;
    }
  }
  return "UNKNOWN";
}

}  // namespace keel::keelctl
