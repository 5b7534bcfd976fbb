#include "broker/kafka/server.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include <cerrno>
#include <algorithm>
#include <cstring>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/logging.h"

namespace keel::broker::kafka {
namespace {

// The smallest request: api key, api version, correlation id (request header v0).
constexpr int32_t kMinRequestBytes = 8;
// How often a blocked read looks at the stop flag (Stop also shuts the socket down).
constexpr int kPollSliceMs = 500;
// A request body is read (and its buffer grown) this much at a time.
constexpr size_t kReadChunkBytes = 1 << 20;

std::string ErrnoText(int err) { return std::strerror(err); }

absl::StatusOr<sockaddr_storage> Resolve(const std::string& listen, socklen_t* length) {
  const size_t colon = listen.rfind(':');
  int port = 0;
  if (colon == std::string::npos || !absl::SimpleAtoi(listen.substr(colon + 1), &port) ||
      port < 0 || port > 65535) {
    return absl::InvalidArgumentError(
        absl::StrCat("--kafka_listen '", listen, "' is not host:port"));
  }
  std::string host = listen.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE;
  addrinfo* found = nullptr;
  const std::string port_text = std::to_string(port);
  if (int rc = getaddrinfo(host.empty() ? nullptr : host.c_str(), port_text.c_str(), &hints,
                           &found);
      rc != 0 || found == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat("--kafka_listen '", listen, "': ", gai_strerror(rc)));
  }
  sockaddr_storage out{};
  std::memcpy(&out, found->ai_addr, found->ai_addrlen);
  *length = found->ai_addrlen;
  freeaddrinfo(found);
  return out;
}

std::string PeerName(const sockaddr_storage& addr) {
  char host[INET6_ADDRSTRLEN] = "?";
  int port = 0;
  if (addr.ss_family == AF_INET) {
    const auto* in = reinterpret_cast<const sockaddr_in*>(&addr);
    inet_ntop(AF_INET, &in->sin_addr, host, sizeof(host));
    port = ntohs(in->sin_port);
  } else if (addr.ss_family == AF_INET6) {
    const auto* in6 = reinterpret_cast<const sockaddr_in6*>(&addr);
    inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof(host));
    port = ntohs(in6->sin6_port);
  }
  return absl::StrCat(host, ":", port);
}

// Why a connection ended. An orderly close by the client between requests is
// ClosedByClient() (OutOfRange), so the request loop stops instead of parsing a size it
// never read.
using Ending = absl::Status;

Ending ClosedByClient() { return absl::OutOfRangeError("closed by the client"); }

// One read of at most `size` bytes from the socket or, with TLS, from the session: > 0 bytes,
// 0 at an orderly close, -1 with errno (EAGAIN: nothing yet, try again), -2 for a TLS error
// (its text in `tls_error`).
ssize_t ReadSome(int fd, SSL* ssl, char* data, size_t size, std::string* tls_error) {
  if (ssl == nullptr) return recv(fd, data, size, 0);
  ERR_clear_error();
  const int n = SSL_read(ssl, data, static_cast<int>(std::min<size_t>(size, INT32_MAX)));
  if (n > 0) return n;
  switch (SSL_get_error(ssl, n)) {
    case SSL_ERROR_WANT_READ:
    case SSL_ERROR_WANT_WRITE:
      errno = EAGAIN;
      return -1;
    case SSL_ERROR_ZERO_RETURN:
      return 0;
    case SSL_ERROR_SYSCALL:
      if (errno == 0) return 0;  // EOF without close_notify: a client that just went away
      return -1;
    default: {
      char buffer[256];
      ERR_error_string_n(ERR_get_error(), buffer, sizeof(buffer));
      *tls_error = buffer;
      return -2;
    }
  }
}

