// A throwaway single-partition Kafka broker built on the codec, for capturing the request
// bytes that real clients send (kafka/testdata/client_requests.inc came from it). It keeps
// produced batches in memory, serves them to Fetch, and appends every request frame it
// receives as one line "client api_key version hex" to --capture_file.
//
//   capture_broker PORT CAPTURE_FILE
// Not part of Keel: no limits beyond the codec's, one thread per connection, 127.0.0.1 only.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "kafka/error_codes.h"
#include "kafka/messages.h"
#include "kafka/record_batch.h"

namespace keel::kafka {
namespace {

std::mutex mu;
std::vector<std::string> log_batches;  // guarded by mu
int64_t next_offset = 0;               // guarded by mu
int port = 0;
FILE* capture = nullptr;

bool ReadAll(int fd, char* p, size_t n) {
  while (n > 0) {
    ssize_t r = read(fd, p, n);
    if (r <= 0) return false;
    p += r;
    n -= static_cast<size_t>(r);
  }
  return true;
}

bool WriteAll(int fd, const std::string& s) {
  size_t off = 0;
  while (off < s.size()) {
    ssize_t w = write(fd, s.data() + off, s.size() - off);
    if (w <= 0) return false;
    off += static_cast<size_t>(w);
  }
  return true;
}

std::string Hex(std::string_view s) {
  static const char* kHex = "0123456789abcdef";
  std::string out;
  for (unsigned char c : s) {
    out.push_back(kHex[c >> 4]);
    out.push_back(kHex[c & 15]);
  }
  return out;
}

template <class Resp>
std::string Answer(const Resp& r, const RequestHeader& h) {
  absl::StatusOr<std::string> frame = EncodeResponseFrame(r, h.api_version, h.correlation_id);
  if (!frame.ok()) {
    std::fprintf(stderr, "encode: %s\n", std::string(frame.status().message()).c_str());
    return "";
  }
  return *frame;
}

MetadataResponse::Topic OneTopic(const std::string& name) {
  MetadataResponse::Topic t;
  t.name = name;
  t.topic_id.bytes[15] = 1;
  MetadataResponse::Partition p;
  p.partition_index = 0;
  p.leader_id = 1;
  p.leader_epoch = 0;
  p.replica_nodes = {1};
  p.isr_nodes = {1};
  t.partitions.push_back(p);
  return t;
}

std::string Handle(const RequestHeader& h, std::string_view body) {
  int16_t v = h.api_version;
  switch (h.key()) {
    case ApiKey::kApiVersions: {
      ApiVersionsResponse r;
      r.api_keys = CodecApiVersions();
      if (!IsSupported(ApiKey::kApiVersions, v)) {
        r.error_code = Code(ErrorCode::kUnsupportedVersion);
        RequestHeader v0 = h;
        v0.api_version = 0;
        return Answer(r, v0);
      }
      return Answer(r, h);
    }
    case ApiKey::kMetadata: {
      absl::StatusOr<MetadataRequest> req = Decode<MetadataRequest>(body, v);
      if (!req.ok()) break;
      MetadataResponse r;
      r.brokers.push_back({1, "127.0.0.1", port, std::nullopt});
      r.cluster_id = "capture";
      r.controller_id = 1;
      if (req->topics.has_value() && !req->topics->empty()) {
        for (const auto& t : *req->topics) r.topics.push_back(OneTopic(t.name.value_or("")));
      } else {
        r.topics.push_back(OneTopic("capture"));
      }
      return Answer(r, h);
    }
    case ApiKey::kProduce: {
      absl::StatusOr<ProduceRequest> req = Decode<ProduceRequest>(body, v);
      if (!req.ok()) break;
      ProduceResponse r;
      for (const auto& t : req->topics) {
        ProduceResponse::Topic rt;
        rt.name = t.name;
        for (const auto& p : t.partitions) {
          ProduceResponse::Partition rp;
          rp.index = p.index;
          // (views into p.records, which lives as long as req)
          std::string_view records = p.records.has_value() ? std::string_view(*p.records) : "";
          absl::StatusOr<std::vector<BatchView>> batches = SplitBatches(records);
          if (!batches.ok()) {
            std::fprintf(stderr, "produce: %s\n", std::string(batches.status().message()).c_str());
            rp.error_code = Code(ErrorCode::kCorruptMessage);
          } else {
            std::lock_guard<std::mutex> lock(mu);
            rp.base_offset = next_offset;
            for (const BatchView& b : *batches) {
              std::string copy(b.bytes);
              (void)SetBaseOffset(copy, next_offset);
              next_offset += b.header.last_offset_delta + 1;
              log_batches.push_back(copy);
            }
          }
          rt.partitions.push_back(rp);
        }
        r.responses.push_back(rt);
      }
      if (req->acks == 0) return "";
      return Answer(r, h);
    }
    case ApiKey::kListOffsets: {
      absl::StatusOr<ListOffsetsRequest> req = Decode<ListOffsetsRequest>(body, v);
      if (!req.ok()) break;
      ListOffsetsResponse r;
      for (const auto& t : req->topics) {
        ListOffsetsResponse::Topic rt{t.name, {}};
        for (const auto& p : t.partitions) {
          ListOffsetsResponse::Partition rp;
          rp.partition_index = p.partition_index;
          std::lock_guard<std::mutex> lock(mu);
          rp.offset = p.timestamp == kListOffsetsEarliest ? 0 : next_offset;
          rp.old_style_offsets = {rp.offset};
          rp.leader_epoch = 0;
          rt.partitions.push_back(rp);
        }
        r.topics.push_back(rt);
      }
      return Answer(r, h);
    }
    case ApiKey::kFetch: {
      absl::StatusOr<FetchRequest> req = Decode<FetchRequest>(body, v);
      if (!req.ok()) break;
      FetchResponse r;
      for (const auto& t : req->topics) {
        FetchResponse::Topic rt;
        rt.topic = t.topic;
        rt.topic_id = t.topic_id;
        for (const auto& p : t.partitions) {
          FetchResponse::Partition rp;
          rp.partition_index = p.partition;
          std::lock_guard<std::mutex> lock(mu);
          rp.high_watermark = next_offset;
          rp.last_stable_offset = next_offset;
          rp.log_start_offset = 0;
          std::string records;
          for (const std::string& b : log_batches) {
            absl::StatusOr<std::vector<BatchView>> one = SplitBatches(b);
            if (one.ok() && (*one)[0].header.last_offset() >= p.fetch_offset) records += b;
          }
          rp.records = records;
          rt.partitions.push_back(rp);
        }
        r.responses.push_back(rt);
      }
      if (r.responses.empty() || r.responses[0].partitions[0].records->empty()) {
        usleep(static_cast<useconds_t>(std::min(req->max_wait_ms, 500)) * 1000);
      }
      return Answer(r, h);
    }
    case ApiKey::kInitProducerId: {
      InitProducerIdResponse r;
      r.producer_id = 1000;
      r.producer_epoch = 0;
      return Answer(r, h);
    }
    default:
      break;
  }
  std::fprintf(stderr, "unanswered: %s v%d\n", ApiName(h.api_key).c_str(), v);
  return "";
}

void Serve(int fd) {
  while (true) {
    char size_bytes[4];
    if (!ReadAll(fd, size_bytes, 4)) break;
    absl::StatusOr<int32_t> size = ReadFrameSize(std::string_view(size_bytes, 4));
    if (!size.ok() || *size > (64 << 20)) break;
    std::string frame(static_cast<size_t>(*size), '\0');
    if (!ReadAll(fd, frame.data(), frame.size())) break;
    absl::StatusOr<ParsedRequest> parsed = ParseRequest(frame);
    if (!parsed.ok()) break;
    {
      std::lock_guard<std::mutex> lock(mu);
      std::fprintf(capture, "%s %d %d %s\n", parsed->header.client_id.value_or("-").c_str(),
                   parsed->header.api_key, parsed->header.api_version, Hex(frame).c_str());
      std::fflush(capture);
    }
    std::string answer = Handle(parsed->header, parsed->body);
    if (answer.empty() && parsed->header.key() != ApiKey::kProduce) break;
    if (!answer.empty() && !WriteAll(fd, answer)) break;
  }
  close(fd);
}

}  // namespace
}  // namespace keel::kafka

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: capture_broker PORT CAPTURE_FILE\n");
    return 2;
  }
  keel::kafka::port = std::atoi(argv[1]);
  keel::kafka::capture = std::fopen(argv[2], "a");
  int listener = socket(AF_INET, SOCK_STREAM, 0);
  int one = 1;
  setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(keel::kafka::port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
      listen(listener, 16) != 0) {
    std::perror("bind/listen");
    return 1;
  }
  while (true) {
    int fd = accept(listener, nullptr, nullptr);
    if (fd < 0) continue;
    std::thread(keel::kafka::Serve, fd).detach();
  }
}
