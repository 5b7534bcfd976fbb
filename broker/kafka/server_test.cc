// Server against a fake processor over real loopback sockets: framing limits, per-connection
// ordering, and that a bad connection closes alone while another keeps working.
#include "broker/kafka/server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>

#include <gtest/gtest.h>

namespace keel::broker::kafka {
namespace {

std::string Int32Bytes(uint32_t n) {
  return {static_cast<char>(n >> 24), static_cast<char>(n >> 16), static_cast<char>(n >> 8),
          static_cast<char>(n)};
}

std::string Frame(const std::string& body) { return Int32Bytes(body.size()) + body; }

// Echoes the frame back, refuses frames starting with "bad", sleeps for "slow", and sends
// nothing for "quiet".
class EchoProcessor : public RequestProcessor {
 public:
  Outcome Process(std::string_view frame, const std::string&,
                  const std::function<bool()>& closing) override {
    const std::string f(frame);
    if (f.rfind("bad", 0) == 0) return {absl::InvalidArgumentError("bad request"), std::nullopt};
    if (f.rfind("quiet", 0) == 0) return {absl::OkStatus(), std::nullopt};
    if (f.rfind("big", 0) == 0) return {absl::OkStatus(), Frame(std::string(4 << 20, 'b'))};
    if (f.rfind("slow", 0) == 0) {
      for (int i = 0; i < 30 && !closing(); ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
      }
    }
    return {absl::OkStatus(), Frame(f)};
  }
  void ConnectionsChanged(int delta) override { open += delta; }
  std::atomic<int> open{0};
};

class Client {
 public:
  explicit Client(int port) {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
  }
  ~Client() { close(fd_); }
  bool connected() const { return connected_; }
  void Send(const std::string& bytes) {
    ASSERT_EQ(send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL),
              static_cast<ssize_t>(bytes.size()));
  }
  // One response body, or "" with *closed set when the server closed the connection (or
  // nothing came within 5 s).
  std::string Receive(bool* closed = nullptr) {
    std::string size = ReadN(4);
    if (size.size() < 4) {
      if (closed != nullptr) *closed = true;
      return "";
    }
    const uint32_t n = (static_cast<uint8_t>(size[0]) << 24) |
                       (static_cast<uint8_t>(size[1]) << 16) |
                       (static_cast<uint8_t>(size[2]) << 8) | static_cast<uint8_t>(size[3]);
    return ReadN(n);
  }
  // True when the server closed the connection within 5 s.
  bool ClosedByServer() {
    bool closed = false;
    Receive(&closed);
    return closed;
  }

 private:
  std::string ReadN(size_t n) {
    std::string out;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (out.size() < n && std::chrono::steady_clock::now() < deadline) {
      pollfd p{fd_, POLLIN, 0};
      if (poll(&p, 1, 100) <= 0) continue;
      char buf[4096];
      const ssize_t got = recv(fd_, buf, std::min(sizeof(buf), n - out.size()), 0);
      if (got <= 0) break;
      out.append(buf, static_cast<size_t>(got));
    }
    return out;
  }
  int fd_ = -1;
  bool connected_ = false;
};

class ServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ServerOptions o;
    o.listen = "127.0.0.1:0";
    o.max_request_bytes = 1024;
    o.send_timeout_ms = 300;
    auto s = Server::Start(o, &processor_);
    ASSERT_TRUE(s.ok()) << s.status();
    server_ = std::move(*s);
  }
  EchoProcessor processor_;
  std::unique_ptr<Server> server_;
};

TEST_F(ServerTest, AnswersPipelinedRequestsInOrder) {
  Client c(server_->port());
  ASSERT_TRUE(c.connected());
  // The slow first request must not be overtaken by the fast ones behind it.
  c.Send(Frame("slow-request-1") + Frame("fast-request-2") + Frame("quiet-request-3") + Frame("fast-request-4"));
  EXPECT_EQ(c.Receive(), "slow-request-1");
  EXPECT_EQ(c.Receive(), "fast-request-2");
  EXPECT_EQ(c.Receive(), "fast-request-4");  // quiet-3 has no response (acks=0)
}

TEST_F(ServerTest, OversizeFrameClosesOnlyThatConnection) {
  Client good(server_->port());
  Client bad(server_->port());
  good.Send(Frame("hello-request-1"));
  EXPECT_EQ(good.Receive(), "hello-request-1");
  bad.Send(Int32Bytes(1025));  // over max_request_bytes: refused before any body arrives
  EXPECT_TRUE(bad.ClosedByServer());
  good.Send(Frame("hello-request-2"));
  EXPECT_EQ(good.Receive(), "hello-request-2");
}

TEST_F(ServerTest, NegativeAndTinySizesClose) {
  Client negative(server_->port());
  negative.Send(Int32Bytes(0xffffffffu));
  EXPECT_TRUE(negative.ClosedByServer());
  Client tiny(server_->port());
  tiny.Send(Int32Bytes(3) + "abc");
  EXPECT_TRUE(tiny.ClosedByServer());
}

TEST_F(ServerTest, ProcessingErrorClosesOnlyThatConnection) {
  Client good(server_->port());
  Client bad(server_->port());
  bad.Send(Frame("bad-request"));
  EXPECT_TRUE(bad.ClosedByServer());
  good.Send(Frame("still-here"));
  EXPECT_EQ(good.Receive(), "still-here");
}

TEST_F(ServerTest, ATruncatedFrameThenCloseDoesNotDisturbOthers) {
  Client good(server_->port());
  {
    Client partial(server_->port());
    partial.Send(Int32Bytes(100) + "only-some");
  }  // closed mid-frame
  good.Send(Frame("after-the-close"));
  EXPECT_EQ(good.Receive(), "after-the-close");
}

TEST_F(ServerTest, StopClosesConnectionsAndCountsThem) {
  Client a(server_->port());
  Client b(server_->port());
  a.Send(Frame("x-request-1"));
  b.Send(Frame("y-request-1"));
  EXPECT_EQ(a.Receive(), "x-request-1");
  EXPECT_EQ(b.Receive(), "y-request-1");
  EXPECT_EQ(processor_.open.load(), 2);
  server_->Stop();
  EXPECT_TRUE(a.ClosedByServer());
  EXPECT_EQ(processor_.open.load(), 0);
}

TEST_F(ServerTest, AClientThatStopsReadingIsClosedAfterTheSendTimeout) {
  Client reader(server_->port());
  reader.Send(Frame("first-request"));
  ASSERT_EQ(reader.Receive(), "first-request");
  {
    Client stuck(server_->port());
    stuck.Send(Frame("hello-request"));
    const auto accepted = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (processor_.open.load() < 2 && std::chrono::steady_clock::now() < accepted) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    ASSERT_EQ(processor_.open.load(), 2);
    // 4 MiB answers that are never read: the socket buffers fill and the send times out.
    for (int i = 0; i < 8; ++i) stuck.Send(Frame("big-request"));
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (processor_.open.load() > 1 && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    EXPECT_EQ(processor_.open.load(), 1);  // only `reader` is left
  }
  reader.Send(Frame("still-served"));
  EXPECT_EQ(reader.Receive(), "still-served");
}

TEST(ServerStartTest, RefusesABadAddress) {
  EchoProcessor p;
  ServerOptions o;
  o.listen = "no-port-here";
  EXPECT_FALSE(Server::Start(o, &p).ok());
}

}  // namespace
}  // namespace keel::broker::kafka
