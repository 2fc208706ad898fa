#include "ttserver/protocol_choice.h"

#include "ttserver/binary/binary_session.h"
#include "ttserver/http/http_session.h"
#include "ttserver/memcached/memcached_binary_session.h"
#include "ttserver/memcached/memcached_text_session.h"
#include "ttserver/resp/resp_session.h"

namespace tt {

ProtocolSwitch::ProtocolSwitch(ServerContext* context, int fd) : context_(context), fd_(fd) {}

ProtocolSession* ProtocolSwitch::SessionOf(WireProtocol protocol) {
  std::unique_ptr<ProtocolSession>& session = sessions_[static_cast<size_t>(protocol)];
  if (session == nullptr) {
    switch (protocol) {
      case WireProtocol::kTokyoTyrantBinary:
        session = std::make_unique<BinarySession>(context_, fd_);
        break;
      case WireProtocol::kMemcachedBinary:
        session = std::make_unique<MemcachedBinarySession>(context_, fd_);
        break;
      case WireProtocol::kHttp:
        session = std::make_unique<HttpSession>(context_, fd_);
        break;
      case WireProtocol::kMemcachedText:
        session = std::make_unique<MemcachedTextSession>(context_, fd_);
        break;
      case WireProtocol::kResp:
        session = std::make_unique<RespSession>(context_, fd_);
        break;
    }
  }
  return session.get();
}

ProtocolSession::Result ProtocolSwitch::Process(std::string_view in, size_t* consumed,
                                                std::string* out) {
  *consumed = 0;
  undecided_ = false;
  const size_t out_at_entry = out->size();
  // The session of the last request goes first: it may be inside a request
  // (or, after deferred work, be called without input to end the
  // connection). Each session stops before a request of another protocol.
  ProtocolSession* session = current_;
  for (;;) {
    if (session != nullptr) {
      current_ = session;
      size_t used = 0;
      const Result result = session->Process(in.substr(*consumed), &used, out);
      *consumed += used;
      if (result != Result::kContinue || *consumed == in.size() || session->MidRequest() ||
          out->size() - out_at_entry >= kReplyBatchBytes) {
        return result;
      }
    } else if (in.empty()) {
      return Result::kContinue;
    }
    const std::optional<WireProtocol> protocol = RequestProtocol(in.substr(*consumed));
    if (!protocol) {
      undecided_ = true;  // an upper-case line whose end has not arrived
      return Result::kContinue;
    }
    ProtocolSession* next = SessionOf(*protocol);
    // The session stopped before a request of its own: it waits for output to drain.
    if (next == session) return Result::kContinue;
    session = next;
  }
}

ProtocolSession::DeferredWork ProtocolSwitch::TakeDeferred() {
  return current_ != nullptr ? current_->TakeDeferred() : nullptr;
}

ProtocolSession::HandOff ProtocolSwitch::TakeHandOff() {
  return current_ != nullptr ? current_->TakeHandOff() : nullptr;
}

bool ProtocolSwitch::MidRequest() const {
  return undecided_ || (current_ != nullptr && current_->MidRequest());
}

std::unique_ptr<ProtocolSession> NewProtocolSession(uint8_t /*first_byte*/, ServerContext* context,
                                                    int fd) {
  return std::make_unique<ProtocolSwitch>(context, fd);
}

}  // namespace tt
