// The flags of a meta command (mg, ms, md, ma; protocol.txt "Meta
// Commands"): single-character codes, some with a token glued on ("T30",
// "Oabc"), parsed the way memcached 1.6 does before it runs the command.
// Every command accepts every known flag; each acts only where it means
// something. Return flags (k, O, c, t, ...) are echoed in request order, so
// the encoder walks the request tokens again (Tokens).
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "ttserver/memcached/memcached_ops.h"
#include "ttserver/memcached/memcached_text_parser.h"

namespace tt::mctext {

// Most tokens a meta command line may have, counted as memcached counts them
// (Tokens::ntokens()).
constexpr size_t kMaxMetaTokens = 20;
// Longest opaque token, its 'O' included.
constexpr size_t kMaxOpaqueToken = 32;

struct MetaFlags {
  MetaFlags() = default;
  MetaFlags(const MetaFlags&) = delete;  // `key` may point into key_buffer_
  MetaFlags& operator=(const MetaFlags&) = delete;

  std::string_view key;      // the item key (base64-decoded with b)
  bool base64 = false;       // b: the key travels base64-encoded
  bool quiet = false;        // q: leave out the nominal reply
  bool value = false;        // v: return the value
  bool invalidate = false;   // I: mark stale instead of failing / removing
  bool return_ttl = false;   // t: return the item's remaining TTL
  bool no_bump = false;      // u: do not mark the item fetched (h, l, me)
  bool has_vivify = false;   // N<ttl>: create the item on a miss
  bool has_ttl = false;      // T<ttl>: set the item's TTL
  bool has_recache = false;  // R<ttl>: win the recache token below this TTL
  bool has_cas = false;      // C<cas>: compare against the item's CAS
  bool has_new_cas = false;  // E<cas>: the CAS the item gets
  int64_t vivify_ttl = 0;
  int64_t ttl = 0;
  int64_t recache_ttl = 0;
  uint64_t cas = 0;
  uint64_t new_cas = 0;
  uint32_t client_flags = 0;  // F<flags>
  char mode = 0;              // M<mode>: 0 when absent
  uint64_t delta = 1;         // D<delta>
  uint64_t initial = 0;       // J<initial>

 private:
  friend std::string_view ParseMetaFlags(const Tokens&, size_t, MetaFlags*);
  std::array<char, mc::kMaxKeyLength> key_buffer_;
};

// Parses tokens[first...] as meta flags for the key tokens[1]. Returns "" on
// success, else memcached's error reply (with its line ending). Does not
// check the key itself (see MetaKeyError).
std::string_view ParseMetaFlags(const Tokens& tokens, size_t first, MetaFlags* flags);

// True when one of tokens[first...] is an opaque longer than kMaxOpaqueToken.
bool HasLongOpaque(const Tokens& tokens, size_t first);

// The error reply for a parsed key memcached would refuse ("" if none): the
// key, decoded if base64, must pass mc::IsValidKey (1 to 250 bytes, at most
// `max_key`).
std::string_view MetaKeyError(const MetaFlags& flags, size_t max_key);

// Appends " k<key>", base64-encoded and followed by " b" for a b-flag key, as
// memcached returns the k flag.
void AppendMetaKey(std::string* out, const MetaFlags& flags);

}  // namespace tt::mctext
