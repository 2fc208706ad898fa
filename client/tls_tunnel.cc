#include "client/tls_tunnel.h"

#include <arpa/inet.h>
#include <event2/event.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "common/tls_bridge.h"

namespace tt {

namespace {

struct CtxDeleter {
  void operator()(SSL_CTX* ctx) const { SSL_CTX_free(ctx); }
};
struct SslDeleter {
  void operator()(SSL* ssl) const { SSL_free(ssl); }
};

int NoPassphrase(char*, int, int, void*) { return 0; }

Status MakeContext(const TlsClientOptions& options, std::unique_ptr<SSL_CTX, CtxDeleter>* out) {
  std::unique_ptr<SSL_CTX, CtxDeleter> ctx(SSL_CTX_new(TLS_client_method()));
  if (ctx == nullptr) return Status::IoError("cannot create a TLS context: " + TakeOpenSslErrors());
  SSL_CTX_set_min_proto_version(ctx.get(), TLS1_2_VERSION);
  SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_PEER, nullptr);
  SSL_CTX_set_default_passwd_cb(ctx.get(), &NoPassphrase);
  const int loaded = options.ca.empty()
                         ? SSL_CTX_set_default_verify_paths(ctx.get())
                         : SSL_CTX_load_verify_locations(ctx.get(), options.ca.c_str(), nullptr);
  if (loaded != 1) {
    return Status::InvalidArgument((options.ca.empty() ? std::string("the system's CA certificates")
                                                       : "--tls-ca " + options.ca) +
                                   ": cannot be read (" + TakeOpenSslErrors() +
                                   "); give a PEM file of CA certificates");
  }
  if (!options.cert.empty() &&
      (SSL_CTX_use_PrivateKey_file(ctx.get(), options.key.c_str(), SSL_FILETYPE_PEM) != 1 ||
       SSL_CTX_use_certificate_chain_file(ctx.get(), options.cert.c_str()) != 1 ||
       SSL_CTX_check_private_key(ctx.get()) != 1)) {
    return Status::InvalidArgument("client certificate --tls-cert " + options.cert +
                                   " / --tls-key " + options.key + " unusable (" +
                                   TakeOpenSslErrors() + ")");
  }
  *out = std::move(ctx);
  return Status::Ok();
}

// The server's name to check its certificate against (and, for a name, to
// send as SNI).
bool ExpectServer(SSL* ssl, const std::string& host) {
  in_addr v4;
  in6_addr v6;
  if (inet_pton(AF_INET, host.c_str(), &v4) == 1 || inet_pton(AF_INET6, host.c_str(), &v6) == 1) {
    return X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), host.c_str()) == 1;
  }
  SSL_set_tlsext_host_name(ssl, host.c_str());
  return SSL_set1_host(ssl, host.c_str()) == 1;
}

Status Handshake(SSL* ssl, int fd, const std::string& where, const Deadline& deadline) {
  for (;;) {
    ERR_clear_error();
    int rc = SSL_connect(ssl);
    if (rc == 1) return Status::Ok();
    int err = SSL_get_error(ssl, rc);
    if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) {
      Status s = WaitFd(fd, err == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT, deadline,
                        "TLS handshake with " + where);
      if (!s.ok()) return s;
      continue;
    }
    std::string reason = TakeOpenSslErrors();
    long verify = SSL_get_verify_result(ssl);
    if (verify != X509_V_OK) {
      reason += std::string(reason.empty() ? "" : "; ") +
                "server certificate: " + X509_verify_cert_error_string(verify);
    }
    if (reason.empty()) {
      reason = err == SSL_ERROR_SYSCALL && errno != 0 ? std::strerror(errno)
                                                      : "the server closed the connection";
    }
    return Status::Network("TLS handshake with " + where + " failed: " + reason);
  }
}

}  // namespace

Status TlsTunnel::Start(int fd, const std::string& host, int port, const TlsClientOptions& options,
                        const Deadline& deadline, std::unique_ptr<TlsTunnel>* out, int* plain_fd) {
  const std::string where = HostPort(host, port);
  std::unique_ptr<SSL_CTX, CtxDeleter> ctx;
  Status s = MakeContext(options, &ctx);
  std::unique_ptr<SSL, SslDeleter> ssl;
  if (s.ok()) {
    ssl.reset(SSL_new(ctx.get()));  // holds its own reference to ctx
    if (ssl == nullptr || SSL_set_fd(ssl.get(), fd) != 1 || !ExpectServer(ssl.get(), host)) {
      s = Status::IoError("cannot set up TLS to " + where + ": " + TakeOpenSslErrors());
    }
  }
  if (s.ok()) s = Handshake(ssl.get(), fd, where, deadline);
  int pair[2] = {-1, -1};
  if (s.ok() && socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, pair) != 0) {
    s = Status::IoError(std::string("socketpair: ") + std::strerror(errno));
  }
  std::unique_ptr<TlsTunnel> tunnel(new TlsTunnel());
  if (s.ok()) {
    tunnel->base_ = event_base_new();
    tunnel->stop_fd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (tunnel->base_ != nullptr && tunnel->stop_fd_ >= 0) {
      tunnel->stop_ev_ =
          event_new(tunnel->base_, tunnel->stop_fd_, EV_READ, &TlsTunnel::OnStop, tunnel.get());
    }
    if (tunnel->stop_ev_ == nullptr || event_add(tunnel->stop_ev_, nullptr) != 0) {
      s = Status::IoError("cannot set up the TLS relay to " + where);
    }
  }
  if (!s.ok()) {
    close(fd);
    if (pair[0] >= 0) close(pair[0]);
    if (pair[1] >= 0) close(pair[1]);
    return s;
  }
  tunnel->bridge_ = std::make_unique<TlsBridge>();
  event_base* base = tunnel->base_;
  if (!tunnel->bridge_->Start(
          base, ssl.release(), TlsBridge::Role::kConnected, fd, pair[1],
          [base](TlsBridge*) { event_base_loopbreak(base); }, nullptr)) {
    close(pair[0]);
    return Status::IoError("cannot set up the TLS relay to " + where);
  }
  TlsTunnel* raw = tunnel.get();
  tunnel->thread_ = std::thread([raw] { event_base_dispatch(raw->base_); });
  *plain_fd = pair[0];
  *out = std::move(tunnel);
  return Status::Ok();
}

void TlsTunnel::OnStop(int, short, void* arg) {
  auto* self = static_cast<TlsTunnel*>(arg);
  self->bridge_->Abort();
  event_base_loopbreak(self->base_);
}

TlsTunnel::~TlsTunnel() {
  if (thread_.joinable()) {
    uint64_t one = 1;
    [[maybe_unused]] ssize_t n = write(stop_fd_, &one, sizeof one);
    thread_.join();
  }
  bridge_.reset();  // before the loop it is registered with
  if (stop_ev_ != nullptr) event_free(stop_ev_);
  if (stop_fd_ >= 0) close(stop_fd_);
  if (base_ != nullptr) event_base_free(base_);
}

}  // namespace tt
