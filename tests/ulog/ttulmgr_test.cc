// Runs the real ttulmgr binary (TTULMGR_PATH) through the shell.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <string>

#include "common/clock.h"
#include "common/hex.h"
#include "tests/ulog/ulog_test_util.h"
#include "ulog/record.h"
#include "ulog/ulog_writer.h"

namespace tt {
namespace {

struct RunResult {
  int exit_code = -1;
  std::string out;  // standard output
  std::string err;  // standard error
};

// Runs `ttulmgr <args>` with `input` on standard input.
RunResult RunTtulmgr(const std::string& args, const std::string& input = "") {
  ScratchDir scratch;
  const std::string in_path = scratch.path() + "/in";
  const std::string err_path = scratch.path() + "/err";
  AppendToFile(in_path, input);
  std::string command = std::string(TTULMGR_PATH) + " " + args + " <" + in_path + " 2>" + err_path;
  RunResult result;
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return result;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, pipe)) > 0) result.out.append(buf, n);
  int status = pclose(pipe);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  result.err = ReadWholeFile(err_path);
  return result;
}

constexpr char kCapturedLine[] =
    "1795252109520066\t7:0\tput\tC8 10 00 00 00 03 00 00 00 03 66 6F 6F 62 61 72 00\n";

TEST(TtulmgrTest, ExportPrintsTheCapturedRecordAsTheOriginalDid) {
  ScratchDir dir;
  AppendToFile(dir.File(1),
               *HexDecode("C9 00 06 60 C5 B4 45 2C C2 00 07 00 00 00 00 00 11 C8 10 00 00 00 03 00 "
                          "00 00 03 66 6F 6F 62 61 72 00"));
  RunResult r = RunTtulmgr("export " + dir.path());
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, kCapturedLine);
}

// Writes puts of "key0".."key<count-1>" (value "v") with a real writer
// rotating at `limit` bytes (0 = never); returns the open writer so that a
// test may append more.
std::unique_ptr<UlogWriter> WritePuts(const std::string& dir, int count, uint64_t limit,
                                      TimestampClock* clock) {
  UlogWriterOptions options;
  options.dir = dir;
  options.limit = limit;
  options.clock = clock;
  std::unique_ptr<UlogWriter> writer;
  EXPECT_TRUE(UlogWriter::Open(options, &writer).ok());
  uint64_t ts, seq;
  for (int i = 0; i < count; ++i) {
    EXPECT_TRUE(writer->Append(1, 0, PutBody("key" + std::to_string(i), "v"), &ts, &seq).ok());
  }
  return writer;
}

TEST(TtulmgrTest, ExportOfWhatImportWroteIsIdentical) {
  ScratchDir a, b;
  {
    TimestampClock clock;
    std::unique_ptr<UlogWriter> writer = WritePuts(a.path(), 20, 300, &clock);
    ASSERT_TRUE(writer != nullptr);
    uint64_t ts, seq;
    ASSERT_TRUE(writer->Append(2, 1, OutBody("key3"), &ts, &seq).ok());
    ASSERT_TRUE(writer->Append(3, 0, OptimizeBody("bnum=7"), &ts, &seq).ok());
    ASSERT_TRUE(writer->Append(1, 3, VanishBody(), &ts, &seq).ok());
    ASSERT_TRUE(writer->Append(1, 0, SyncBody(), &ts, &seq).ok());
  }
  RunResult first = RunTtulmgr("export " + a.path());
  ASSERT_EQ(first.exit_code, 0) << first.err;
  EXPECT_EQ(std::count(first.out.begin(), first.out.end(), '\n'), 24);

  RunResult import = RunTtulmgr("import -lim 0.25k " + b.path(), first.out);
  ASSERT_EQ(import.exit_code, 0) << import.err;
  RunResult second = RunTtulmgr("export " + b.path());
  ASSERT_EQ(second.exit_code, 0) << second.err;
  EXPECT_EQ(second.out, first.out);
  EXPECT_TRUE(std::filesystem::exists(b.File(2)));  // -lim rotated the import
}

TEST(TtulmgrTest, ImportAcceptsTheSpecsCompactLine) {
  ScratchDir dir;
  RunResult r = RunTtulmgr("import " + dir.path(), "123\t5:6\tjunk\tC8100000000100000001414200\n");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto records = ReadAll(dir.path());
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].ts, 123u);
  EXPECT_EQ(records[0].sid, 5);
  EXPECT_EQ(records[0].mid, 6);
  EXPECT_EQ(records[0].body, PutBody("A", "B"));
}

