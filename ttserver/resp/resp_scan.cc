#include "ttserver/resp/resp_scan.h"

#include <string_view>
#include <unordered_set>
#include <utility>

#include "ttserver/resp/resp_glob.h"
#include "ulog/record.h"

namespace tt::resp {

namespace {

// What one step may still visit and return.
struct Budget {
  size_t records;  // records left to visit
  size_t bytes;    // key bytes left to return
  bool Spent() const { return records == 0 || bytes == 0; }
};

// Appends `key` to *keys if `filter` lets it through.
void Offer(const ScanFilter& filter, std::string key, std::vector<std::string>* keys,
           Budget* budget) {
  if (filter.has_pattern && !GlobMatch(filter.pattern, key)) return;
  budget->bytes -= std::min(budget->bytes, key.size() + 1);
  keys->push_back(std::move(key));
}

// Ordered stores: from after the last key visited, in key order.
Status OrderedStep(Engine& engine, ScanState& state, Budget budget, const ScanFilter& filter,
                   std::vector<std::string>* keys, bool* done) {
  std::unique_ptr<ValueCursor> cursor = engine.NewCursor();
  Status s = state.visited_any ? cursor->Jump(state.last_key) : cursor->Jump();
  std::string key;
  while (s.ok() && !budget.Spent()) {
    s = cursor->Next(&key, nullptr);
    if (!s.ok()) break;
    if (state.visited_any && key == state.last_key) continue;  // the last step's
    --budget.records;
    state.visited_any = true;
    state.last_key = key;
    Offer(filter, key, keys, &budget);
  }
  if (s.IsNotFound()) {
    *done = true;
    return Status::Ok();
  }
  return s;
}

// Unordered stores, once the walk has ended: the keys of the records logged
// while it ran, each live one once per step.
Status WrittenStep(Engine& engine, ScanState& state, Budget budget, const ScanFilter& filter,
                   std::vector<std::string>* keys, bool* done) {
  std::unordered_set<std::string> seen;
  UlogRecord record;
  ParsedBody body;
  while (!budget.Spent()) {
    --budget.records;
    Status s = state.written->Next(&record);
    if (s.IsNotFound() || (s.ok() && record.ts > state.walk_ended_ts)) {
      *done = true;
      return Status::Ok();
    }
    if (!s.ok()) return s;
    if (!ParseBody(record.body, &body).ok() || body.key.empty()) continue;
    std::string key(body.key);
    if (seen.contains(key)) continue;
    // Not Engine::Read: inside EXEC this key's stripe may be held, and Read
    // would take it to purge an expired value.
    Status live = engine.CheckLive(key);
    if (live.IsNotFound()) continue;
    if (!live.ok()) return live;
    seen.insert(key);
    Offer(filter, std::move(key), keys, &budget);
  }
  return Status::Ok();
}

// Unordered stores: the walk in file order, then the keys written meanwhile.
Status UnorderedStep(Engine& engine, ScanState& state, Budget budget, const ScanFilter& filter,
                     std::vector<std::string>* keys, bool* done) {
  if (state.walk != nullptr) {
    std::string key;
    Status s;
    while (!budget.Spent()) {
      s = state.walk->Next(&key, nullptr);
      if (!s.ok()) break;
      --budget.records;
      Offer(filter, key, keys, &budget);
    }
    if (s.ok()) return s;  // the step is full
    if (!s.IsNotFound()) return s;
    state.walk.reset();
    UlogWriter* log = engine.ulog();
    state.walk_ended_ts = engine.LastTimestamp();
    if (log == nullptr || state.walk_ended_ts <= state.started_ts) {
      *done = true;  // no log to read, or nothing written during the scan
      return Status::Ok();
    }
    s = UlogReader::Open(log->dir(), state.started_ts + 1, &state.written);
    if (!s.ok()) return s;
    if (budget.Spent()) return Status::Ok();
  }
  return WrittenStep(engine, state, budget, filter, keys, done);
}

}  // namespace

Status ScanTable::Begin(Engine& engine, std::unique_ptr<ScanState>* state) {
  auto fresh = std::make_unique<ScanState>();
  fresh->started_ts = engine.LastTimestamp();
  fresh->ordered = engine.store().IsOrdered();
  if (!fresh->ordered) {
    fresh->walk = engine.NewCursor();
    Status s = fresh->walk->Jump();
    // An empty store has nowhere to stand: the first step ends the walk.
    if (!s.ok() && !s.IsNotFound()) return s;
  }
  *state = std::move(fresh);
  return Status::Ok();
}

std::unique_ptr<ScanState> ScanTable::Take(uint64_t cursor) {
  std::lock_guard lock(mu_);
  auto it = scans_.find(cursor);
  if (it == scans_.end()) return nullptr;
  std::unique_ptr<ScanState> state = std::move(it->second);
  scans_.erase(it);
  return state;
}

uint64_t ScanTable::Keep(std::unique_ptr<ScanState> state) {
  std::unique_ptr<ScanState> evicted;  // destroyed after the lock is let go
  std::lock_guard lock(mu_);
  if (scans_.size() >= capacity_) {
    evicted = std::move(scans_.begin()->second);
    scans_.erase(scans_.begin());
  }
  const uint64_t number = next_++;
  scans_.emplace(number, std::move(state));
  return number;
}

size_t ScanTable::Size() {
  std::lock_guard lock(mu_);
  return scans_.size();
}

Status ScanStep(Engine& engine, ScanState& state, size_t count, size_t max_bytes,
                const ScanFilter& filter, std::vector<std::string>* keys, bool* done) {
  *done = false;
  if (filter.no_type_matches) {
    *done = true;
    return Status::Ok();
  }
  const Budget budget{count, max_bytes};
  return state.ordered ? OrderedStep(engine, state, budget, filter, keys, done)
                       : UnorderedStep(engine, state, budget, filter, keys, done);
}

}  // namespace tt::resp
