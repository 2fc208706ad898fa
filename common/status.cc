#include "common/status.h"

#include <cerrno>
#include <cstring>

namespace tt {

namespace {
const char* CodeName(Status::Code code) {
  switch (code) {
    case Status::Code::kOk: return "OK";
    case Status::Code::kNotFound: return "not found";
    case Status::Code::kExists: return "already exists";
    case Status::Code::kInvalidArgument: return "invalid argument";
    case Status::Code::kIoError: return "I/O error";
    case Status::Code::kCorruption: return "corruption";
    case Status::Code::kTimeout: return "timeout";
    case Status::Code::kNetwork: return "network error";
    case Status::Code::kProtocol: return "protocol error";
    case Status::Code::kForbidden: return "forbidden";
    case Status::Code::kFailed: return "failed";
    case Status::Code::kUnsupported: return "unsupported";
  }
  return "unknown";
}
}  // namespace

std::string Status::ToString() const {
  if (ok()) return "OK";
  std::string out = CodeName(code_);
  if (!message_.empty()) {
    out += ": ";
    out += message_;
  }
  return out;
}

Status IoErrorFromErrno(std::string_view what, std::string_view hint) {
  std::string message(what);
  message += ": ";
  message += strerror(errno);
  if (!hint.empty()) {
    message += "; ";
    message += hint;
  }
  return Status::IoError(std::move(message));
}

}  // namespace tt
