// The client side of TLS for RemoteDB (a slave's master connection with
// -mtls): a handshake on a connected socket, then a relay thread that owns
// the TLS connection (common/tls_bridge.h) and gives the caller the other end
// of a socketpair, on which the binary protocol runs unchanged.
#pragma once

#include <memory>
#include <string>
#include <thread>

#include "client/socket.h"
#include "common/status.h"

struct event;
struct event_base;

namespace tt {

class TlsBridge;

struct TlsClientOptions {
  // PEM CA certificates the server's certificate must be signed by; empty:
  // the system's CAs (/etc/ssl/certs).
  std::string ca;
  // PEM certificate and key presented when the server asks for one; empty: none.
  std::string cert;
  std::string key;
};

class TlsTunnel {
 public:
  // Makes a TLS handshake over `fd` (a connected socket; ownership taken,
  // closed on failure) with the server `host`:`port`, checking its
  // certificate against options.ca and against `host` (a name, or an IP
  // address), within `deadline`. On success *plain_fd is the caller's
  // (non-blocking, close-on-exec) socket of the plain bytes, and *out relays
  // them until the caller closes *plain_fd, the server ends, or *out is
  // destroyed. Errors: InvalidArgument (unreadable files), Network ("TLS
  // handshake with H:P failed: <reason>"), Timeout.
  static Status Start(int fd, const std::string& host, int port, const TlsClientOptions& options,
                      const Deadline& deadline, std::unique_ptr<TlsTunnel>* out, int* plain_fd);
  // Ends the relay (the TLS connection closes) and joins its thread.
  ~TlsTunnel();
  TlsTunnel(const TlsTunnel&) = delete;
  TlsTunnel& operator=(const TlsTunnel&) = delete;

 private:
  TlsTunnel() = default;
  static void OnStop(int fd, short what, void* arg);

  event_base* base_ = nullptr;
  event* stop_ev_ = nullptr;
  int stop_fd_ = -1;  // eventfd: written by the destructor
  std::unique_ptr<TlsBridge> bridge_;
  std::thread thread_;
};

}  // namespace tt
