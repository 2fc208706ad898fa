#include "engine/expiry_schedule.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace tt {
namespace {

std::vector<std::string> TakeDue(ExpirySchedule& schedule, int64_t now_s) {
  std::vector<std::string> due;
  schedule.TakeDue(now_s, &due);
  return due;
}

TEST(ExpirySchedule, GivesDueKeysSoonestFirstAndKeepsTheRest) {
  ExpirySchedule schedule;
  schedule.Note("c", 30);
  schedule.Note("a", 10);
  schedule.Note("b", 20);
  schedule.Note("a2", 10);
  EXPECT_EQ(schedule.size(), 4u);
  EXPECT_EQ(TakeDue(schedule, 9), std::vector<std::string>{});
  EXPECT_EQ(TakeDue(schedule, 20), (std::vector<std::string>{"a", "a2", "b"}));
  EXPECT_FALSE(schedule.Holds("a"));
  EXPECT_TRUE(schedule.Holds("c"));
  EXPECT_EQ(schedule.size(), 1u);
  EXPECT_EQ(TakeDue(schedule, 100), std::vector<std::string>{"c"});
  EXPECT_EQ(schedule.size(), 0u);
}

TEST(ExpirySchedule, ANewTimeForAKeyReplacesItsOldOne) {
  ExpirySchedule schedule;
  schedule.Note("moved-later", 10);
  schedule.Note("moved-later", 50);
  schedule.Note("moved-sooner", 50);
  schedule.Note("moved-sooner", 10);
  schedule.Note("same", 10);
  schedule.Note("same", 10);
  EXPECT_EQ(schedule.size(), 3u);
  EXPECT_EQ(TakeDue(schedule, 10), (std::vector<std::string>{"moved-sooner", "same"}));
  EXPECT_EQ(TakeDue(schedule, 50), std::vector<std::string>{"moved-later"});
}

TEST(ExpirySchedule, HoldsKeysOfAnyLengthAndBytes) {
  ExpirySchedule schedule;
  const std::string long_key(300, 'k');
  const std::string binary_key("a\0b", 3);
  schedule.Note(long_key, 5);
  schedule.Note(binary_key, 5);
  schedule.Note(std::string("a"), 5);
  schedule.Note(long_key, 6);  // its node is replaced; the view in the index must follow
  EXPECT_TRUE(schedule.Holds(long_key));
  EXPECT_TRUE(schedule.Holds(binary_key));
  EXPECT_EQ(TakeDue(schedule, 5), (std::vector<std::string>{"a", binary_key}));
  EXPECT_EQ(TakeDue(schedule, 6), std::vector<std::string>{long_key});
}

TEST(ExpirySchedule, ClearForgetsEveryKey) {
  ExpirySchedule schedule;
  schedule.Note("a", 1);
  schedule.Note("b", 2);
  schedule.Clear();
  EXPECT_EQ(schedule.size(), 0u);
  EXPECT_FALSE(schedule.Holds("a"));
  EXPECT_EQ(TakeDue(schedule, 100), std::vector<std::string>{});
}

}  // namespace
}  // namespace tt
