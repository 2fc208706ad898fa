#include "tests/chaos/workload.h"

#include <algorithm>
#include <chrono>
#include <ctime>
#include <map>
#include <memory>
#include <random>

#include "client/remote_db.h"
#include "tests/chaos/text_clients.h"

namespace tt::chaos {

namespace {

using Clock = std::chrono::steady_clock;

// Tokens a writer appends to one of its log keys before it removes the key,
// so that values (and the effect records that carry them whole) stay small.
constexpr int kLogTokensBeforeReset = 64;
// Tokens per shared log key before the writers move on to the next one.
constexpr int kSharedTokensPerKey = 32;

// One writer's connections to one side (master or partner).
struct Side {
  int port = 0;
  std::string prefix;  // of its keys: "m." or "p."
  RemoteDB binary;
  bool binary_open = false;
  std::unique_ptr<MemcachedText> text;
  std::unique_ptr<HttpClient> http;
};

enum class Protocol { kBinary, kText, kHttp };

class Writer {
 public:
  Writer(int index, const WorkloadOptions& options, Model* model, Gate* gate,
         std::atomic<bool>* stop, std::atomic<uint64_t>* writes, std::atomic<uint64_t>* errors,
         std::atomic<uint64_t>* timeouts)
      : index_(index),
        options_(options),
        model_(model),
        gate_(gate),
        stop_(stop),
        writes_(writes),
        errors_(errors),
        timeouts_(timeouts),
        random_(options.seed * 1000003 + static_cast<uint64_t>(index)) {}

  // Declares this writer's keys on a side.
  void AddSide(int port, const std::string& prefix) {
    auto side = std::make_unique<Side>();
    side->port = port;
    side->prefix = prefix;
    for (int i = 0; i < options_.register_keys; ++i)
      model_->AddKey(Key(*side, 'r', i), KeyKind::kRegister);
    for (int i = 0; i < options_.log_keys; ++i) model_->AddKey(Key(*side, 'l', i), KeyKind::kLog);
    for (int i = 0; i < options_.counter_keys; ++i)
      model_->AddKey(Key(*side, 'c', i), KeyKind::kCounter);
    for (int i = 0; i < options_.decimal_keys; ++i)
      model_->AddKey(Key(*side, 'd', i), KeyKind::kDecimal);
    sides_.push_back(std::move(side));
  }

  void Run() {
    for (auto& side : sides_) {
      for (int i = 0; i < options_.decimal_keys; ++i) {
        if (!StartDecimal(*side, Key(*side, 'd', i))) return;
      }
    }
    Clock::time_point next = Clock::now();
    while (!stop_->load()) {
      if (options_.writes_per_second > 0) {
        next += std::chrono::microseconds(static_cast<int64_t>(1e6 / options_.writes_per_second));
        if (next < Clock::now() - std::chrono::seconds(1)) next = Clock::now();
        std::this_thread::sleep_until(next);
      }
      Side& side = sides_.size() > 1 && Pick(4) == 0 ? *sides_[1] : *sides_[0];
      const uint64_t kind = Pick(100);
      bool ok;
      if (kind < 50) {
        ok = RegisterWrite(side);
      } else if (kind < 68) {
        ok = LogWrite(side, Key(side, 'l', static_cast<int>(Pick(options_.log_keys))));
      } else if (kind < 80) {
        ok = CounterWrite(side, Key(side, 'c', static_cast<int>(Pick(options_.counter_keys))));
      } else if (kind < 90) {
        ok = DecimalWrite(side, Key(side, 'd', static_cast<int>(Pick(options_.decimal_keys))));
      } else {
        ok = side.prefix == "m." ? SharedWrite(side) : RegisterWrite(side);
      }
      if (!ok) return;
    }
  }

 private:
  uint64_t Pick(uint64_t n) { return random_() % n; }

