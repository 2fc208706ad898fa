// The Tokyo Tyrant binary protocol on one connection: parses each request
// (binary_request.h), runs it against the Engine, encodes the reply byte for
// byte as the original does (binary-protocol.md §2–3).
#pragma once

#include <string>

#include "ttserver/binary_request.h"
#include "ttserver/misc.h"
#include "ttserver/protocol_session.h"
#include "ttserver/server_context.h"

namespace tt {

class BinarySession : public ProtocolSession {
 public:
  // `fd` is the connection's socket (reported by stat). `context` must outlive the session.
  BinarySession(ServerContext* context, int fd) : context_(context), fd_(fd) {}

  Result Process(std::string_view in, size_t* consumed, std::string* out) override;
  bool MidRequest() const override { return mid_request_; }

 private:
  // Runs one parsed request, appending its reply. Returns kClose for repl.
  Result Execute(const BinaryRequest& request, std::string* out);
  void ExecuteMisc(const BinaryRequest& request, std::string* out);

  ServerContext* context_;
  int fd_;
  bool mid_request_ = false;
  IteratorState iterator_;
};

}  // namespace tt
