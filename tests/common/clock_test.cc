#include "common/clock.h"

#include <gtest/gtest.h>

#include <algorithm>

#include <thread>
#include <vector>

namespace tt {
namespace {

TEST(TimestampClockTest, StrictlyIncreasingEvenWithinOneMicrosecond) {
  TimestampClock clock;
  uint64_t last = 0;
  for (int i = 0; i < 100000; ++i) {
    uint64_t ts = clock.Next();
    ASSERT_GT(ts, last);
    last = ts;
  }
}

TEST(TimestampClockTest, ContinuesAfterAnObservedFutureTimestamp) {
  TimestampClock clock;
  uint64_t future = NowMicros() + 3600ull * 1000000;
  clock.Observe(future);
  EXPECT_EQ(clock.Next(), future + 1);
  clock.Observe(5);  // an older timestamp changes nothing
  EXPECT_EQ(clock.Next(), future + 2);
}

TEST(TimestampClockTest, UniqueAcrossThreads) {
  TimestampClock clock;
  std::vector<std::vector<uint64_t>> seen(4);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 20000; ++i) seen[t].push_back(clock.Next());
    });
  }
  for (auto& th : threads) th.join();
  std::vector<uint64_t> all;
  for (auto& v : seen) all.insert(all.end(), v.begin(), v.end());
  std::sort(all.begin(), all.end());
  EXPECT_EQ(std::adjacent_find(all.begin(), all.end()), all.end());
}

}  // namespace
}  // namespace tt
