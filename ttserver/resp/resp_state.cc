#include "ttserver/resp/resp_state.h"

#include <ctime>

#include "common/logging.h"

namespace tt::resp {

Saves::~Saves() {
  std::lock_guard lock(mu_);
  if (thread_.joinable()) thread_.join();
}

bool Saves::StartBackground(Engine* engine) {
  std::lock_guard lock(mu_);
  if (running_.load(std::memory_order_acquire)) return false;
  if (thread_.joinable()) thread_.join();  // the last one, ended
  running_.store(true, std::memory_order_release);
  thread_ = std::thread([this, engine] {
    Status s = engine->Sync();
    if (!s.ok()) LogError("BGSAVE failed: ", s.ToString());
    Ended(s.ok());
    running_.store(false, std::memory_order_release);
  });
  return true;
}

void Saves::Ended(bool ok) {
  last_ok_.store(ok, std::memory_order_relaxed);
  if (ok) last_success_.store(static_cast<int64_t>(time(nullptr)), std::memory_order_relaxed);
}

}  // namespace tt::resp
