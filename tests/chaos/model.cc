#include "tests/chaos/model.h"

#include <algorithm>
#include <cstdlib>
#include <set>

namespace tt::chaos {

namespace {

// More possible states than this (many unknown outcomes on one key) and the
// key is left out of exact checks.
constexpr size_t kMaxStates = 64;

bool Matches(const KeyState& state, const Record* actual, int64_t slack) {
  if (!state.exists || actual == nullptr) return !state.exists && actual == nullptr;
  if (state.record.value != actual->value || state.record.flags != actual->flags) return false;
  if (state.exp_lo == 0 && state.exp_hi == 0) return actual->expires_at == 0;
  return actual->expires_at >= state.exp_lo - slack && actual->expires_at <= state.exp_hi + slack;
}

bool SameState(const KeyState& a, const KeyState& b) {
  return a.exists == b.exists &&
         (!a.exists || (a.record.value == b.record.value && a.record.flags == b.record.flags &&
                        a.exp_lo == b.exp_lo && a.exp_hi == b.exp_hi));
}

// The tokens of a log value and how often each occurs.
std::map<std::string, int> TokenCounts(const std::string& value) {
  std::map<std::string, int> counts;
  size_t begin = 0;
  for (size_t end; (end = value.find(';', begin)) != std::string::npos; begin = end + 1) {
    ++counts[value.substr(begin, end + 1 - begin)];
  }
  if (begin < value.size()) ++counts[value.substr(begin)];
  return counts;
}

// The number a counter-like state holds (0 when absent or unreadable).
int64_t NumberOf(KeyKind kind, const std::string& value) {
  if (kind == KeyKind::kDecimal) return std::strtoll(value.c_str(), nullptr, 10);
  return Int32Of(value).value_or(0);
}

std::string Describe(const KeyState& state) {
  if (!state.exists) return "absent";
  std::string text = Shorten(state.record.value) + " f" + std::to_string(state.record.flags);
  if (state.exp_hi != 0) {
    text += " exp " + std::to_string(state.exp_lo) + ".." + std::to_string(state.exp_hi);
  }
  return text;
}

std::string Describe(const Record* actual) {
  if (actual == nullptr) return "absent";
  return Shorten(actual->value) + " f" + std::to_string(actual->flags) + " exp " +
         std::to_string(actual->expires_at);
}

}  // namespace

std::string Int32Bytes(int32_t v) {
  const auto u = static_cast<uint32_t>(v);
  std::string bytes(4, '\0');
  for (int i = 0; i < 4; ++i) bytes[i] = static_cast<char>((u >> (8 * i)) & 0xFF);
  return bytes;
}

std::optional<int32_t> Int32Of(const std::string& bytes) {
  if (bytes.size() != 4) return std::nullopt;
  uint32_t u = 0;
  for (int i = 3; i >= 0; --i) u = (u << 8) | static_cast<uint8_t>(bytes[i]);
  return static_cast<int32_t>(u);
}

void Findings::Add(const Findings& other) {
  lost.insert(lost.end(), other.lost.begin(), other.lost.end());
  duplicated.insert(duplicated.end(), other.duplicated.begin(), other.duplicated.end());
  unexpected.insert(unexpected.end(), other.unexpected.begin(), other.unexpected.end());
}

void Model::AddKey(const std::string& key, KeyKind kind) {
  std::lock_guard lock(mu_);
  keys_[key].kind = kind;
}

void Model::Apply(KeyModel& key, const Step& step, Outcome outcome) {
  outcome == Outcome::kAcked ? ++acked_ : ++unknown_;
  if (outcome == Outcome::kTimedOut) key.unchecked = true;
  if (key.unchecked) return;
  std::vector<KeyState> next;
  for (const KeyState& state : key.states) {
    if (outcome != Outcome::kAcked) next.push_back(state);
    next.push_back(step(state));
  }
  key.states.clear();
  for (KeyState& state : next) {
    const bool seen = std::any_of(key.states.begin(), key.states.end(),
                                  [&](const KeyState& s) { return SameState(s, state); });
    if (!seen) key.states.push_back(std::move(state));
  }
  if (key.states.size() > kMaxStates) key.unchecked = true;
}

void Model::Answered(const std::string& name, KeyModel& key, const Step& step,
                     const std::string& answer) {
  ++acked_;
  if (key.unchecked) return;
  std::vector<KeyState> next;
  int64_t lowest = INT64_MAX, highest = INT64_MIN;
  for (const KeyState& state : key.states) {
    KeyState after = step(state);
    const int64_t number = NumberOf(key.kind, after.record.value);
    lowest = std::min(lowest, number);
    highest = std::max(highest, number);
    if (after.exists && after.record.value == answer) next.push_back(after);
  }
  if (next.empty()) {
    // The server's own answer contradicts every history the model allows.
    const int64_t got = NumberOf(key.kind, answer);
    const std::string line = name + ": the server answered " + std::to_string(got) +
                             " where the model allows " + std::to_string(lowest) + ".." +
                             std::to_string(highest);
    (got > highest ? online_.duplicated : online_.lost).push_back(line);
    KeyState truth = step(key.states.front());
    truth.record.value = answer;
    next.push_back(truth);
  }
  key.states = {next.front()};
}

void Model::Overwrite(const std::string& key, const KeyState& next, Outcome outcome) {
  std::lock_guard lock(mu_);
  Apply(
      keys_.at(key), [&](const KeyState&) { return next; }, outcome);
}

void Model::Remove(const std::string& key, Outcome outcome) {
  std::lock_guard lock(mu_);
  Apply(
      keys_.at(key), [](const KeyState&) { return KeyState{}; }, outcome);
}

void Model::Append(const std::string& key, const std::string& token, Outcome outcome) {
  std::lock_guard lock(mu_);
  KeyModel& model = keys_.at(key);
  if (model.kind == KeyKind::kSharedLog) {
    outcome == Outcome::kAcked ? ++acked_ : ++unknown_;
    model.tokens[token] = outcome == Outcome::kAcked;
    if (outcome == Outcome::kTimedOut) model.unchecked = true;
    return;
  }
  Apply(
      model,
      [&](const KeyState& state) {
        KeyState after = state.exists ? state : KeyState{.exists = true, .record = {}};
        after.record.value += token;
        return after;
      },
      outcome);
}

void Model::AddInt(const std::string& key, int32_t delta, Outcome outcome,
                   std::optional<int32_t> sum) {
  std::lock_guard lock(mu_);
  KeyModel& model = keys_.at(key);
  if (model.kind == KeyKind::kSharedCounter) {
    if (outcome == Outcome::kAcked) {
      ++acked_;
      model.acked_sum += delta;
    } else {
      ++unknown_;
      model.unknown_deltas.push_back(delta);
      if (outcome == Outcome::kTimedOut) model.unchecked = true;
    }
    return;
  }
  const Step step = [delta](const KeyState& state) {
    KeyState after = state.exists ? state : KeyState{.exists = true, .record = {Int32Bytes(0)}};
    const std::optional<int32_t> old = Int32Of(after.record.value);
    if (old)
      after.record.value = Int32Bytes(
          static_cast<int32_t>(static_cast<uint32_t>(*old) + static_cast<uint32_t>(delta)));
    return after;
  };
  if (outcome == Outcome::kAcked && sum) return Answered(key, model, step, Int32Bytes(*sum));
  Apply(model, step, outcome);
}

void Model::Incr(const std::string& key, uint64_t delta, Outcome outcome,
                 std::optional<uint64_t> result) {
  std::lock_guard lock(mu_);
  KeyModel& model = keys_.at(key);
  const Step step = [delta](const KeyState& state) {
    KeyState after = state;
    if (state.exists) {
      after.record.value =
          std::to_string(std::strtoull(state.record.value.c_str(), nullptr, 10) + delta);
    }
    return after;
  };
  if (outcome != Outcome::kAcked) return Apply(model, step, outcome);
  if (!result) {
    ++acked_;
    online_.lost.push_back(key + ": incr answered NOT_FOUND (or an error) on a key written before");
    return;
  }
  Answered(key, model, step, std::to_string(*result));
}

void Model::CheckOne(const std::string& name, const KeyModel& key, const Record* actual,
                     int64_t slack, Findings* findings) const {
  if (key.unchecked) return;
  if (key.kind == KeyKind::kSharedLog) {
    const std::map<std::string, int> counts =
        TokenCounts(actual != nullptr ? actual->value : std::string());
    for (const auto& [token, acked] : key.tokens) {
      auto it = counts.find(token);
      const int n = it == counts.end() ? 0 : it->second;
      if (n > 1)
        findings->duplicated.push_back(name + ": token " + token + " " + std::to_string(n) +
                                       " times");
      if (n == 0 && acked) findings->lost.push_back(name + ": acknowledged token " + token);
    }
    for (const auto& [token, n] : counts) {
      if (key.tokens.count(token) == 0) {
        findings->unexpected.push_back(name + ": token " + Shorten(token) + " nobody appended");
      }
    }
    return;
  }
  if (key.kind == KeyKind::kSharedCounter) {
    const int64_t got = actual != nullptr ? Int32Of(actual->value).value_or(INT64_MIN) : 0;
    // Sums reachable with a subset of the unknown deltas (all positive).
    int64_t unknown_total = 0;
    for (int32_t d : key.unknown_deltas) unknown_total += d;
    std::vector<bool> reachable(static_cast<size_t>(unknown_total) + 1, false);
    reachable[0] = true;
    for (int32_t d : key.unknown_deltas) {
      for (int64_t s = unknown_total; s >= d; --s) reachable[s] = reachable[s] || reachable[s - d];
    }
    const int64_t extra = got - key.acked_sum;
    const std::string line = name + ": holds " + std::to_string(got) + ", acknowledged sum " +
                             std::to_string(key.acked_sum) + " plus up to " +
                             std::to_string(unknown_total) + " unknown";
    if (extra > unknown_total) {
      findings->duplicated.push_back(line);
    } else if (extra < 0 || !reachable[static_cast<size_t>(extra)]) {
      findings->lost.push_back(line);
    }
    return;
  }
  for (const KeyState& state : key.states) {
    if (Matches(state, actual, slack)) return;
  }
  std::string line =
      name + ": holds " + Describe(actual) + ", the model allows " + Describe(key.states.front());
  if (key.states.size() > 1) line += " or " + std::to_string(key.states.size() - 1) + " more";
  bool duplicated = false;
  if (key.kind == KeyKind::kLog) {
    const std::map<std::string, int> counts =
        TokenCounts(actual != nullptr ? actual->value : std::string());
    for (const auto& [token, n] : counts) {
      if (n > 1) {
        duplicated = true;
        line += "; token " + token + " " + std::to_string(n) + " times";
      }
    }
    // The tokens every state the model allows has, and the server lacks.
    for (const auto& [token, n] : TokenCounts(key.states.front().record.value)) {
      const bool everywhere = std::all_of(key.states.begin(), key.states.end(), [&](auto& s) {
        return TokenCounts(s.record.value).count(token) > 0;
      });
      if (everywhere && counts.count(token) == 0) line += "; lacks acknowledged " + token;
    }
  }
  if ((key.kind == KeyKind::kCounter || key.kind == KeyKind::kDecimal) && actual != nullptr) {
    int64_t highest = INT64_MIN;
    for (const KeyState& state : key.states) {
      highest = std::max(highest, NumberOf(key.kind, state.record.value));
    }
    duplicated = NumberOf(key.kind, actual->value) > highest;
  }
  (duplicated ? findings->duplicated : findings->lost).push_back(line);
}

Findings Model::Check(const Contents& actual, const std::function<bool(const std::string&)>& which,
                      int64_t slack) {
  std::lock_guard lock(mu_);
  Findings findings = online_;
  online_ = Findings();
  for (const auto& [name, key] : keys_) {
    if (!which(name)) continue;
    auto it = actual.find(name);
    CheckOne(name, key, it == actual.end() ? nullptr : &it->second, slack, &findings);
  }
  for (const auto& [name, record] : actual) {
    if (which(name) && keys_.count(name) == 0) {
      findings.unexpected.push_back(name + ": no client wrote it (" + Shorten(record.value) + ")");
    }
  }
  return findings;
}

void Model::Settle(const Contents& actual, const std::function<bool(const std::string&)>& which,
                   int64_t slack) {
  std::lock_guard lock(mu_);
  for (auto& [name, key] : keys_) {
    if (!which(name) || key.unchecked) continue;
    auto it = actual.find(name);
    if (key.kind == KeyKind::kSharedLog) {
      const std::map<std::string, int> counts =
          TokenCounts(it == actual.end() ? std::string() : it->second.value);
      for (auto& [token, acked] : key.tokens) acked = counts.count(token) > 0;
      std::erase_if(key.tokens, [&](const auto& t) { return !t.second; });
      continue;
    }
    if (key.kind == KeyKind::kSharedCounter) {
      if (it != actual.end()) key.acked_sum = Int32Of(it->second.value).value_or(0);
      key.unknown_deltas.clear();
      continue;
    }
    KeyState state;
    if (it != actual.end()) {
      state = {.exists = true, .record = it->second};
      if (it->second.expires_at != 0) {
        state.exp_lo = it->second.expires_at - slack;
        state.exp_hi = it->second.expires_at + slack;
      }
      state.record.expires_at = 0;
    }
    key.states = {state};
  }
}

std::vector<std::string> Model::Keys() const {
  std::lock_guard lock(mu_);
  std::vector<std::string> keys;
  for (const auto& [name, key] : keys_) keys.push_back(name);
  return keys;
}

uint64_t Model::acked() const {
  std::lock_guard lock(mu_);
  return acked_;
}

uint64_t Model::unknown() const {
  std::lock_guard lock(mu_);
  return unknown_;
}

std::vector<std::string> Model::Unchecked() const {
  std::lock_guard lock(mu_);
  std::vector<std::string> keys;
  for (const auto& [name, key] : keys_) {
    if (key.unchecked) keys.push_back(name);
  }
  return keys;
}

}  // namespace tt::chaos
