#include "common/tls_bridge.h"

#include <arpa/inet.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "common/logging.h"
#include "common/socket_address.h"

namespace tt {

namespace {

// Bytes one direction buffers before it stops reading from its source.
constexpr size_t kBridgeHighWater = 256 * 1024;
// After the connection closed its end: how long the client may take to read
// its last replies before the TLS connection is dropped (as Connection's
// linger for a peer that does not read).
constexpr int kCloseLingerS = 10;

// The peer's address for log lines ("fd N" when it has none).
std::string LogAddress(int fd) {
  std::string address = PeerAddress(fd);
  return address.empty() ? "fd " + std::to_string(fd) : address;
}

// Why the TLS bufferevent failed: OpenSSL's reasons (and, when a client
// certificate was refused, the verification's), else the socket's errno.
std::string ErrorReason(bufferevent* bev) {
  std::string text;
  auto add = [&text](const std::string& part) {
    if (!part.empty()) text += (text.empty() ? "" : "; ") + part;
  };
  while (unsigned long code = bufferevent_get_openssl_error(bev)) {
    // libevent queues SSL_get_error()'s result too (library 0): no reason in it.
    if (ERR_GET_LIB(code) == 0) continue;
    char buf[256];
    ERR_error_string_n(code, buf, sizeof buf);
    add(buf);
  }
  add(TakeOpenSslErrors());
  SSL* ssl = bufferevent_openssl_get_ssl(bev);
  long verify = ssl != nullptr ? SSL_get_verify_result(ssl) : X509_V_OK;
  if (verify != X509_V_OK) {
    add(std::string("peer certificate: ") + X509_verify_cert_error_string(verify));
  }
  if (text.empty()) {
    int err = EVUTIL_SOCKET_ERROR();
    text = err != 0 ? std::strerror(err) : "the connection ended during the handshake";
  }
  return text;
}

}  // namespace

std::string TakeOpenSslErrors() {
  std::string text;
  while (unsigned long code = ERR_get_error()) {
    char buf[256];
    ERR_error_string_n(code, buf, sizeof buf);
    if (!text.empty()) text += "; ";
    text += buf;
  }
  return text;
}

bool TlsBridge::Start(event_base* base, SSL* ssl, Role role, int tls_fd, int plain_fd,
                      OnDone on_done, OnHandshakeFailure on_handshake_failure) {
  on_done_ = std::move(on_done);
  on_handshake_failure_ = std::move(on_handshake_failure);
  peer_ = LogAddress(tls_fd);
  handshake_done_ = role == Role::kConnected;
  int one = 1;
  setsockopt(tls_fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  tls_ = bufferevent_openssl_socket_new(
      base, tls_fd, ssl, role == Role::kAccept ? BUFFEREVENT_SSL_ACCEPTING : BUFFEREVENT_SSL_OPEN,
      BEV_OPT_CLOSE_ON_FREE);
  // On failure libevent may or may not have freed the session; leaking it
  // (out of memory only) beats freeing it twice.
  if (tls_ == nullptr) {
    LogError("TLS connection with ", peer_, " dropped: cannot set up its session (",
             TakeOpenSslErrors(), ")");
    close(tls_fd);
    close(plain_fd);
    return false;
  }
  plain_ = bufferevent_socket_new(base, plain_fd, BEV_OPT_CLOSE_ON_FREE);
  if (plain_ == nullptr) {
    LogError("TLS connection with ", peer_, " dropped: cannot register its relay");
    close(plain_fd);
    FreeBufferevents();
    return false;
  }
  // Clients that close the TCP connection without a TLS close_notify (most
  // do after their last reply) end normally, not with an error.
  bufferevent_openssl_set_allow_dirty_shutdown(tls_, 1);
  bufferevent_setcb(tls_, &TlsBridge::OnTlsRead, &TlsBridge::OnTlsWritten, &TlsBridge::OnTlsEvent,
                    this);
  bufferevent_setcb(plain_, &TlsBridge::OnPlainRead, &TlsBridge::OnPlainWritten,
                    &TlsBridge::OnPlainEvent, this);
  bufferevent_enable(tls_, EV_READ | EV_WRITE);
  bufferevent_enable(plain_, EV_READ | EV_WRITE);
  return true;
}

TlsBridge::~TlsBridge() { FreeBufferevents(); }

void TlsBridge::Abort() {
  finished_ = true;
  FreeBufferevents();
}

void TlsBridge::FreeBufferevents() {
  if (tls_ != nullptr) bufferevent_free(tls_);  // frees the session, closes the socket
  if (plain_ != nullptr) bufferevent_free(plain_);
  tls_ = plain_ = nullptr;
}

void TlsBridge::Relay(bufferevent* from, bufferevent* to) {
  evbuffer* out = bufferevent_get_output(to);
  evbuffer_add_buffer(out, bufferevent_get_input(from));
  if (evbuffer_get_length(out) > kBridgeHighWater) bufferevent_disable(from, EV_READ);
}

void TlsBridge::OnTlsRead(bufferevent*, void* arg) {
  auto* self = static_cast<TlsBridge*>(arg);
  Relay(self->tls_, self->plain_);
}

void TlsBridge::OnPlainRead(bufferevent*, void* arg) {
  auto* self = static_cast<TlsBridge*>(arg);
  Relay(self->plain_, self->tls_);
}

// The write callbacks run when an output buffer has drained completely (the
// low watermark is 0).
void TlsBridge::OnTlsWritten(bufferevent*, void* arg) {
  auto* self = static_cast<TlsBridge*>(arg);
  if (self->plain_eof_) return self->Finish(/*clean=*/true);
  bufferevent_enable(self->plain_, EV_READ);
}

void TlsBridge::OnPlainWritten(bufferevent*, void* arg) {
  auto* self = static_cast<TlsBridge*>(arg);
  if (!self->tls_eof_) bufferevent_enable(self->tls_, EV_READ);
  self->MaybeShutdownPlainWrite();
}

void TlsBridge::MaybeShutdownPlainWrite() {
  if (!tls_eof_ || plain_write_shut_ || evbuffer_get_length(bufferevent_get_output(plain_)) > 0) {
    return;
  }
  // The connection reads EOF after the client's last request and still
  // sends its replies, as on the plain port after a half-close.
  shutdown(bufferevent_getfd(plain_), SHUT_WR);
  plain_write_shut_ = true;
}

void TlsBridge::OnTlsEvent(bufferevent*, short what, void* arg) {
  auto* self = static_cast<TlsBridge*>(arg);
  if (what & BEV_EVENT_CONNECTED) {
    self->handshake_done_ = true;
    return;
  }
  if (what & BEV_EVENT_EOF) {
    self->tls_eof_ = true;
    Relay(self->tls_, self->plain_);
    if (self->plain_eof_) return self->Finish(/*clean=*/true);
    return self->MaybeShutdownPlainWrite();
  }
  if (what & BEV_EVENT_ERROR) {
    std::string reason = ErrorReason(self->tls_);
    if (self->handshake_done_) {
      LogDebug("TLS connection with ", self->peer_, " failed: ", reason);
    } else {
      if (self->on_handshake_failure_) self->on_handshake_failure_(self->peer_, reason);
    }
    return self->Finish(/*clean=*/false);
  }
  if (what & BEV_EVENT_TIMEOUT) {
    LogInfo("closing TLS connection with ", self->peer_,
            ": the peer does not read its last replies");
    self->Finish(/*clean=*/false);
  }
}

void TlsBridge::OnPlainEvent(bufferevent*, short what, void* arg) {
  auto* self = static_cast<TlsBridge*>(arg);
  if (what & BEV_EVENT_EOF) {
    self->plain_eof_ = true;
    Relay(self->plain_, self->tls_);
    if (evbuffer_get_length(bufferevent_get_output(self->tls_)) == 0) {
      return self->Finish(/*clean=*/true);
    }
    timeval linger{kCloseLingerS, 0};
    bufferevent_set_timeouts(self->tls_, nullptr, &linger);
    return;
  }
  if (what & (BEV_EVENT_ERROR | BEV_EVENT_TIMEOUT)) self->Finish(/*clean=*/false);
}

void TlsBridge::Finish(bool clean) {
  if (finished_) return;
  finished_ = true;
  if (clean && handshake_done_) {
    // Best effort close_notify, so that clients that check for it see a
    // complete stream; the socket closes right after either way.
    SSL_shutdown(bufferevent_openssl_get_ssl(tls_));
    ERR_clear_error();
  }
  FreeBufferevents();
  OnDone done = std::move(on_done_);
  done(this);  // may destroy this
}

}  // namespace tt
