// A TLS connection relayed to plain bytes, on one libevent loop's thread: a
// bufferevent_openssl on the TLS socket, relaying the decrypted bytes both
// ways to one end of a socketpair whose other end is used as an ordinary
// socket. The server (ttserver/net/worker.h) ends TLS of --tls-port this way,
// so connections, protocol sessions and replication streams see plain bytes;
// the client side (client/tls_tunnel.h) gives RemoteDB a plain socket to a
// TLS master the same way.
//
// Ends (the owner is told through `on_done`, and destroys the bridge):
//   - the TLS peer ends its side: the plain end gets EOF after the bytes
//     before it (its user answers what it received, then closes its end);
//   - the plain end is closed: what was written to it is sent to the TLS
//     peer, then the TLS connection is closed (close_notify first);
//   - a TLS error (a failed handshake goes to `on_handshake_failure`) or a
//     socket error: both sockets close at once;
//   - a handshake (kAccept) not completed within its deadline: reported to
//     `on_handshake_failure` as a failed one, both sockets close at once.
// Each direction buffers at most kBridgeHighWater bytes before it stops
// reading from its source, so a peer that does not read blocks the writer as
// a plain socket would.
#pragma once

#include <functional>
#include <string>

struct bufferevent;
struct event;
struct event_base;
typedef struct ssl_st SSL;

namespace tt {

class TlsBridge {
 public:
  using OnDone = std::function<void(TlsBridge*)>;
  // (peer "address:port", OpenSSL's reasons)
  using OnHandshakeFailure = std::function<void(const std::string&, const std::string&)>;
  enum class Role {
    kAccept,     // the server side of a handshake not yet made
    kConnected,  // a handshake already completed (the client side, by TlsTunnel)
  };

  // Takes ownership of `ssl`, `tls_fd` (the TLS peer's socket) and
  // `plain_fd` (a non-blocking socketpair end), and starts relaying on
  // `base` (after the handshake, for kAccept). `on_done` is called once, on
  // the loop's thread, when the bridge has finished; the bridge may be
  // destroyed from within it. For kAccept, a `handshake_timeout_s` > 0 is
  // the time the peer has from now to complete the handshake. On failure
  // (no bufferevent or timer) returns false, having closed both sockets;
  // on_done is then never called.
  bool Start(event_base* base, SSL* ssl, Role role, int tls_fd, int plain_fd, OnDone on_done,
             OnHandshakeFailure on_handshake_failure, double handshake_timeout_s = 0);
  // Frees the bufferevents, closing both sockets, without telling on_done.
  ~TlsBridge();

  // Shutdown: stops at once (both sockets closed) without telling on_done.
  // Used for the bridges of replication streams, which never end on their own.
  void Abort();

  // "host:port" of the TLS peer ("[host]:port" for IPv6), as Start() found it.
  const std::string& peer() const { return peer_; }

 private:
  static void OnTlsRead(bufferevent* bev, void* arg);
  static void OnTlsWritten(bufferevent* bev, void* arg);
  static void OnTlsEvent(bufferevent* bev, short what, void* arg);
  static void OnPlainRead(bufferevent* bev, void* arg);
  static void OnPlainWritten(bufferevent* bev, void* arg);
  static void OnPlainEvent(bufferevent* bev, short what, void* arg);
  static void OnHandshakeDeadline(int fd, short what, void* arg);

  // Moves what `from` has read to `to`'s output; pauses reading `from` while
  // that output holds more than kBridgeHighWater bytes.
  static void Relay(bufferevent* from, bufferevent* to);
  // Ends the bridge; `clean`: after a normal close (send close_notify).
  void Finish(bool clean);
  // Closes the plain end's writing side once the client's last bytes are through.
  void MaybeShutdownPlainWrite();
  // Frees the bufferevents (closing both sockets) and the handshake timer.
  void FreeEvents();

  bufferevent* tls_ = nullptr;        // the client's socket, through OpenSSL
  bufferevent* plain_ = nullptr;      // our end of the socketpair
  event* handshake_timer_ = nullptr;  // until the handshake completes (kAccept)
  double handshake_timeout_s_ = 0;
  OnDone on_done_;
  OnHandshakeFailure on_handshake_failure_;
  std::string peer_;  // "address:port" of the client, for logs
  bool handshake_done_ = false;
  bool tls_eof_ = false;  // the client ended its side
  bool plain_write_shut_ = false;
  bool plain_eof_ = false;  // the connection closed its end
  bool finished_ = false;
};

// The reasons OpenSSL queued on this thread, joined by "; " (and the queue
// cleared); empty when there is none.
std::string TakeOpenSslErrors();

}  // namespace tt
