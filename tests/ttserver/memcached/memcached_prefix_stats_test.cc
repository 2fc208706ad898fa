#include "ttserver/memcached/memcached_prefix_stats.h"

#include <gtest/gtest.h>

#include <string>

namespace tt::mc {
namespace {

TEST(PrefixStatsTest, NothingIsCountedWhileOff) {
  PrefixStats stats;
  stats.RecordGet("a:1", true);
  stats.RecordSet("a:1");
  stats.RecordDelete("a:1");
  EXPECT_EQ(stats.Dump(), "END\r\n");
  stats.SetEnabled(true);
  stats.RecordSet("a:1");
  stats.SetEnabled(false);
  stats.RecordSet("a:1");
  EXPECT_EQ(stats.Dump(), "PREFIX a get 0 hit 0 set 1 del 0\r\nEND\r\n");
}

TEST(PrefixStatsTest, ThePrefixEndsAtTheFirstDelimiterAndKeysWithoutOneAreNotCounted) {
  PrefixStats stats;
  stats.SetEnabled(true);
  stats.RecordGet("user:1:name", true);
  stats.RecordGet("user:2", false);
  stats.RecordDelete("user:");
  stats.RecordSet(":x");
  stats.RecordSet("plain");
  EXPECT_EQ(stats.Dump(),
            "PREFIX  get 0 hit 0 set 1 del 0\r\n"
            "PREFIX user get 2 hit 1 set 0 del 1\r\n"
            "END\r\n");
  stats.Clear();
  EXPECT_TRUE(stats.enabled());
  EXPECT_EQ(stats.Dump(), "END\r\n");
}

TEST(PrefixStatsTest, NewPrefixesPastTheLimitAreNotCounted) {
  PrefixStats stats;
  stats.SetEnabled(true);
  for (size_t i = 0; i < PrefixStats::kMaxPrefixes; ++i) stats.RecordSet(std::to_string(i) + ":");
  stats.RecordSet("one-too-many:");
  stats.RecordSet("0:");  // a prefix already counted still is
  const std::string dump = stats.Dump();
  EXPECT_EQ(dump.find("one-too-many"), std::string::npos);
  EXPECT_NE(dump.find("PREFIX 0 get 0 hit 0 set 2 del 0\r\n"), std::string::npos);
}

}  // namespace
}  // namespace tt::mc