  std::string Key(const Side& side, char kind, int i) const {
    return side.prefix + "w" + std::to_string(index_) + "." + kind + std::to_string(i);
  }

  // A value unique to this write, of 0..299 bytes of padding.
  std::string Value(const std::string& key) {
    std::string value = key + "#" + std::to_string(++n_) + "#";
    const size_t pad = Pick(300);
    for (size_t i = 0; i < pad; ++i) value.push_back(static_cast<char>('a' + (n_ + i) % 26));
    return value;
  }

  std::string Token() { return "w" + std::to_string(index_) + "." + std::to_string(++n_) + ";"; }

  // Waits (passing the gate) until `side` has a usable connection for
  // `protocol`; false when the workload stops.
  bool Ready(Side& side, Protocol protocol) {
    for (;;) {
      gate_->Pass();
      if (stop_->load()) return false;
      switch (protocol) {
        case Protocol::kBinary:
          if (!side.binary_open) {
            side.binary_open =
                side.binary.Open("127.0.0.1", side.port, options_.timeout_ms / 1000.0).ok();
          }
          if (side.binary_open) return true;
          break;
        case Protocol::kText:
          if (side.text == nullptr || !side.text->usable()) {
            side.text = std::make_unique<MemcachedText>(side.port, options_.timeout_ms);
          }
          if (side.text->usable()) return true;
          break;
        case Protocol::kHttp:
          if (side.http == nullptr || !side.http->usable()) {
            side.http = std::make_unique<HttpClient>(side.port, options_.timeout_ms);
          }
          if (side.http->usable()) return true;
          break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  }

  // The outcome of a binary request; `fine` says whether an answered
  // failure is still an acknowledgement (out of a missing key).
  Outcome Of(Side& side, const Status& s, bool fine = false) {
    ++*writes_;
    if (s.ok() || fine) return Outcome::kAcked;
    if (s.code() == Status::Code::kTimeout) {
      ++*timeouts_;
      side.binary.Close();
      side.binary_open = false;
      return Outcome::kTimedOut;
    }
    if (s.code() == Status::Code::kNetwork || s.code() == Status::Code::kProtocol) {
      side.binary.Close();
      side.binary_open = false;
    } else {
      ++*errors_;
    }
    return Outcome::kUnknown;
  }

  // The outcome of a text or HTTP request that `succeeded` when answered.
  Outcome Of(Delivery d, bool succeeded) {
    ++*writes_;
    if (d == Delivery::kReplied) {
      if (succeeded) return Outcome::kAcked;
      ++*errors_;
      return Outcome::kUnknown;
    }
    if (d == Delivery::kTimedOut) {
      ++*timeouts_;
      return Outcome::kTimedOut;
    }
    return Outcome::kUnknown;
  }

  // After a text or HTTP request that was not answered, the connection's
  // position in its stream is lost.
  template <typename Client>
  void DropUnless(Delivery d, std::unique_ptr<Client>* client) {
    if (d != Delivery::kReplied) client->reset();
  }

  bool StartDecimal(Side& side, const std::string& key) {
    const uint32_t flags = static_cast<uint32_t>(Pick(65536));
    const int64_t exptime = 2 * 86400;
    for (;;) {
      if (!Ready(side, Protocol::kText)) return false;
      const int64_t before = time(nullptr);
      bool stored = false;
      const Delivery d = side.text->Set(key, flags, exptime, "0", &stored);
      DropUnless(d, &side.text);
      const Outcome outcome = Of(d, stored);
      model_->Overwrite(key,
                        {.exists = true,
                         .record = {"0", flags},
                         .exp_lo = before + exptime,
                         .exp_hi = time(nullptr) + exptime},
                        outcome);
      if (outcome == Outcome::kAcked) return true;
    }
  }

  bool RegisterWrite(Side& side) {
    const std::string key = Key(side, 'r', static_cast<int>(Pick(options_.register_keys)));
    const uint64_t op = Pick(100);
    if (op < 25) {
      if (!Ready(side, Protocol::kBinary)) return false;
      const std::string value = Value(key);
      const Outcome outcome = Of(side, side.binary.Put(key, value));
      model_->Overwrite(key, {.exists = true, .record = {value}}, outcome);
    } else if (op < 50) {
      if (!Ready(side, Protocol::kText)) return false;
      const std::string value = Value(key);
      const uint32_t flags = Pick(2) == 0 ? 0 : static_cast<uint32_t>(Pick(65536) + 1);
      const int64_t exptime = Pick(2) == 0 ? 0 : static_cast<int64_t>(3600 + Pick(86400));
      const int64_t before = time(nullptr);
      bool stored = false;
      const Delivery d = side.text->Set(key, flags, exptime, value, &stored);
      DropUnless(d, &side.text);
      KeyState next{.exists = true, .record = {value, flags}};
      if (exptime != 0) {
        next.exp_lo = before + exptime;
        next.exp_hi = time(nullptr) + exptime;
      }
      model_->Overwrite(key, next, Of(d, stored));
    } else if (op < 65) {
      if (!Ready(side, Protocol::kHttp)) return false;
      const std::string value = Value(key);
      int status = 0;
      const Delivery d = side.http->Put(key, value, 0, &status);
      DropUnless(d, &side.http);
      model_->Overwrite(key, {.exists = true, .record = {value}}, Of(d, status == 201));
    } else if (op < 75) {
      if (!Ready(side, Protocol::kBinary)) return false;
      std::vector<std::string> args, keys, values, result;
      for (int i = 0, n = 2 + static_cast<int>(Pick(3)); i < n; ++i) {
        const std::string k = Key(side, 'r', static_cast<int>(Pick(options_.register_keys)));
        if (std::find(keys.begin(), keys.end(), k) != keys.end()) continue;
        keys.push_back(k);
        values.push_back(Value(k));
        args.push_back(k);
        args.push_back(values.back());
      }
      const Outcome outcome = Of(side, side.binary.Misc("putlist", args, 0, &result));
      for (size_t i = 0; i < keys.size(); ++i) {
        model_->Overwrite(keys[i], {.exists = true, .record = {values[i]}}, outcome);
      }
    } else if (op < 88) {
      if (!Ready(side, Protocol::kBinary)) return false;
      const Status s = side.binary.Out(key);
      model_->Remove(key, Of(side, s, s.IsNotFound()));
    } else {
      if (!Ready(side, Protocol::kHttp)) return false;
      int status = 0;
      const Delivery d = side.http->Delete(key, &status);
      DropUnless(d, &side.http);
      model_->Remove(key, Of(d, status == 200 || status == 404));
    }
    return true;
  }

  bool LogWrite(Side& side, const std::string& key) {
    int& appended = tokens_[key];
    if (appended >= kLogTokensBeforeReset) {
      appended = 0;
      if (!Ready(side, Protocol::kBinary)) return false;
      const Status s = side.binary.Out(key);
      model_->Remove(key, Of(side, s, s.IsNotFound()));
      return true;
    }
    ++appended;
    const std::string token = Token();
    if (Pick(3) == 0) {
      if (!Ready(side, Protocol::kHttp)) return false;
      int status = 0;
      const Delivery d = side.http->Put(key, token, /*pdmode putcat=*/2, &status);
      DropUnless(d, &side.http);
      model_->Append(key, token, Of(d, status == 201));
    } else {
      if (!Ready(side, Protocol::kBinary)) return false;
      model_->Append(key, token, Of(side, side.binary.PutCat(key, token)));
    }
    return true;
  }

  bool CounterWrite(Side& side, const std::string& key) {
    if (!Ready(side, Protocol::kBinary)) return false;
    const auto delta = static_cast<int32_t>(1 + Pick(100));
    int32_t sum = 0;
    const Status s = side.binary.AddInt(key, delta, &sum);
    const Outcome outcome = Of(side, s);
    model_->AddInt(key, delta, outcome,
                   outcome == Outcome::kAcked ? std::optional<int32_t>(sum) : std::nullopt);
    return true;
  }

  bool DecimalWrite(Side& side, const std::string& key) {
    if (!Ready(side, Protocol::kText)) return false;
    const uint64_t delta = 1 + Pick(100);
    std::optional<uint64_t> value;
    bool not_found = false;
    const Delivery d = side.text->Incr(key, delta, &value, &not_found);
    DropUnless(d, &side.text);
    // NOT_FOUND is an answer the model judges (the key was written before),
    // not an unknown outcome.
    model_->Incr(key, delta, Of(d, value.has_value() || not_found), value);
    return true;
  }

  bool SharedWrite(Side& side) {
    if (!Ready(side, Protocol::kBinary)) return false;
    if (Pick(2) == 0) {
      const auto delta = static_cast<int32_t>(1 + Pick(100));
      int32_t sum = 0;
      model_->AddInt("m.shared.c", delta, Of(side, side.binary.AddInt("m.shared.c", delta, &sum)));
      return true;
    }
    const std::string key = "m.shared.l" + std::to_string(shared_appends_++ / kSharedTokensPerKey);
    model_->AddKey(key, KeyKind::kSharedLog);
    const std::string token = Token();
    model_->Append(key, token, Of(side, side.binary.PutCat(key, token)));
    return true;
  }

  const int index_;
  const WorkloadOptions options_;
  Model* const model_;
  Gate* const gate_;
  std::atomic<bool>* const stop_;
  std::atomic<uint64_t>* const writes_;
  std::atomic<uint64_t>* const errors_;
  std::atomic<uint64_t>* const timeouts_;
  std::mt19937_64 random_;
  uint64_t n_ = 0;
  uint64_t shared_appends_ = 0;
  std::map<std::string, int> tokens_;  // log key -> tokens appended since its reset
  std::vector<std::unique_ptr<Side>> sides_;
};

}  // namespace

void Gate::Pass() {
  std::unique_lock lock(mu_);
  if (!closed_) return;
  ++waiting_;
  cv_.notify_all();
  cv_.wait(lock, [&] { return !closed_; });
  --waiting_;
}

bool Gate::Close(int writers, double seconds) {
  std::unique_lock lock(mu_);
  closed_ = true;
  return cv_.wait_for(lock, std::chrono::duration<double>(seconds),
                      [&] { return waiting_ + left_ >= writers; });
}

void Gate::Open() {
  std::lock_guard lock(mu_);
  closed_ = false;
  cv_.notify_all();
}

void Gate::Leave() {
  std::lock_guard lock(mu_);
  ++left_;
  cv_.notify_all();
}

Workload::Workload(const WorkloadOptions& options, Model* model, int master_port, int partner_port)
    : options_(options), model_(model), master_port_(master_port), partner_port_(partner_port) {}

Workload::~Workload() { Stop(); }

void Workload::Start() {
  model_->AddKey("m.shared.c", KeyKind::kSharedCounter);
  for (int i = 0; i < options_.writers; ++i) {
    auto writer = std::make_shared<Writer>(i, options_, model_, &gate_, &stop_, &writes_, &errors_,
                                           &timeouts_);
    writer->AddSide(master_port_, "m.");
    if (partner_port_ != 0) writer->AddSide(partner_port_, "p.");
    threads_.emplace_back([this, writer] {
      writer->Run();
      gate_.Leave();
    });
  }
}

void Workload::Stop() {
  stop_ = true;
  gate_.Open();
  for (std::thread& t : threads_) t.join();
  threads_.clear();
}

bool Workload::Pause(double seconds) { return gate_.Close(options_.writers, seconds); }

void Workload::Resume() { gate_.Open(); }

}  // namespace tt::chaos
