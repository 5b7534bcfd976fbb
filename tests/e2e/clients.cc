#include "tests/e2e/clients.h"

#include "client/admin_client.h"

#include <thread>

#include "absl/strings/match.h"
#include "tests/e2e/record_checker.h"

namespace keel::e2e {
namespace {

using std::chrono::milliseconds;

std::chrono::system_clock::time_point In(milliseconds d) {
  return std::chrono::system_clock::now() + d;
}

enum class WriteVerdict { kApplied, kRefused, kRedirect, kAmbiguous };

// Refusals a controller leader gives after validating against its image, before proposing.
constexpr const char* kTopicRefusals[] = {
    "TOPIC_ALREADY_EXISTS",   "UNKNOWN_TOPIC_OR_PARTITION", "INVALID_REPLICATION_FACTOR",
    "INVALID_PARTITIONS",     "INVALID_TOPIC_EXCEPTION",    "INVALID_REQUEST",
    "INVALID_CONFIG",
};

WriteVerdict Classify(const grpc::Status& status) {
  if (status.ok()) return WriteVerdict::kApplied;
  const std::string& m = status.error_message();
  for (const char* r : kTopicRefusals) {
    if (absl::StartsWith(m, r)) return WriteVerdict::kRefused;
  }
  if (client::WriteNeverApplied(status)) return WriteVerdict::kRedirect;
  return WriteVerdict::kAmbiguous;
}

bool TransportNeverSent(const grpc::Status& status) {
  return absl::StrContains(status.error_message(), "failed to connect to all addresses") ||
         absl::StrContains(status.error_message(), "Connection refused");
}

}  // namespace

bool DefinitelyNotApplied(const grpc::Status& status) {
  const WriteVerdict v = Classify(status);
  return v == WriteVerdict::kRefused || v == WriteVerdict::kRedirect;
}

MetadataClient::MetadataClient(std::vector<std::string> addresses)
    : addresses_(addresses), client_(addresses), admin_client_([&] {
        client::AdminClientOptions options;
        options.controllers = addresses;
        options.request_timeout_ms = 3000;
        options.retry_backoff_ms = 50;
        return options;
      }()) {
  for (const auto& a : addresses_) {
    auto channel = grpc::CreateChannel(a, grpc::InsecureChannelCredentials());
    admin_.push_back(controller::AdminService::NewStub(channel));
    quorum_.push_back(controller::QuorumService::NewStub(channel));
  }
}

grpc::Status MetadataClient::Write(
    const std::function<grpc::Status(controller::AdminService::Stub*, grpc::ClientContext*)>&
        call) {
  // client::AdminClient moves on to the leader only after answers that prove the write was
  // not applied (client::WriteNeverApplied); a refusal or an ambiguous answer comes back.
  return admin_client_.Run(
      client::AdminClient::Target::kLeader, client::AdminClient::Retry::kNotIdempotent,
      [&](const std::shared_ptr<grpc::Channel>& channel, grpc::ClientContext* context) {
        auto stub = controller::AdminService::NewStub(channel);
        return call(stub.get(), context);
      },
      milliseconds(8000));
}

namespace {

void CompleteWrite(History* history, int64_t id, const grpc::Status& s) {
  switch (Classify(s)) {
    case WriteVerdict::kApplied:
      history->Complete(id, Outcome::kOk);
      break;
    case WriteVerdict::kRefused:
    case WriteVerdict::kRedirect:
      history->Complete(id, Outcome::kFail, s.error_message());
      break;
    case WriteVerdict::kAmbiguous:
      history->Complete(id, Outcome::kUnknown,
                        std::to_string(s.error_code()) + " " + s.error_message());
      break;
  }
}

}  // namespace

void MetadataClient::CreateTopic(History* history, int client, const std::string& name,
                                 int partitions, int replication_factor) {
  controller::CreateTopicsRequest request;
  auto* t = request.add_topics();
  t->set_name(name);
  t->set_num_partitions(partitions);
  t->set_replication_factor(replication_factor);
  const int64_t id = history->Invoke(client, OpType::kCreate, name);
  grpc::Status s = Write([&](controller::AdminService::Stub* stub, grpc::ClientContext* ctx) {
    controller::CreateTopicsResponse response;
    return stub->CreateTopics(ctx, request, &response);
  });
  CompleteWrite(history, id, s);
}

void MetadataClient::DeleteTopic(History* history, int client, const std::string& name) {
  controller::DeleteTopicsRequest request;
  request.add_names(name);
  const int64_t id = history->Invoke(client, OpType::kDelete, name);
  grpc::Status s = Write([&](controller::AdminService::Stub* stub, grpc::ClientContext* ctx) {
    controller::DeleteTopicsResponse response;
    return stub->DeleteTopics(ctx, request, &response);
  });
  CompleteWrite(history, id, s);
}

void MetadataClient::ListTopics(History* history, int client, const std::string& prefix) {
  const int64_t id = history->Invoke(client, OpType::kList, "");
  const auto deadline = std::chrono::steady_clock::now() + milliseconds(5000);
  std::string error = "no controller said it was the leader";
  while (std::chrono::steady_clock::now() < deadline) {
    controller::DescribeQuorumResponse quorum;
    grpc::ClientContext qctx;
    qctx.set_deadline(In(milliseconds(1000)));
    grpc::Status qs =
        quorum_[preferred_]->DescribeQuorum(&qctx, controller::DescribeQuorumRequest(), &quorum);
    const int self = static_cast<int>(preferred_) + 1;  // address i is controller i+1
    if (qs.ok() && quorum.leader_id() == self) {
      controller::ListTopicsResponse response;
      grpc::ClientContext ctx;
      ctx.set_deadline(In(milliseconds(2000)));
      // A linearizable read: the leader answers only after an entry of its term commits (a
      // deposed or newly elected leader's committed image may be stale).
      controller::ListTopicsRequest request;
      request.set_linearizable(true);
      grpc::Status s = admin_[preferred_]->ListTopics(&ctx, request, &response);
      if (s.ok()) {
        std::vector<std::string> names;
        for (const auto& n : response.names()) {
          if (absl::StartsWith(n, prefix)) names.push_back(n);
        }
        history->Complete(id, Outcome::kOk, "", std::move(names));
        return;
      }
      error = s.error_message();
    }
    if (qs.ok() && quorum.leader_id() > 0 &&
        static_cast<size_t>(quorum.leader_id()) <= addresses_.size() &&
        quorum.leader_id() != self) {
      preferred_ = static_cast<size_t>(quorum.leader_id() - 1);
    } else {
      preferred_ = (preferred_ + 1) % addresses_.size();
      std::this_thread::sleep_for(milliseconds(50));
    }
  }
  history->Complete(id, Outcome::kFail, error);  // a read that failed changed nothing
}

bool MetadataClient::CreateTopicForSetup(const std::string& name, int partitions,
                                         int replication_factor,
                                         const std::map<std::string, std::string>& configs,
                                         milliseconds timeout) {
  const controller::CreateTopicsRequest request =
      keel::testing::OneTopicRequest(name, partitions, replication_factor, configs);
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    controller::CreateTopicsResponse response;
    grpc::Status s = client_.Call(
        [&](const std::shared_ptr<grpc::Channel>& channel, grpc::ClientContext* context) {
          return controller::AdminService::NewStub(channel)->CreateTopics(context, request,
                                                                          &response);
        },
        milliseconds(5000));
    if (s.ok() || absl::StartsWith(s.error_message(), "TOPIC_ALREADY_EXISTS")) return true;
    std::this_thread::sleep_for(milliseconds(200));
  }
  return false;
}

