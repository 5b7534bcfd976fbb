#include "broker/broker_service.h"

namespace keel::broker {
namespace {

// Whole-request problems are gRPC statuses; per-partition problems are error codes.
grpc::Status CheckNotEmpty(int topics, const char* what) {
  if (topics == 0) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                        std::string("INVALID_REQUEST: the ") + what + " request names no topic");
  }
  return grpc::Status::OK;
}

}  // namespace

grpc::Status BrokerServiceImpl::Produce(grpc::ServerContext*, const ProduceRequest* request,
                                        ProduceResponse* response) {
  if (grpc::Status s = CheckNotEmpty(request->topics_size(), "produce"); !s.ok()) return s;
  if (request->acks() != ACKS_LEADER && request->acks() != ACKS_NONE &&
      request->acks() != ACKS_ALL) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                        "INVALID_REQUIRED_ACKS: acks must be none, leader or all");
  }
  data_plane_->Produce(*request, response);
  return grpc::Status::OK;
}

grpc::Status BrokerServiceImpl::Fetch(grpc::ServerContext* context, const FetchRequest* request,
                                      FetchResponse* response) {
  if (grpc::Status s = CheckNotEmpty(request->topics_size(), "fetch"); !s.ok()) return s;
  data_plane_->Fetch(*request, response, [context] { return context->IsCancelled(); });
  return grpc::Status::OK;
}

grpc::Status BrokerServiceImpl::ListOffsets(grpc::ServerContext*,
                                            const ListOffsetsRequest* request,
                                            ListOffsetsResponse* response) {
  if (grpc::Status s = CheckNotEmpty(request->topics_size(), "list offsets"); !s.ok()) return s;
  data_plane_->ListOffsets(*request, response);
  return grpc::Status::OK;
}

grpc::Status BrokerServiceImpl::ReplicaFetch(
    grpc::ServerContext* context,
    grpc::ServerReaderWriter<ReplicaFetchResponse, ReplicaFetchRequest>* stream) {
  ReplicaFetchRequest request;
  while (stream->Read(&request)) {
    ReplicaFetchResponse response;
    data_plane_->ReplicaFetch(request, &response, [context] { return context->IsCancelled(); });
    if (!stream->Write(response)) break;
  }
  return grpc::Status::OK;
}

}  // namespace keel::broker
