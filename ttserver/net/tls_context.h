// The server's TLS settings (--tls-cert, --tls-key, --tls-ca) as an OpenSSL
// context from which each accepted TLS connection takes its session.
//
// Reload() (SIGHUP) builds a whole new context from the same files and swaps
// it in only if every file loads and the key matches the certificate: new
// connections use it, connections already open keep the one they started
// with (OpenSSL counts the references), and a failed reload keeps the old one.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>

#include "common/status.h"

typedef struct ssl_ctx_st SSL_CTX;
typedef struct ssl_st SSL;

namespace tt {

struct TlsFiles {
  std::string cert;  // PEM: the server's certificate, then any intermediates
  std::string key;   // PEM: its private key (unencrypted)
  std::string ca;    // PEM CA certificates clients must be signed by; empty = no client certificate
};

class TlsContext {
 public:
  // Loads `files`. InvalidArgument naming the option, the file and the fix
  // when a file is missing, unreadable, not PEM, or the key does not match
  // the certificate.
  static Status Create(const TlsFiles& files, std::unique_ptr<TlsContext>* out);
  ~TlsContext();
  TlsContext(const TlsContext&) = delete;
  TlsContext& operator=(const TlsContext&) = delete;

  // Loads the files again; on success new connections use the new context,
  // on failure nothing changes and the error says why. Thread-safe.
  Status Reload();
  // A new server-side session on the current context (the caller owns it),
  // or nullptr when OpenSSL cannot make one. Thread-safe.
  SSL* NewSession();
  // "subject CN=..., serial 1A2B, valid until ..." of the current
  // certificate, for logs. Thread-safe.
  std::string Describe();
  // Logs a failed TLS handshake with `peer` at INFO, at most one line a
  // second (the next line counts the ones left out), so that a client
  // retrying with a wrong certificate or a port scanner cannot flood the log.
  // Thread-safe.
  void ReportHandshakeFailure(const std::string& peer, const std::string& reason);

 private:
  explicit TlsContext(const TlsFiles& files) : files_(files) {}

  const TlsFiles files_;
  std::mutex mu_;
  SSL_CTX* ctx_ = nullptr;                                    // GUARDED_BY(mu_)
  std::chrono::steady_clock::time_point last_failure_log_{};  // GUARDED_BY(mu_)
  uint64_t unlogged_failures_ = 0;                            // GUARDED_BY(mu_)
};

}  // namespace tt