RecordClient::RecordClient(const std::vector<std::string>& controller_addresses)
    : controllers_(controller_addresses), lookup_(&controllers_) {}

Outcome RecordClient::Produce(History* history, int client, const std::string& topic, int partition,
                         const std::vector<std::string>& values) {
  const std::string key = topic + "-" + std::to_string(partition);
  const int64_t id = history->Invoke(client, OpType::kProduce, key, values);
  const int leader = lookup_.Leader(topic, partition);
  auto stub = leader < 0 ? nullptr : lookup_.StubFor(leader);
  if (stub == nullptr) {
    history->Complete(id, Outcome::kFail, "no leader known");
    return Outcome::kFail;
  }
  broker::ProduceRequest request;
  request.set_acks(broker::ACKS_ALL);
  request.set_timeout_ms(4000);
  auto* t = request.add_topics();
  t->set_topic(topic);
  auto* p = t->add_partitions();
  p->set_partition(partition);
  for (const auto& v : values) p->add_records()->set_value(v);
  grpc::ClientContext context;
  context.set_deadline(In(milliseconds(6000)));
  broker::ProduceResponse response;
  grpc::Status s = stub->Produce(&context, request, &response);
  if (!s.ok()) {
    const Outcome o = TransportNeverSent(s) ? Outcome::kFail : Outcome::kUnknown;
    history->Complete(id, o, "grpc " + std::to_string(s.error_code()) + " " + s.error_message());
    return o;
  }
  if (response.topics_size() != 1 || response.topics(0).partitions_size() != 1) {
    history->Complete(id, Outcome::kUnknown, "malformed produce response");
    return Outcome::kUnknown;
  }
  const auto& r = response.topics(0).partitions(0);
  const std::string error = keel::ErrorCode_Name(r.error()) + ": " + r.error_message();
  if (r.error() == keel::NONE) {
    history->Complete(id, Outcome::kOk, "", {}, r.base_offset());
    return Outcome::kOk;
  }
  // Errors the leader gives before appending; once a base offset is assigned the batch is in
  // the leader's log and may survive whatever the answer says.
  const bool before_append =
      r.base_offset() < 0 &&
      (r.error() == keel::NOT_LEADER_OR_FOLLOWER || r.error() == keel::UNKNOWN_TOPIC_OR_PARTITION ||
       r.error() == keel::LEADER_NOT_AVAILABLE || r.error() == keel::NOT_ENOUGH_REPLICAS ||
       r.error() == keel::FENCED_LEADER_EPOCH || r.error() == keel::UNKNOWN_LEADER_EPOCH);
  const Outcome o = before_append ? Outcome::kFail : Outcome::kUnknown;
  history->Complete(id, o, error, {}, r.base_offset());
  return o;
}

