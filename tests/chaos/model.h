// The model of every write the harness's clients made: for each key, the
// states the server may hold given which writes were acknowledged and which
// have an unknown outcome (the connection died mid-request: applied at most
// once, at its place in that client's order, or not at all).
//
// Values are built so that a lost or doubly applied write shows: a log key
// is a concatenation of unique tokens "w<writer>.<n>;" (putcat), a counter
// the sum of the deltas added (addint, memcached incr), and a register holds
// a value unique to the write that stored it.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "tests/chaos/contents.h"

namespace tt::chaos {

enum class KeyKind {
  kRegister,       // put, memcached set, HTTP PUT, putlist; out, HTTP DELETE (one writer)
  kLog,            // putcat and HTTP putcat of tokens (one writer)
  kCounter,        // addint (one writer)
  kDecimal,        // memcached incr of a decimal number (one writer)
  kSharedLog,      // putcat of tokens by every writer
  kSharedCounter,  // addint by every writer
};

// How a write ended for its client.
enum class Outcome {
  kAcked,     // the server answered that it was done
  kUnknown,   // no answer: the connection broke (or the server answered an error)
  kTimedOut,  // no answer in time: it may still happen later, out of order
};

// A state a key may be in: absent, or `record` with its expiry anywhere in
// [exp_lo, exp_hi] (record.expires_at is not used; 0/0 = no expiry).
struct KeyState {
  bool exists = false;
  Record record;
  int64_t exp_lo = 0;
  int64_t exp_hi = 0;
};

// What a check found, one line per key.
struct Findings {
  std::vector<std::string> lost;        // an acknowledged write missing or undone
  std::vector<std::string> duplicated;  // a write applied twice
  std::vector<std::string> unexpected;  // a key no client wrote
  void Add(const Findings& other);
  bool empty() const { return lost.empty() && duplicated.empty() && unexpected.empty(); }
};

// Thread-safe: writers record their writes concurrently; checks take a
// consistent view.
class Model {
 public:
  // Declares a key before any write to it.
  void AddKey(const std::string& key, KeyKind kind);

  void Overwrite(const std::string& key, const KeyState& next, Outcome outcome);
  void Remove(const std::string& key, Outcome outcome);
  // putcat of `token` ("w<writer>.<n>;", n increasing per writer).
  void Append(const std::string& key, const std::string& token, Outcome outcome);
  // addint: an acknowledged one answered with the new sum, which must be a
  // sum the model allows (else a finding, kept for Check).
  void AddInt(const std::string& key, int32_t delta, Outcome outcome,
              std::optional<int32_t> sum = std::nullopt);
  // memcached incr: an acknowledged one answered with the new number (or
  // nothing: NOT_FOUND, itself a finding).
  void Incr(const std::string& key, uint64_t delta, Outcome outcome,
            std::optional<uint64_t> result);

  // Checks what a server holds for the keys that `which` selects (every
  // declared key it selects, and keys of `actual` no client wrote), allowing
  // expiries `slack` seconds outside their windows. Also returns (once) the
  // findings the answers of acknowledged writes gave.
  Findings Check(const Contents& actual, const std::function<bool(const std::string&)>& which,
                 int64_t slack);
  // After a check with writers paused: the selected keys' possible states
  // become what `actual` holds (the outcome of unknown writes is settled).
  void Settle(const Contents& actual, const std::function<bool(const std::string&)>& which,
              int64_t slack);

  std::vector<std::string> Keys() const;
  // Counts for the run's report.
  uint64_t acked() const;
  uint64_t unknown() const;
  // Keys left out of exact checks: a write timed out (it may land later, out
  // of order) or too many unknown outcomes piled up.
  std::vector<std::string> Unchecked() const;

 private:
  struct KeyModel {
    KeyKind kind = KeyKind::kRegister;
    std::vector<KeyState> states{KeyState{}};  // one-writer kinds
    bool unchecked = false;
    std::map<std::string, bool> tokens;   // shared log: token -> acknowledged
    int64_t acked_sum = 0;                // shared counter
    std::vector<int32_t> unknown_deltas;  // shared counter
  };
  using Step = std::function<KeyState(const KeyState&)>;

  // Applies `step` to the key's possible states as `outcome` says.
  void Apply(KeyModel& key, const Step& step, Outcome outcome);
  // An acknowledged write answered `answer`: keeps the states after `step`
  // whose value is `answer`; none means a lost or duplicated write.
  void Answered(const std::string& name, KeyModel& key, const Step& step,
                const std::string& answer);
  // Checks one key against `actual` (null: absent).
  void CheckOne(const std::string& name, const KeyModel& key, const chaos::Record* actual,
                int64_t slack, Findings* findings) const;

  mutable std::mutex mu_;
  std::map<std::string, KeyModel> keys_;
  Findings online_;  // from the answers of acknowledged writes
  uint64_t acked_ = 0;
  uint64_t unknown_ = 0;
};

// The 4-byte little-endian int32 addint stores, and its reading (nullopt if
// `bytes` is not 4 bytes long).
std::string Int32Bytes(int32_t v);
std::optional<int32_t> Int32Of(const std::string& bytes);

}  // namespace tt::chaos