TEST(TtulmgrTest, ImportSkipsLinesTheOriginalSkips) {
  ScratchDir dir;
  // 12: kept, NUL bytes ignored anywhere, a CR ends the line.
  static constexpr char kNulLine[] =
      "12\t3:4\tva\0nish\tC8 72 \0"
      "00\r";
  std::string input =
      "no tab at all\n"
      "0\t1:0\tput\tC8 70 00\n"     // ts < 1
      "abc\t1:0\tput\tC8 70 00\n"   // ts not a number
      "5\t1:0\n"                    // no third column
      "6\t1:0\tsync\n"              // no body
      "7\t1:0\tsync\tC8 7\n"        // odd hex
      "8\t1:0\tsync\tC8 ZZ 00\n"    // not hex
      "9\t1:0\tsync\tC8 70\n"       // body shorter than 3 bytes
      "10\t1:0\tsync\tC9 70 00\n"   // body not starting with C8
      "11\t2\tsync\tC8 70 00\r\n";  // kept: CRLF, no mid
  input.append(kNulLine, sizeof kNulLine - 1);
  input.append("-1\t1:0\tsync\tC8 70 00");  // kept: negative ts = now, no final LF
  uint64_t before = NowMicros();
  RunResult r = RunTtulmgr("import " + dir.path(), input);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto records = ReadAll(dir.path());
  ASSERT_EQ(records.size(), 3u);
  EXPECT_EQ(records[0].ts, 11u);
  EXPECT_EQ(records[0].sid, 2);
  EXPECT_EQ(records[0].mid, 0);
  EXPECT_EQ(records[1].ts, 12u);
  EXPECT_EQ(records[1].sid, 3);
  EXPECT_EQ(records[1].mid, 4);
  EXPECT_EQ(records[1].body, VanishBody());
  EXPECT_GE(records[2].ts, before);
}

TEST(TtulmgrTest, ExportMarksBodiesShorterThanTwoBytesAsBroken) {
  ScratchDir dir;
  AppendToFile(dir.File(1), EncodeRecord(42, 1, 2, "\xC8"));
  RunResult r = RunTtulmgr("export " + dir.path());
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "42\t1:2\t[broken entry]\n");
}

TEST(TtulmgrTest, ExportFiltersBySidOrMidAndStartsAtTs) {
  ScratchDir dir;
  AppendToFile(dir.File(1),
               EncodeRecord(10, 1, 0, SyncBody()) + EncodeRecord(20, 2, 1, SyncBody()) +
                   EncodeRecord(30, 3, 0, SyncBody()) + EncodeRecord(40, 4, 2, VanishBody()));
  EXPECT_EQ(RunTtulmgr("export -sid 2 " + dir.path()).out,
            "10\t1:0\tsync\tC8 70 00\n30\t3:0\tsync\tC8 70 00\n");
  EXPECT_EQ(RunTtulmgr("export --sid=1 " + dir.path()).out,
            "30\t3:0\tsync\tC8 70 00\n40\t4:2\tvanish\tC8 72 00\n");
  EXPECT_EQ(RunTtulmgr("export -ts 30 " + dir.path()).out,
            "30\t3:0\tsync\tC8 70 00\n40\t4:2\tvanish\tC8 72 00\n");
  EXPECT_EQ(RunTtulmgr("export --ts 40 --sid 9 " + dir.path()).out, "40\t4:2\tvanish\tC8 72 00\n");
  EXPECT_EQ(RunTtulmgr("export -ts now " + dir.path()).out, "");
}

TEST(TtulmgrTest, ExportOfACorruptLogPrintsTheCheckedRecordsAndFails) {
  ScratchDir dir;
  {
    TimestampClock clock;
    WritePuts(dir.path(), 300, 0, &clock);
  }
  std::string bytes = ReadWholeFile(dir.File(1));
  const size_t at = bytes.find("key200");
  ASSERT_NE(at, std::string::npos);
  bytes[at] = 'K';
  std::filesystem::remove(dir.File(1));
  AppendToFile(dir.File(1), bytes);
  RunResult r = RunTtulmgr("export " + dir.path());
  EXPECT_EQ(r.exit_code, 1);
  // Whole checked stretches before the damage are printed, nothing of or after it.
  EXPECT_GT(std::count(r.out.begin(), r.out.end(), '\n'), 100);
  EXPECT_EQ(r.out.find("4B 65 79"), std::string::npos) << "the changed key was exported";
  EXPECT_EQ(r.out.find("6B 65 79 32 30 30"), std::string::npos);  // key200
  EXPECT_NE(r.err.find("do not match the checksum record"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.rfind("ttulmgr: error: ", 0), 0u) << r.err;
}

TEST(TtulmgrTest, UsageErrorsExitOneWithUsageOnStderr) {
  for (const char* args :
       {"", "frobnicate /tmp", "export", "export -bogus 1 /tmp", "export -ts 1",
        "export -ts xyz /tmp", "import -lim 1q /tmp", "import -ts 5 /tmp", "export a b"}) {
    RunResult r = RunTtulmgr(args);
    EXPECT_EQ(r.exit_code, 1) << args;
    EXPECT_EQ(r.out, "") << args;
    EXPECT_EQ(r.err.rfind("ttulmgr: error: ", 0), 0u) << args << ": " << r.err;
    EXPECT_NE(r.err.find("usage:"), std::string::npos) << args;
  }
}

TEST(TtulmgrTest, MissingDirectoryIsAnErrorWithAHint) {
  RunResult r = RunTtulmgr("import /nonexistent/ulog", "1\t1:0\tsync\tC8 70 00\n");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("does not exist"), std::string::npos) << r.err;
  r = RunTtulmgr("export /nonexistent/ulog");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err.rfind("ttulmgr: error: ", 0), 0u) << r.err;
}

TEST(TtulmgrTest, HelpAndVersionGoToStdout) {
  RunResult help = RunTtulmgr("--help");
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_NE(help.out.find("ttulmgr export [-ts num] [-sid num] upath"), std::string::npos);
  RunResult version = RunTtulmgr("--version");
  EXPECT_EQ(version.exit_code, 0);
  EXPECT_EQ(version.out.rfind("ttulmgr ", 0), 0u);
}

}  // namespace
}  // namespace tt
