#include "ttserver/memcached/memcached_prefix_stats.h"

#include <charconv>

namespace tt::mc {

namespace {

void AppendCount(std::string* out, std::string_view name, uint64_t value) {
  char digits[24];
  auto [end, error] = std::to_chars(digits, digits + sizeof(digits), value);
  out->append(" ").append(name).append(" ").append(digits, end);
}

}  // namespace

void PrefixStats::Record(std::string_view key, Kind kind) {
  const size_t delimiter = key.find(kDelimiter);
  if (delimiter == std::string_view::npos) return;
  const std::string_view prefix = key.substr(0, delimiter);
  std::lock_guard lock(mu_);
  auto it = prefixes_.find(prefix);
  if (it == prefixes_.end()) {
    if (prefixes_.size() >= kMaxPrefixes) return;
    it = prefixes_.emplace(std::string(prefix), Counts()).first;
  }
  Counts& counts = it->second;
  switch (kind) {
    case kHit:
      ++counts.hits;
      ++counts.gets;
      break;
    case kGet:
      ++counts.gets;
      break;
    case kSet:
      ++counts.sets;
      break;
    case kDelete:
      ++counts.deletes;
      break;
  }
}

std::string PrefixStats::Dump() const {
  std::string out;
  std::lock_guard lock(mu_);
  for (const auto& [prefix, counts] : prefixes_) {
    out.append("PREFIX ").append(prefix);
    AppendCount(&out, "get", counts.gets);
    AppendCount(&out, "hit", counts.hits);
    AppendCount(&out, "set", counts.sets);
    AppendCount(&out, "del", counts.deletes);
    out.append("\r\n");
  }
  out.append("END\r\n");
  return out;
}

void PrefixStats::Clear() {
  std::lock_guard lock(mu_);
  prefixes_.clear();
}

}  // namespace tt::mc