// Reads exactly `size` bytes. `at_boundary`: nothing of a request read yet, so EOF is an
// orderly close (ClosedByClient) and the idle timeout applies.
Ending ReadFully(int fd, SSL* ssl, char* data, size_t size, bool at_boundary,
                 int64_t idle_timeout_ms, const std::atomic<bool>& stopping) {
  size_t got = 0;
  int64_t waited_ms = 0;
  while (got < size) {
    if (stopping.load()) return absl::CancelledError("the listener is stopping");
    pollfd p{fd, POLLIN, 0};
    // Bytes OpenSSL already decrypted do not show on the socket.
    const int ready = ssl != nullptr && SSL_pending(ssl) > 0 ? 1 : poll(&p, 1, kPollSliceMs);
    if (ready < 0) {
      if (errno == EINTR) continue;
      return absl::InternalError(absl::StrCat("poll: ", ErrnoText(errno)));
    }
    if (ready == 0) {
      waited_ms += kPollSliceMs;
      if (waited_ms >= idle_timeout_ms) {
        return absl::DeadlineExceededError(
            at_boundary && got == 0
                ? absl::StrCat("idle for ", idle_timeout_ms, " ms")
                : absl::StrCat("a request stalled mid-frame for ", idle_timeout_ms, " ms"));
      }
      continue;
    }
    errno = 0;
    std::string tls_error;
    const ssize_t n = ReadSome(fd, ssl, data + got, size - got, &tls_error);
    if (n == -2) return absl::UnavailableError("TLS: " + tls_error);
    if (n == 0) {
      if (at_boundary && got == 0) return ClosedByClient();
      return absl::DataLossError(absl::StrCat("the client closed mid-frame (", got, " of ",
                                              size, " bytes)"));
    }
    if (n < 0) {
      if (errno == EINTR || errno == EAGAIN) continue;
      return absl::UnavailableError(absl::StrCat("recv: ", ErrnoText(errno)));
    }
    got += static_cast<size_t>(n);
    waited_ms = 0;
  }
  return absl::OkStatus();
}

Ending WriteFully(int fd, SSL* ssl, const std::string& data) {
  size_t sent = 0;
  if (ssl != nullptr) {
    while (sent < data.size()) {
      ERR_clear_error();
      const int n = SSL_write(ssl, data.data() + sent,
                              static_cast<int>(std::min<size_t>(data.size() - sent, 1 << 30)));
      if (n > 0) {
        sent += static_cast<size_t>(n);
        continue;
      }
      const int error = SSL_get_error(ssl, n);
      if (error == SSL_ERROR_WANT_WRITE ||
          (error == SSL_ERROR_SYSCALL && (errno == EAGAIN || errno == EWOULDBLOCK))) {
        return absl::DeadlineExceededError("the client stopped reading (send timeout)");
      }
      return absl::UnavailableError(absl::StrCat("TLS write failed (", error, ")"));
    }
    return absl::OkStatus();
  }
  while (sent < data.size()) {
    const ssize_t n = send(fd, data.data() + sent, data.size() - sent, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) {
        return absl::DeadlineExceededError("the client stopped reading (send timeout)");
      }
      return absl::UnavailableError(absl::StrCat("send: ", ErrnoText(errno)));
    }
    sent += static_cast<size_t>(n);
  }
  return absl::OkStatus();
}

}  // namespace

Server::Server(ServerOptions options, RequestProcessor* processor)
    : options_(std::move(options)), processor_(processor) {}

Server::~Server() { Stop(); }

