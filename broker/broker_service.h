// The gRPC BrokerService: a thin shell over DataPlane (Produce / Fetch / ListOffsets).
// ReplicaFetch is a stream: each request from a follower gets one response.
#ifndef KEEL_BROKER_BROKER_SERVICE_H_
#define KEEL_BROKER_BROKER_SERVICE_H_

#include <grpcpp/grpcpp.h>

#include "broker/data_plane.h"
#include "proto/broker.grpc.pb.h"

namespace keel::broker {

class BrokerServiceImpl final : public BrokerService::Service {
 public:
  explicit BrokerServiceImpl(DataPlane* data_plane) : data_plane_(data_plane) {}

  grpc::Status Produce(grpc::ServerContext* context, const ProduceRequest* request,
                       ProduceResponse* response) override;
  grpc::Status Fetch(grpc::ServerContext* context, const FetchRequest* request,
                     FetchResponse* response) override;
  grpc::Status ListOffsets(grpc::ServerContext* context, const ListOffsetsRequest* request,
                           ListOffsetsResponse* response) override;
  grpc::Status ReplicaFetch(
      grpc::ServerContext* context,
      grpc::ServerReaderWriter<ReplicaFetchResponse, ReplicaFetchRequest>* stream) override;

 private:
  DataPlane* const data_plane_;
};

}  // namespace keel::broker

#endif  // KEEL_BROKER_BROKER_SERVICE_H_
