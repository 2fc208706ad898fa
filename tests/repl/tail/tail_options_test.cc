// tttail's command line (repl/tail/tail_options.h): defaults, values, and the
// combinations it refuses with a reason.
#include "repl/tail/tail_options.h"

#include <gtest/gtest.h>

namespace tt::testing {
namespace {

bool Parse(std::vector<std::string> args, TailOptions* options, std::string* error) {
  args.insert(args.begin(), "tttail");
  TailCommand command;
  return ParseTailOptions(args, options, &command, error);
}

TEST(TailOptionsTest, DefaultsFollowAsJsonWithTheHighestSid) {
  TailOptions options;
  std::string error;
  ASSERT_TRUE(Parse({"db.example"}, &options, &error)) << error;
  EXPECT_EQ(options.host, "db.example");
  EXPECT_EQ(options.port, 1978);
  EXPECT_EQ(options.sid, 65535);
  EXPECT_FALSE(options.stop_at_end);
  EXPECT_EQ(options.format, TailFormat::kJson);
  EXPECT_EQ(options.encoding, TailEncoding::kText);
  EXPECT_EQ(options.source, "db.example:1978");
}

TEST(TailOptionsTest, ValuesInBothSpellings) {
  TailOptions options;
  std::string error;
  ASSERT_TRUE(Parse({"--port=2000", "--sid", "9", "--format", "tsv", "--stop-at-end", "--ts=5",
                     "--checkpoint", "cp", "h"},
                    &options, &error))
      << error;
  EXPECT_EQ(options.port, 2000);
  EXPECT_EQ(options.sid, 9);
  EXPECT_EQ(options.format, TailFormat::kTsv);
  EXPECT_TRUE(options.stop_at_end);
  EXPECT_EQ(options.start_ts, 5u);
  EXPECT_EQ(options.checkpoint, "cp");
}

TEST(TailOptionsTest, RefusalsSayWhatToDo) {
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
      {{}, "no master host"},
      {{"--sid", "0", "h"}, "from 1 to 65535"},
      {{"--sid", "70000", "h"}, "from 1 to 65535"},
      {{"--format", "xml", "h"}, "json or tsv"},
      {{"--sqlite", "a", "--postgres", "b", "h"}, "exclusive"},
      {{"--sqlite", "a", "--checkpoint", "c", "h"}, "drop --checkpoint"},
      {{"--sqlite", "a", "--format", "tsv", "h"}, "drop them"},
      {{"--follow", "--stop-at-end", "h"}, "pick one"},
      {{"--bogus", "h"}, "unknown option --bogus"},
      {{"--port", "h"}, "TCP port"},
  };
  for (const auto& [args, reason] : cases) {
    TailOptions options;
    std::string error;
    EXPECT_FALSE(Parse(args, &options, &error)) << args.size();
    EXPECT_NE(error.find(reason), std::string::npos) << error;
  }
}

}  // namespace
}  // namespace tt::testing
