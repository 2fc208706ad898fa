#include "engine/expiry_schedule.h"

namespace tt {

void ExpirySchedule::Note(std::string_view key, int64_t expires_at) {
  if (auto it = by_key_.find(key); it != by_key_.end()) {
    if (it->second == expires_at) return;
    // The view in `it` points into the node erased below: drop it first.
    const int64_t old = it->second;
    by_key_.erase(it);
    by_time_.erase(by_time_.find(std::make_pair(old, std::string(key))));
  }
  auto node = by_time_.emplace(expires_at, std::string(key)).first;
  by_key_.emplace(std::string_view(node->second), expires_at);
}

void ExpirySchedule::TakeDue(int64_t now_s, std::vector<std::string>* due) {
  while (!by_time_.empty() && by_time_.begin()->first <= now_s) {
    auto node = by_time_.extract(by_time_.begin());
    by_key_.erase(std::string_view(node.value().second));
    due->push_back(std::move(node.value().second));
  }
}

void ExpirySchedule::Clear() {
  by_key_.clear();
  by_time_.clear();
}

}  // namespace tt
