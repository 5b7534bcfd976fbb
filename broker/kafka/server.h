// Server: the Kafka protocol's TCP listener (--kafka_listen). It owns sockets and threads
// only; what a request means is the RequestProcessor's business (dispatcher.h).
//
// Framing (Kafka's): every request and response is a 4-byte big-endian size followed by that
// many bytes. A size below the smallest request header or above max_request_bytes
// (socket.request.max.bytes) closes the connection before anything is allocated, and a
// body's buffer grows only with the bytes that arrive (1 MiB steps).
//
// Threading: one acceptor thread and one thread per connection, capped at max_connections
// (a connection over the cap is closed at once with a log line). A connection handles its
// requests one at a time, in arrival order, and writes each response before it reads the
// next request: responses leave in request order, as Kafka guarantees (Kafka itself mutes a
// connection while a request is in flight). Pipelined requests wait in the socket buffer. A
// long-poll Fetch therefore holds only its own connection's thread.
//
// A connection ends, with one log line (INFO for a client's orderly close is debug only),
// when the client closes it, on a framing or processing error, when it stays idle for
// idle_timeout_ms (connections.max.idle.ms), or when a response cannot be written within
// send_timeout_ms (a client that stops reading). Nothing else is affected.
//
// Stop() closes the listener, shuts every connection's socket down (which wakes blocked reads
// and writes), tells in-flight requests through their `closing` callback, and joins every
// thread. Thread safety: Stop() may be called from any thread, once or more.
#ifndef KEEL_BROKER_KAFKA_SERVER_H_
#define KEEL_BROKER_KAFKA_SERVER_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <list>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "security/tls_server_context.h"

namespace keel::broker::kafka {

struct ServerOptions {
  std::string listen = "127.0.0.1:9092";  // host:port; port 0 picks a free one
  int64_t max_request_bytes = 100 << 20;  // Kafka's socket.request.max.bytes
  int max_connections = 1000;
  int64_t idle_timeout_ms = 600000;       // Kafka's connections.max.idle.ms
  int64_t send_timeout_ms = 30000;        // a response not written by then closes the connection
  // Kafka's SSL security protocol: every connection starts with a TLS handshake (client
  // certificates per the context's ssl.client.auth); null: PLAINTEXT. The process must ignore
  // SIGPIPE (OpenSSL writes with write(2)).
  std::shared_ptr<security::TlsServerContext> tls;
  int64_t tls_handshake_timeout_ms = 10000;
};

// What the server asks of the protocol layer.
class RequestProcessor {
 public:
  struct Outcome {
    absl::Status status;            // not OK: close the connection (the message is logged)
    // The whole response frame, size prefix included; nullopt: none is sent (acks=0).
    std::optional<std::string> response;
  };
  virtual ~RequestProcessor() = default;
  // `frame` is one request without its size prefix. `closing` turns true when the server
  // stops or the connection is going away; long polls watch it.
  virtual Outcome Process(std::string_view frame, const std::string& peer,
                          const std::function<bool()>& closing) = 0;
  // Open connections changed by `delta` (+1 accepted, -1 closed): for the metrics gauge.
  virtual void ConnectionsChanged(int delta) {}
};

class Server {
 public:
  // Binds, listens and starts accepting. `processor` must outlive the server.
  static absl::StatusOr<std::unique_ptr<Server>> Start(ServerOptions options,
                                                       RequestProcessor* processor);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  int port() const { return port_; }
  void Stop();

 private:
  struct Connection {
    int fd = -1;
    SSL* ssl = nullptr;  // with TLS; freed by the reaper with the descriptor
    std::string peer;
    std::thread thread;
    std::atomic<bool> done{false};
  };

  Server(ServerOptions options, RequestProcessor* processor);
  void AcceptLoop();
  void Serve(Connection* connection);
  // Joins and removes finished connections. Requires mu_.
  void ReapLocked();

  const ServerOptions options_;
  RequestProcessor* const processor_;
  int listen_fd_ = -1;
  int wake_fd_ = -1;  // eventfd: wakes the acceptor on Stop
  int port_ = 0;
  std::atomic<bool> stopping_{false};
  std::thread acceptor_;

  std::mutex mu_;
  std::list<std::unique_ptr<Connection>> connections_;  // guarded by mu_
  bool stopped_ = false;                                // guarded by mu_
};

}  // namespace keel::broker::kafka

#endif  // KEEL_BROKER_KAFKA_SERVER_H_
