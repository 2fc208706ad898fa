#include "ttserver/memcached/memcached_binary_packet.h"

#include <array>
#include <iterator>

#include "common/coding.h"

namespace tt::mcbin {

namespace {

constexpr uint8_t kResponseMagic = 0x81;

constexpr Opcode kOpcodes[] = {
    {0x00, Op::kGet, false, false},       {0x01, Op::kSet, false, false},
    {0x02, Op::kAdd, false, false},       {0x03, Op::kReplace, false, false},
    {0x04, Op::kDelete, false, false},    {0x05, Op::kIncrement, false, false},
    {0x06, Op::kDecrement, false, false}, {0x07, Op::kQuit, false, false},
    {0x08, Op::kFlush, false, false},     {0x09, Op::kGet, true, false},
    {0x0a, Op::kNoop, false, false},      {0x0b, Op::kVersion, false, false},
    {0x0c, Op::kGet, false, true},        {0x0d, Op::kGet, true, true},
    {0x0e, Op::kAppend, false, false},    {0x0f, Op::kPrepend, false, false},
    {0x10, Op::kStat, false, false},      {0x11, Op::kSet, true, false},
    {0x12, Op::kAdd, true, false},        {0x13, Op::kReplace, true, false},
    {0x14, Op::kDelete, true, false},     {0x15, Op::kIncrement, true, false},
    {0x16, Op::kDecrement, true, false},  {0x17, Op::kQuit, true, false},
    {0x18, Op::kFlush, true, false},      {0x19, Op::kAppend, true, false},
    {0x1a, Op::kPrepend, true, false},    {0x1c, Op::kTouch, false, false},
    {0x1d, Op::kGat, false, false},       {0x1e, Op::kGat, true, false},
    {0x23, Op::kGat, false, true},        {0x24, Op::kGat, true, true},
};

// kOpcodes' index of each opcode, -1 for an unknown one: one lookup per packet.
constexpr std::array<int8_t, 256> kOpcodeIndex = [] {
  std::array<int8_t, 256> index{};
  index.fill(-1);
  for (size_t i = 0; i < std::size(kOpcodes); ++i) index[kOpcodes[i].code] = static_cast<int8_t>(i);
  return index;
}();

// The lengths an Op's request has (memcached's dispatch_bin_command checks).
struct Shape {
  uint8_t extras;
  bool extras_optional;  // flush: the delay may be left out
  enum class Key { kNone, kRequired, kOptional } key;
  bool value;
};

constexpr Shape ShapeOf(Op op) {
  using Key = Shape::Key;
  switch (op) {
    case Op::kGet:
    case Op::kDelete: return {0, false, Key::kRequired, false};
    case Op::kSet:
    case Op::kAdd:
    case Op::kReplace: return {8, false, Key::kRequired, true};  // flags, exptime
    case Op::kAppend:
    case Op::kPrepend: return {0, false, Key::kRequired, true};
    case Op::kIncrement:
    case Op::kDecrement: return {20, false, Key::kRequired, false};  // delta, initial, exptime
    case Op::kQuit:
    case Op::kNoop:
    case Op::kVersion: return {0, false, Key::kNone, false};
    case Op::kFlush: return {4, true, Key::kNone, false};      // delay
    case Op::kStat: return {0, false, Key::kOptional, false};  // the group
    case Op::kTouch:
    case Op::kGat: return {4, false, Key::kRequired, false};  // exptime
  }
  return {};
}

std::string_view ErrorText(ResponseStatus status) {
  switch (status) {
    case ResponseStatus::kSuccess: return "";
    case ResponseStatus::kKeyNotFound: return "Not found";
    case ResponseStatus::kKeyExists: return "Data exists for key.";
    case ResponseStatus::kTooLarge: return "Too large.";
    case ResponseStatus::kInvalidArguments: return "Invalid arguments";
    case ResponseStatus::kNotStored: return "Not stored.";
    case ResponseStatus::kNonNumeric: return "Non-numeric server-side value for incr or decr";
    case ResponseStatus::kAuthError: return "Auth failure.";
    case ResponseStatus::kUnknownCommand: return "Unknown command";
    case ResponseStatus::kInternalError: return "Internal error";
  }
  return "";
}

}  // namespace

RequestHeader DecodeRequestHeader(std::string_view in) {
  const char* p = in.data();
  return RequestHeader{.opcode = static_cast<uint8_t>(p[1]),
                       .extras_length = static_cast<uint8_t>(p[4]),
                       .key_length = DecodeU16(p + 2),
                       .body_length = DecodeU32(p + 8),
                       .opaque = DecodeU32(p + 12),
                       .cas = DecodeU64(p + 16)};
}

void AppendResponseHeader(const RequestHeader& req, ResponseStatus status, size_t extras_length,
                          size_t key_length, size_t body_length, uint64_t cas, std::string* out) {
  char header[kHeaderSize];
  header[0] = static_cast<char>(kResponseMagic);
  header[1] = static_cast<char>(req.opcode);
  EncodeU16(header + 2, static_cast<uint16_t>(key_length));
  header[4] = static_cast<char>(extras_length);
  header[5] = 0;  // data type: raw bytes
  EncodeU16(header + 6, static_cast<uint16_t>(status));
  EncodeU32(header + 8, static_cast<uint32_t>(body_length));
  // The opaque goes back as the client's bytes, whatever their order.
  EncodeU32(header + 12, req.opaque);
  EncodeU64(header + 16, cas);
  out->append(header, kHeaderSize);
}

void AppendError(const RequestHeader& req, ResponseStatus status, std::string* out) {
  std::string_view text = ErrorText(status);
  AppendResponseHeader(req, status, 0, 0, text.size(), 0, out);
  out->append(text);
}

const Opcode* FindOpcode(uint8_t code) {
  const int index = kOpcodeIndex[code];
  return index < 0 ? nullptr : &kOpcodes[index];
}

bool HasValidShape(Op op, const RequestHeader& header) {
  const Shape shape = ShapeOf(op);
  if (header.extras_length != shape.extras &&
      !(shape.extras_optional && header.extras_length == 0)) {
    return false;
  }
  switch (shape.key) {
    case Shape::Key::kNone:
      if (header.key_length != 0) return false;
      break;
    case Shape::Key::kRequired:
      if (header.key_length == 0) return false;
      break;
    case Shape::Key::kOptional: break;
  }
  return shape.value || header.body_length == header.extras_length + header.key_length;
}

bool TakesValue(Op op) { return ShapeOf(op).value; }

}  // namespace tt::mcbin
