// The `misc` command's functions (binary-protocol.md §3.19), run against the
// Engine. Changes go through the Engine's write path and are logged as effect
// records (put/out/vanish/...), never as misc records, so the log replays to
// the same state; the "omit update log" option bit is therefore not honoured.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "engine/engine.h"

namespace tt {

// Per-connection iteration state shared by iterinit/iternext and misc
// iterinit/iternext (design.md §8: iterators belong to the connection).
struct IteratorState {
  // Starts a walk before the first key, or at `start` (see StoreCursor::Jump).
  Status Init(Engine& engine, const std::string_view* start = nullptr);
  // The next key, and its payload unless `payload` is null; a walk not yet
  // started begins at the first key. NotFound at the end.
  Status Next(Engine& engine, std::string* key, std::string* payload);

  std::unique_ptr<ValueCursor> cursor;
};

// True for the misc functions that write or scan the whole database (sync,
// optimize, vanish, defrag, regex, range): sessions run them off the event loop.
bool IsSlowMisc(std::string_view name);

// Runs misc function `name` with `args`. On success fills `result` with the
// function's result list. Failed when the function fails or does not exist.
// `origin` is the source of any write it makes. getlist stops collecting
// once its result holds `result_budget` bytes (see Engine::MultiGet).
Status RunMisc(Engine& engine, std::string_view name, const std::vector<std::string_view>& args,
               IteratorState* iterator, std::vector<std::string>* result,
               const Origin& origin = {}, size_t result_budget = SIZE_MAX);

}  // namespace tt