void RecordClient::Fetch(History* history, int client, const std::string& topic, int partition,
                       int64_t* offset) {
  const std::string key = topic + "-" + std::to_string(partition);
  const int64_t id = history->Invoke(client, OpType::kFetch, key);
  const int leader = lookup_.Leader(topic, partition);
  auto stub = leader < 0 ? nullptr : lookup_.StubFor(leader);
  if (stub == nullptr) {
    history->Complete(id, Outcome::kFail, "no leader known", {}, *offset);
    return;
  }
  broker::FetchRequest request;
  request.set_max_wait_ms(200);
  auto* p = request.add_topics();
  p->set_topic(topic);
  auto* fp = p->add_partitions();
  fp->set_partition(partition);
  fp->set_fetch_offset(*offset);
  fp->set_partition_max_bytes(64 << 10);
  fp->set_current_leader_epoch(-1);
  grpc::ClientContext context;
  context.set_deadline(In(milliseconds(3000)));
  broker::FetchResponse response;
  grpc::Status s = stub->Fetch(&context, request, &response);
  if (!s.ok() || response.topics_size() != 1 || response.topics(0).partitions_size() != 1) {
    history->Complete(id, Outcome::kFail, "grpc " + s.error_message(), {}, *offset);
    return;
  }
  const auto& d = response.topics(0).partitions(0);
  if (d.error() != keel::NONE) {
    history->Complete(id, Outcome::kFail, keel::ErrorCode_Name(d.error()) + ": " +
                      d.error_message(), {}, *offset);
    return;
  }
  std::vector<std::string> records;
  const int64_t start = *offset;
  for (const auto& b : d.batches()) {
    for (const auto& r : b.records()) {
      if (r.offset() < *offset) continue;
      records.push_back(FetchedRecord(r.offset(), r.value()));
      *offset = r.offset() + 1;
    }
  }
  history->Complete(id, Outcome::kOk, "", std::move(records), start);
}

bool RecordClient::ReadAll(const std::string& topic, int partition, std::vector<std::string>* values,
                         int64_t* high_watermark, milliseconds timeout) {
  values->clear();
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  int64_t offset = 0;
  *high_watermark = -1;
  while (std::chrono::steady_clock::now() < deadline) {
    broker::FetchPartitionData d = lookup_.Fetch(topic, partition, offset, 1 << 20, 0,
                                                 milliseconds(5000));
    if (d.error() != keel::NONE) {
      std::this_thread::sleep_for(milliseconds(200));
      continue;
    }
    for (const auto& b : d.batches()) {
      for (const auto& r : b.records()) {
        if (r.offset() < offset) continue;  // earlier records of the batch holding `offset`
        if (r.offset() != offset) return false;  // a gap: reported by the caller
        values->push_back(r.value());
        offset = r.offset() + 1;
      }
    }
    if (offset >= d.high_watermark()) {
      *high_watermark = d.high_watermark();
      return true;
    }
  }
  return false;
}

}  // namespace keel::e2e