absl::StatusOr<std::unique_ptr<Server>> Server::Start(ServerOptions options,
                                                      RequestProcessor* processor) {
  std::unique_ptr<Server> s(new Server(std::move(options), processor));
  socklen_t length = 0;
  auto addr = Resolve(s->options_.listen, &length);
  if (!addr.ok()) return addr.status();
  s->listen_fd_ = socket(addr->ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (s->listen_fd_ < 0) return absl::InternalError(absl::StrCat("socket: ", ErrnoText(errno)));
  int one = 1;
  setsockopt(s->listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  if (bind(s->listen_fd_, reinterpret_cast<sockaddr*>(&*addr), length) != 0 ||
      listen(s->listen_fd_, 128) != 0) {
    return absl::UnavailableError(absl::StrCat("cannot listen on ", s->options_.listen, ": ",
                                               ErrnoText(errno)));
  }
  sockaddr_storage bound{};
  socklen_t bound_length = sizeof(bound);
  getsockname(s->listen_fd_, reinterpret_cast<sockaddr*>(&bound), &bound_length);
  s->port_ = bound.ss_family == AF_INET6
                 ? ntohs(reinterpret_cast<sockaddr_in6*>(&bound)->sin6_port)
                 : ntohs(reinterpret_cast<sockaddr_in*>(&bound)->sin_port);
  s->wake_fd_ = eventfd(0, EFD_CLOEXEC);
  if (s->wake_fd_ < 0) return absl::InternalError(absl::StrCat("eventfd: ", ErrnoText(errno)));
  s->acceptor_ = std::thread([raw = s.get()] { raw->AcceptLoop(); });
  return s;
}

void Server::AcceptLoop() {
  while (!stopping_.load()) {
    pollfd fds[2] = {{listen_fd_, POLLIN, 0}, {wake_fd_, POLLIN, 0}};
    const int ready = poll(fds, 2, 1000);
    if (ready < 0 && errno != EINTR) {
      KEEL_LOG_ERROR("kafka listener: poll failed: {}", ErrnoText(errno));
      return;
    }
    if (stopping_.load()) return;
    std::lock_guard<std::mutex> lock(mu_);
    ReapLocked();
    if (ready <= 0 || !(fds[0].revents & POLLIN)) continue;
    sockaddr_storage peer_addr{};
    socklen_t peer_length = sizeof(peer_addr);
    const int fd = accept4(listen_fd_, reinterpret_cast<sockaddr*>(&peer_addr), &peer_length,
                           SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno != EINTR && errno != EAGAIN && errno != ECONNABORTED) {
        KEEL_LOG_WARN("kafka listener: accept failed: {}", ErrnoText(errno));
        // Out of descriptors: back off instead of spinning on the pending connection.
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
      }
      continue;
    }
    const std::string peer = PeerName(peer_addr);
    if (static_cast<int>(connections_.size()) >= options_.max_connections) {
      KEEL_LOG_WARN("kafka listener: refusing connection from {}: {} connections open (the cap)",
                    peer, connections_.size());
      close(fd);
      continue;
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    timeval send_timeout{};
    send_timeout.tv_sec = options_.send_timeout_ms / 1000;
    send_timeout.tv_usec = (options_.send_timeout_ms % 1000) * 1000;
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &send_timeout, sizeof(send_timeout));
    auto connection = std::make_unique<Connection>();
    connection->fd = fd;
    connection->peer = peer;
    Connection* raw = connection.get();
    connections_.push_back(std::move(connection));
    processor_->ConnectionsChanged(+1);
    if (options_.tls != nullptr) {
      raw->ssl = options_.tls->NewSsl();
      if (raw->ssl == nullptr) KEEL_LOG_ERROR("kafka listener: SSL_new failed for {}", peer);
    }
    raw->thread = std::thread([this, raw] { Serve(raw); });
  }
}

namespace {

// The server side of the TLS handshake on `fd`, bounded by `timeout_ms` (a receive timeout
// for its duration: a client that connects and says nothing holds the thread no longer).
Ending Handshake(int fd, SSL* ssl, int64_t timeout_ms) {
  auto set_receive_timeout = [fd](int64_t ms) {
    timeval t{};
    t.tv_sec = ms / 1000;
    t.tv_usec = (ms % 1000) * 1000;
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &t, sizeof(t));
  };
  set_receive_timeout(timeout_ms);
  ERR_clear_error();
  SSL_set_fd(ssl, fd);
  const int rc = SSL_accept(ssl);
  Ending ending;
  if (rc != 1) {
    const int error = SSL_get_error(ssl, rc);
    char buffer[256] = "";
    if (unsigned long code = ERR_get_error(); code != 0) {
      ERR_error_string_n(code, buffer, sizeof(buffer));
    } else if (error == SSL_ERROR_SYSCALL || error == SSL_ERROR_WANT_READ) {
      std::snprintf(buffer, sizeof(buffer), "%s",
                    errno == EAGAIN ? "timed out" : "the client closed the connection");
    }
    ending = absl::UnauthenticatedError(absl::StrCat("TLS handshake failed: ", buffer));
  }
  set_receive_timeout(0);  // reads poll with the idle timeout from here on
  return ending;
}

}  // namespace

