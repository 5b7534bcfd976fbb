// DescribeCluster v0-1: the cluster id, this broker as the controller id (it forwards admin
// requests, as in Metadata) and the unfenced brokers with their KAFKA endpoints. Asking for
// controllers (endpoint type 2, v1) is refused: controllers speak only gRPC.
#include "broker/kafka/handlers/common.h"
#include "broker/kafka/handlers/handlers.h"
#include "broker/kafka/handlers/typed_handler.h"
#include "kafka/describe_cluster.h"

namespace keel::broker::kafka {
namespace {

using keel::kafka::DescribeClusterRequest;
using keel::kafka::DescribeClusterResponse;
using keel::kafka::ErrorCode;

class DescribeClusterHandler final
    : public TypedHandler<DescribeClusterRequest, DescribeClusterResponse> {
 public:
  explicit DescribeClusterHandler(BrokerContext* context)
      : TypedHandler(0, 1), context_(context) {}

 protected:
  Served Serve(const RequestContext&, DescribeClusterRequest& request,
               DescribeClusterResponse* response) override {
    Served served;
    response->endpoint_type = request.endpoint_type;
    if (request.endpoint_type != 1) {
      response->error_code = KafkaCode(ErrorCode::kUnsupportedEndpointType);
      response->error_message = "Keel's controllers have no Kafka listener; ask for brokers.";
      NoteError(response->error_code, &served);
      return served;
    }
    response->cluster_id = context_->cluster_id;
    response->controller_id = context_->broker_id;
    context_->read_image([&](const metadata::MetadataImage& image) {
      for (const auto& [id, b] : image.brokers()) {
        const metadata::Endpoint* e = KafkaEndpoint(b);
        if (b.fenced || e == nullptr) continue;
        DescribeClusterResponse::Broker& out = response->brokers.emplace_back();
        out.broker_id = id;
        out.host = e->host();
        out.port = e->port();
        if (!b.rack.empty()) out.rack = b.rack;
      }
    });
    return served;
  }

 private:
  BrokerContext* const context_;
};

}  // namespace

std::unique_ptr<Handler> NewDescribeClusterHandler(BrokerContext* context) {
  return std::make_unique<DescribeClusterHandler>(context);
}

}  // namespace keel::broker::kafka
