// Big-endian (network order) integer coding, as every Tokyo Tyrant wire and
// file format uses, plus a bounds-checked reader over a byte string.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace tt {

inline void EncodeU16(char* dst, uint16_t v) {
  dst[0] = static_cast<char>(v >> 8);
  dst[1] = static_cast<char>(v);
}
inline void EncodeU32(char* dst, uint32_t v) {
  for (int i = 3; i >= 0; --i, v >>= 8) dst[i] = static_cast<char>(v);
}
inline void EncodeU64(char* dst, uint64_t v) {
  for (int i = 7; i >= 0; --i, v >>= 8) dst[i] = static_cast<char>(v);
}
inline uint16_t DecodeU16(const char* p) {
  const auto* u = reinterpret_cast<const unsigned char*>(p);
  return static_cast<uint16_t>((u[0] << 8) | u[1]);
}
inline uint32_t DecodeU32(const char* p) {
  const auto* u = reinterpret_cast<const unsigned char*>(p);
  return (uint32_t{u[0]} << 24) | (uint32_t{u[1]} << 16) | (uint32_t{u[2]} << 8) | u[3];
}
inline uint64_t DecodeU64(const char* p) {
  return (uint64_t{DecodeU32(p)} << 32) | DecodeU32(p + 4);
}

inline void PutU8(std::string* dst, uint8_t v) { dst->push_back(static_cast<char>(v)); }
inline void PutU16(std::string* dst, uint16_t v) {
  char b[2];
  EncodeU16(b, v);
  dst->append(b, 2);
}
inline void PutU32(std::string* dst, uint32_t v) {
  char b[4];
  EncodeU32(b, v);
  dst->append(b, 4);
}
inline void PutU64(std::string* dst, uint64_t v) {
  char b[8];
  EncodeU64(b, v);
  dst->append(b, 8);
}
// Appends a u32 length followed by the bytes.
inline void PutLengthPrefixed(std::string* dst, std::string_view s) {
  PutU32(dst, static_cast<uint32_t>(s.size()));
  dst->append(s);
}

// Sequential, bounds-checked reader over a byte string it does not own. Every
// Read* returns false (and consumes nothing) when too few bytes remain.
class ByteReader {
 public:
  explicit ByteReader(std::string_view data) : data_(data) {}

  bool ReadU8(uint8_t* v) {
    if (data_.size() < 1) return false;
    *v = static_cast<uint8_t>(data_[0]);
    data_.remove_prefix(1);
    return true;
  }
  bool ReadU16(uint16_t* v) { return ReadFixed(2, [&](const char* p) { *v = DecodeU16(p); }); }
  bool ReadU32(uint32_t* v) { return ReadFixed(4, [&](const char* p) { *v = DecodeU32(p); }); }
  bool ReadU64(uint64_t* v) { return ReadFixed(8, [&](const char* p) { *v = DecodeU64(p); }); }
  bool ReadI32(int32_t* v) {
    uint32_t u;
    if (!ReadU32(&u)) return false;
    *v = static_cast<int32_t>(u);
    return true;
  }
  bool ReadI64(int64_t* v) {
    uint64_t u;
    if (!ReadU64(&u)) return false;
    *v = static_cast<int64_t>(u);
    return true;
  }
  // Reads `n` bytes as a view into the underlying data.
  bool ReadBytes(size_t n, std::string_view* out) {
    if (data_.size() < n) return false;
    *out = data_.substr(0, n);
    data_.remove_prefix(n);
    return true;
  }
  size_t remaining() const { return data_.size(); }
  std::string_view rest() const { return data_; }

 private:
  template <typename F>
  bool ReadFixed(size_t n, F&& decode) {
    if (data_.size() < n) return false;
    decode(data_.data());
    data_.remove_prefix(n);
    return true;
  }
  std::string_view data_;
};

}  // namespace tt
