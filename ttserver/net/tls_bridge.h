// TLS termination for one connection of the --tls-port, on its worker's
// thread: a libevent bufferevent_openssl on the accepted socket, relaying the
// decrypted bytes both ways to one end of a socketpair whose other end is an
// ordinary Connection. So the connection, every protocol session and a
// replication stream handed off to the feeder see plain bytes, exactly as on
// the plain port; TLS exists only here and in tls_context.h.
//
// Ends (the worker is told through `on_done`, and destroys the bridge):
//   - the client ends its side: the plain end gets EOF after the bytes before
//     it (the connection answers what it received, then closes its end);
//   - the connection closes its end: what it wrote is sent to the client,
//     then the TLS connection is closed (close_notify first);
//   - a TLS error (a failed handshake is reported through the context,
//     rate-limited) or a socket error: both sockets close at once.
// Each direction buffers at most kBridgeHighWater bytes before it stops
// reading from its source, so a client that does not read its replies blocks
// the connection as it would on the plain port (where -tout applies).
#pragma once

#include <functional>
#include <string>

#include "ttserver/net/tls_context.h"

struct bufferevent;
struct event_base;

namespace tt {

class TlsBridge {
 public:
  using OnDone = std::function<void(TlsBridge*)>;

  // Takes ownership of `tls_fd` (an accepted socket) and `plain_fd` (a
  // non-blocking socketpair end), and starts the server side of the
  // handshake on `base`. `tls` must outlive the bridge. `on_done` is called
  // once, on the loop's thread, when the bridge has finished; the bridge may
  // be destroyed from within it. On failure (no session, no bufferevent)
  // returns false, having closed both sockets; on_done is then never called.
  bool Start(event_base* base, TlsContext* tls, int tls_fd, int plain_fd, OnDone on_done);
  // Frees the bufferevents, closing both sockets, without telling on_done.
  ~TlsBridge();

  // Shutdown: stops at once (both sockets closed) without telling on_done.
  // Used for the bridges of replication streams, which never end on their own.
  void Abort();

 private:
  static void OnTlsRead(bufferevent* bev, void* arg);
  static void OnTlsWritten(bufferevent* bev, void* arg);
  static void OnTlsEvent(bufferevent* bev, short what, void* arg);
  static void OnPlainRead(bufferevent* bev, void* arg);
  static void OnPlainWritten(bufferevent* bev, void* arg);
  static void OnPlainEvent(bufferevent* bev, short what, void* arg);

  // Moves what `from` has read to `to`'s output; pauses reading `from` while
  // that output holds more than kBridgeHighWater bytes.
  static void Relay(bufferevent* from, bufferevent* to);
  // Ends the bridge; `clean`: after a normal close (send close_notify).
  void Finish(bool clean);
  // Closes the plain end's writing side once the client's last bytes are through.
  void MaybeShutdownPlainWrite();
  void FreeBufferevents();

  bufferevent* tls_ = nullptr;    // the client's socket, through OpenSSL
  bufferevent* plain_ = nullptr;  // our end of the socketpair
  TlsContext* context_ = nullptr;
  OnDone on_done_;
  std::string peer_;  // "address:port" of the client, for logs
  bool handshake_done_ = false;
  bool tls_eof_ = false;  // the client ended its side
  bool plain_write_shut_ = false;
  bool plain_eof_ = false;  // the connection closed its end
  bool finished_ = false;
};

}  // namespace tt
