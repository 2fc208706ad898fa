#include "ttserver/engine.h"

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <functional>

#include "common/clock.h"
#include "common/logging.h"
#include "ulog/record.h"

namespace tt {

namespace {

int64_t NowSeconds() { return static_cast<int64_t>(time(nullptr)); }

// Splits a stored value into meta + payload; a value that is not an envelope
// is a corrupt store, reported rather than guessed at.
Status Unwrap(std::string_view key, std::string_view stored, ValueMeta* meta,
              std::string_view* payload) {
  if (!DecodeEnvelope(stored, meta, payload)) {
    return Status::Corruption("stored value of key of " + std::to_string(key.size()) +
                              " bytes is not a ttserver value envelope");
  }
  return Status::Ok();
}

}  // namespace

Status ValueCursor::Next(std::string* key, std::string* payload) {
  const int64_t now = NowSeconds();
  for (;;) {
    Status s = cursor_->Next(key, &raw_);
    if (!s.ok()) return s;
    ValueMeta meta;
    std::string_view view;
    if (!DecodeEnvelope(raw_, &meta, &view)) {
      LogError("iteration skipped a record that is not a value envelope");
      continue;
    }
    if (IsExpired(meta, now)) continue;
    payload->assign(view);
    return Status::Ok();
  }
}

Engine::Engine(const Options& options)
    : store_(options.store), ulog_(options.ulog), clock_(options.clock), sid_(options.sid) {}

std::mutex& Engine::StripeOf(std::string_view key) {
  return stripes_[std::hash<std::string_view>{}(key) % kStripes];
}

Status Engine::Get(std::string_view key, std::string* payload, ValueMeta* meta) {
  std::string stored;
  Status s = store_->Get(key, &stored);
  if (!s.ok()) return s;
  ValueMeta m;
  std::string_view view;
  s = Unwrap(key, stored, &m, &view);
  if (!s.ok()) return s;
  if (IsExpired(m, NowSeconds())) return Status::NotFound();
  if (meta != nullptr) *meta = m;
  // The payload is the envelope's tail: move the buffer and cut the header off.
  size_t header = stored.size() - view.size();
  *payload = std::move(stored);
  payload->erase(0, header);
  return Status::Ok();
}

Status Engine::ValueSize(std::string_view key, uint64_t* size) {
  std::string payload;
  Status s = Get(key, &payload);
  if (s.ok()) *size = payload.size();
  return s;
}

void Engine::MultiGet(const std::vector<std::string_view>& keys,
                      std::vector<std::pair<std::string, std::string>>* found) {
  std::string payload;
  for (std::string_view key : keys) {
    if (Get(key, &payload).ok()) found->emplace_back(std::string(key), std::move(payload));
  }
}

Status Engine::KeysWithPrefix(std::string_view prefix, int64_t max,
                              std::vector<std::string>* keys) {
  return store_->KeysWithPrefix(prefix, max, keys);
}

uint64_t Engine::Count() { return store_->Count(); }
uint64_t Engine::SizeBytes() { return store_->SizeBytes(); }

std::unique_ptr<ValueCursor> Engine::NewCursor() {
  return std::make_unique<ValueCursor>(store_->NewCursor());
}

Status Engine::LogRecord(const Origin& origin, std::string_view body, uint64_t* ts,
                         uint64_t* seq) {
  *seq = 0;
  if (ulog_ == nullptr) {
    *ts = clock_->Next();
    return Status::Ok();
  }
  uint16_t sid = origin.sid != 0 ? origin.sid : sid_;
  return ulog_->Append(sid, origin.mid, body, ts, seq);
}

Status Engine::WaitDurable(uint64_t seq) {
  if (ulog_ == nullptr || seq == 0) return Status::Ok();
  return ulog_->WaitDurable(seq);
}

Status Engine::Mutate(std::string_view key, const Origin& origin, const Mutation& fn,
                      ValueMeta* written) {
  uint64_t seq = 0;
  Status result;
  {
    std::lock_guard lock(StripeOf(key));
    std::string stored;
    Current current;
    Status s = store_->Get(key, &stored);
    const bool stored_found = s.ok();
    if (stored_found) {
      s = Unwrap(key, stored, &current.meta, &current.payload);
      if (!s.ok()) return s;
      current.exists = !IsExpired(current.meta, NowSeconds());
      if (!current.exists) current.payload = {};
    } else if (!s.IsNotFound()) {
      return s;
    }

    Change change = fn(current);
    switch (change.kind) {
      case Change::Kind::kKeep:
        return change.status;
      case Change::Kind::kSet: {
        uint64_t ts;
        s = LogRecord(origin, PutBody(key, change.payload), &ts, &seq);
        if (!s.ok()) return s;
        ValueMeta meta{ts, change.flags, change.expires_at};
        std::string envelope;
        EncodeEnvelope(meta, change.payload, &envelope);
        s = store_->Set(key, envelope);
        if (!s.ok()) return s;
        if (written != nullptr) *written = meta;
        break;
      }
      case Change::Kind::kRemove: {
        if (!stored_found) return Status::NotFound();  // an expired value is still purged
        uint64_t ts;
        s = LogRecord(origin, OutBody(key), &ts, &seq);
        if (!s.ok()) return s;
        s = store_->Remove(key);
        if (!s.ok() && !s.IsNotFound()) return s;
        break;
      }
    }
    result = change.status;
  }
  Status durable = WaitDurable(seq);
  return durable.ok() ? result : durable;
}

Status Engine::Put(std::string_view key, std::string_view value, const Origin& origin) {
  return Mutate(key, origin, [value](const Current&) { return Change::Set(std::string(value)); });
}

Status Engine::PutKeep(std::string_view key, std::string_view value, const Origin& origin) {
  return Mutate(key, origin, [value](const Current& cur) {
    if (cur.exists) return Change::Keep(Status::Exists());
    return Change::Set(std::string(value));
  });
}

Status Engine::PutCat(std::string_view key, std::string_view value, const Origin& origin) {
  return Mutate(key, origin, [value](const Current& cur) {
    std::string joined;
    joined.reserve(cur.payload.size() + value.size());
    joined.append(cur.payload).append(value);
    return Change::Set(std::move(joined));
  });
}

Status Engine::PutShl(std::string_view key, std::string_view value, int32_t width,
                      const Origin& origin) {
  if (width < 0) return Status::InvalidArgument("putshl width is negative");
  return Mutate(key, origin, [value, width](const Current& cur) {
    if (!cur.exists) return Change::Set(std::string(value));
    std::string joined;
    joined.reserve(cur.payload.size() + value.size());
    joined.append(cur.payload).append(value);
    size_t keep = std::min(joined.size(), static_cast<size_t>(width));
    return Change::Set(joined.substr(joined.size() - keep));
  });
}

Status Engine::Out(std::string_view key, const Origin& origin) {
  return Mutate(key, origin, [](const Current& cur) {
    if (!cur.exists) return Change::Keep(Status::NotFound());
    return Change::Remove();
  });
}

Status Engine::AddInt(std::string_view key, int32_t delta, int32_t* sum, const Origin& origin) {
  return Mutate(key, origin, [delta, sum](const Current& cur) {
    int32_t value = 0;
    if (cur.exists) {
      if (cur.payload.size() != sizeof(int32_t)) {
        return Change::Keep(Status::Failed("the existing value is not a 4-byte integer"));
      }
      std::memcpy(&value, cur.payload.data(), sizeof value);
    }
    // Wraps like the original's int arithmetic, without signed-overflow UB.
    value = static_cast<int32_t>(static_cast<uint32_t>(value) + static_cast<uint32_t>(delta));
    *sum = value;
    if (cur.exists && delta == 0) return Change::Keep();
    std::string bytes(sizeof value, '\0');
    std::memcpy(bytes.data(), &value, sizeof value);
    return Change::Set(std::move(bytes));
  });
}

Status Engine::AddDouble(std::string_view key, double delta, double* sum, const Origin& origin) {
  return Mutate(key, origin, [delta, sum](const Current& cur) {
    double value = 0;
    if (cur.exists) {
      if (cur.payload.size() != sizeof(double)) {
        return Change::Keep(Status::Failed("the existing value is not an 8-byte double"));
      }
      std::memcpy(&value, cur.payload.data(), sizeof value);
    }
    value += delta;
    if (std::isnan(value)) return Change::Keep(Status::Failed("the sum is not a number"));
    *sum = value;
    if (cur.exists && delta == 0) return Change::Keep();
    std::string bytes(sizeof value, '\0');
    std::memcpy(bytes.data(), &value, sizeof value);
    return Change::Set(std::move(bytes));
  });
}

Status Engine::WholeDatabase(const Origin& origin, const std::string& body,
                             const std::function<Status()>& fn) {
  uint64_t seq = 0;
  {
    for (auto& stripe : stripes_) stripe.lock();
    Status s = fn();
    if (s.ok()) {
      uint64_t ts;
      s = LogRecord(origin, body, &ts, &seq);
    }
    for (auto& stripe : stripes_) stripe.unlock();
    if (!s.ok()) return s;
  }
  return WaitDurable(seq);
}

Status Engine::Vanish(const Origin& origin) {
  return WholeDatabase(origin, VanishBody(), [this] { return store_->Clear(); });
}

Status Engine::Optimize(std::string_view params, const Origin& origin) {
  return WholeDatabase(origin, OptimizeBody(params),
                       [this, params] { return store_->Optimize(params); });
}

Status Engine::Sync(const Origin& origin) {
  Status s = WholeDatabase(origin, SyncBody(), [this] { return store_->Synchronize(true); });
  if (s.ok() && ulog_ != nullptr) s = ulog_->Sync();
  return s;
}

Status Engine::Copy(const std::string& path) {
  if (!path.empty() && path[0] == '@') {
    // The original runs "@cmd" with the current time in µs as its argument.
    std::string command = path.substr(1) + " " + std::to_string(NowMicros());
    int rc = std::system(command.c_str());
    if (rc != 0) return Status::Failed("copy command exited with status " + std::to_string(rc));
    return Status::Ok();
  }
  return store_->Copy(path);
}

}  // namespace tt
