// Status: the result of an operation that can fail, carried as a value.
// Modules never throw across their boundaries; they return a Status.
#pragma once

#include <string>
#include <string_view>
#include <utility>

namespace tt {

class Status {
 public:
  enum class Code {
    kOk = 0,
    kNotFound,         // the key / record / file does not exist
    kExists,           // the key exists where it must not (putkeep)
    kInvalidArgument,  // a caller-supplied value is out of range or malformed
    kIoError,          // the OS or the storage library failed
    kCorruption,       // stored or received bytes do not follow their format
    kTimeout,          // a deadline passed
    kNetwork,          // connect / send / receive failed or the peer closed
    kProtocol,         // the peer broke the protocol
    kForbidden,        // refused by the command mask
    kFailed,           // the operation ran and reported failure (e.g. misc)
    kUnsupported,      // the feature does not exist in this build
  };

  Status() = default;
  static Status Ok() { return Status(); }
  static Status NotFound(std::string msg = "") { return {Code::kNotFound, std::move(msg)}; }
  static Status Exists(std::string msg = "") { return {Code::kExists, std::move(msg)}; }
  static Status InvalidArgument(std::string msg) { return {Code::kInvalidArgument, std::move(msg)}; }
  static Status IoError(std::string msg) { return {Code::kIoError, std::move(msg)}; }
  static Status Corruption(std::string msg) { return {Code::kCorruption, std::move(msg)}; }
  static Status Timeout(std::string msg) { return {Code::kTimeout, std::move(msg)}; }
  static Status Network(std::string msg) { return {Code::kNetwork, std::move(msg)}; }
  static Status Protocol(std::string msg) { return {Code::kProtocol, std::move(msg)}; }
  static Status Forbidden(std::string msg = "") { return {Code::kForbidden, std::move(msg)}; }
  static Status Failed(std::string msg = "") { return {Code::kFailed, std::move(msg)}; }
  static Status Unsupported(std::string msg) { return {Code::kUnsupported, std::move(msg)}; }

  bool ok() const { return code_ == Code::kOk; }
  bool IsNotFound() const { return code_ == Code::kNotFound; }
  Code code() const { return code_; }
  const std::string& message() const { return message_; }

  // "OK", or "<code name>: <message>" for humans and logs.
  std::string ToString() const;

 private:
  Status(Code code, std::string msg) : code_(code), message_(std::move(msg)) {}
  Code code_ = Code::kOk;
  std::string message_;
};

// IoError "<what>: <strerror(errno)>", plus "; <hint>" when a hint is given.
// Call it right after the failing call, before anything can change errno.
Status IoErrorFromErrno(std::string_view what, std::string_view hint = {});

}  // namespace tt