void Server::Serve(Connection* connection) {
  const int fd = connection->fd;
  SSL* const ssl = connection->ssl;
  std::string frame;
  const std::function<bool()> closing = [this] { return stopping_.load(); };
  Ending ending;
  if (options_.tls != nullptr && ssl == nullptr) {
    ending = absl::InternalError("no TLS session (SSL_new failed)");  // never plaintext
  } else if (ssl != nullptr) {
    ending = Handshake(fd, ssl, options_.tls_handshake_timeout_ms);
    if (ending.ok()) {
      // The principal is what ACLs will check (docs/security.md); for now it is logged.
      auto principal = options_.tls->PeerPrincipal(ssl);
      if (principal.ok()) {
        KEEL_LOG_DEBUG("kafka connection from {}: TLS as {}", connection->peer,
                       principal->ToString());
      } else {
        ending = absl::UnauthenticatedError(principal.status().message());
      }
    }
  }
  while (ending.ok()) {
    char size_bytes[4];
    ending = ReadFully(fd, ssl, size_bytes, 4, /*at_boundary=*/true, options_.idle_timeout_ms,
                       stopping_);
    if (!ending.ok() || stopping_.load()) break;
    const int32_t size = static_cast<int32_t>(
        (static_cast<uint32_t>(static_cast<uint8_t>(size_bytes[0])) << 24) |
        (static_cast<uint32_t>(static_cast<uint8_t>(size_bytes[1])) << 16) |
        (static_cast<uint32_t>(static_cast<uint8_t>(size_bytes[2])) << 8) |
        static_cast<uint32_t>(static_cast<uint8_t>(size_bytes[3])));
    if (size < kMinRequestBytes || size > options_.max_request_bytes) {
      ending = absl::InvalidArgumentError(
          absl::StrCat("request size ", size, " is outside [", kMinRequestBytes, ", ",
                       options_.max_request_bytes, "] (socket.request.max.bytes)"));
      break;
    }
    // The buffer grows with the bytes that really arrive (1 MiB at a time), so a client that
    // announces 100 MiB and sends little holds little memory.
    frame.clear();
    while (ending.ok() && frame.size() < static_cast<size_t>(size)) {
      const size_t have = frame.size();
      const size_t step = std::min<size_t>(static_cast<size_t>(size) - have, kReadChunkBytes);
      frame.resize(have + step);
      ending = ReadFully(fd, ssl, frame.data() + have, step, /*at_boundary=*/false,
                         options_.idle_timeout_ms, stopping_);
    }
    if (!ending.ok()) break;
    RequestProcessor::Outcome outcome = processor_->Process(frame, connection->peer, closing);
    if (!outcome.status.ok()) {
      ending = outcome.status;
      break;
    }
    if (outcome.response.has_value()) {
      ending = WriteFully(fd, ssl, *outcome.response);
      if (!ending.ok()) break;
    }
    // A large request's buffer is not kept for the connection's lifetime.
    if (frame.capacity() > (1 << 20)) std::string().swap(frame);
  }
  if (ending.ok() || absl::IsOutOfRange(ending)) {
    KEEL_LOG_DEBUG("kafka connection from {} closed by the client", connection->peer);
  } else if (absl::IsDataLoss(ending)) {
    // A client going away mid-request (librdkafka does on destroy): not a protocol error.
    KEEL_LOG_INFO("kafka connection from {} closed: {}", connection->peer, ending.ToString());
  } else if (!stopping_.load()) {
    KEEL_LOG_WARN("kafka connection from {} closed: {}", connection->peer, ending.ToString());
  }
  // The descriptor is closed by the reaper (or Stop), after this thread is joined, so it is
  // never reused while Stop might still shut it down.
  shutdown(fd, SHUT_RDWR);
  processor_->ConnectionsChanged(-1);
  connection->done = true;
}

void Server::ReapLocked() {
  for (auto it = connections_.begin(); it != connections_.end();) {
    if ((*it)->done.load()) {
      if ((*it)->thread.joinable()) (*it)->thread.join();
      if ((*it)->ssl != nullptr) SSL_free((*it)->ssl);
      close((*it)->fd);
      it = connections_.erase(it);
    } else {
      ++it;
    }
  }
}

void Server::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopped_) return;
    stopped_ = true;
  }
  stopping_ = true;
  if (wake_fd_ >= 0) {
    const uint64_t one = 1;
    (void)!write(wake_fd_, &one, sizeof(one));
  }
  if (acceptor_.joinable()) acceptor_.join();
  std::list<std::unique_ptr<Connection>> connections;
  {
    std::lock_guard<std::mutex> lock(mu_);
    connections.swap(connections_);
  }
  for (auto& c : connections) shutdown(c->fd, SHUT_RDWR);
  for (auto& c : connections) {
    if (c->thread.joinable()) c->thread.join();
    if (c->ssl != nullptr) SSL_free(c->ssl);
    close(c->fd);
  }
  if (listen_fd_ >= 0) close(listen_fd_);
  if (wake_fd_ >= 0) close(wake_fd_);
  listen_fd_ = wake_fd_ = -1;
}

}  // namespace keel::broker::kafka
