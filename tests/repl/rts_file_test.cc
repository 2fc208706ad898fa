#include "repl/rts_file.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>
#include <sstream>
#include <string>

#include "tests/support/temp_dir.h"

namespace tt {
namespace {

std::string ReadAll(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

void WriteAll(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::trunc);
  out << text;
}

TEST(ParseRtsTest, TakesTheLeadingDigitsAsTheOriginalDoes) {
  EXPECT_EQ(ParseRts(""), 0u);
  EXPECT_EQ(ParseRts("garbage"), 0u);
  EXPECT_EQ(ParseRts("\n"), 0u);
  EXPECT_EQ(ParseRts("1795251359321547\n"), 1795251359321547u);
  // A shorter number written in place over a longer one leaves stale bytes.
  EXPECT_EQ(ParseRts("42\n5251359321547\n"), 42u);
  EXPECT_EQ(ParseRts("99999999999999999999999\n"), 0u);
}

TEST(RtsFileTest, MissingFileIsCreatedEmptyAndMeansZero) {
  testing::TempDir dir;
  RtsFile rts(dir.Join("slave.rts"));
  ASSERT_TRUE(rts.Load().ok());
  EXPECT_EQ(rts.applied(), 0u);
  struct stat st;
  ASSERT_EQ(stat(dir.Join("slave.rts").c_str(), &st), 0);
  EXPECT_EQ(st.st_size, 0);
}

TEST(RtsFileTest, LoadsEmptyAndValidFiles) {
  testing::TempDir dir;
  const std::string path = dir.Join("slave.rts");
  RtsFile rts(path);
  WriteAll(path, "");
  ASSERT_TRUE(rts.Load().ok());
  EXPECT_EQ(rts.applied(), 0u);
  WriteAll(path, "0\n");
  ASSERT_TRUE(rts.Load().ok());
  EXPECT_EQ(rts.applied(), 0u);
  WriteAll(path, "1795251359321547\n");
  ASSERT_TRUE(rts.Load().ok());
  EXPECT_EQ(rts.applied(), 1795251359321547u);
}

// The original reads garbage as 0 and applies its master's whole log again;
// an original master's addint and putcat records would be applied twice.
TEST(RtsFileTest, GarbageIsRefusedNamingTheFileAndWhatToDo) {
  testing::TempDir dir;
  const std::string path = dir.Join("slave.rts");
  for (const std::string garbage :
       {std::string("not a number\n"), std::string(8, '\0'), std::string("\n17952513593\n"),
        std::string("99999999999999999999999\n")}) {
    WriteAll(path, garbage);
    RtsFile rts(path);
    const Status s = rts.Load();
    EXPECT_EQ(s.code(), Status::Code::kCorruption) << ::testing::PrintToString(garbage);
    EXPECT_NE(s.message().find(path + " does not hold a timestamp"), std::string::npos)
        << s.ToString();
    EXPECT_NE(s.message().find("remove the file"), std::string::npos) << s.ToString();
  }
}

TEST(RtsFileTest, UnreadableFileIsAnError) {
  testing::TempDir dir;
  RtsFile rts(dir.path());  // a directory
  EXPECT_FALSE(rts.Load().ok());
}

TEST(RtsFileTest, ThePositionIsTheNewestTimestampAppliedAndNeverGoesBack) {
  testing::TempDir dir;
  const std::string path = dir.Join("slave.rts");
  WriteAll(path, "100\n");
  RtsFile rts(path);
  ASSERT_TRUE(rts.Load().ok());
  EXPECT_EQ(rts.applied(), 100u);
  rts.MarkApplied(101);
  rts.MarkApplied(101);  // an original master may repeat a timestamp
  rts.MarkApplied(60);   // or go back with its clock
  EXPECT_EQ(rts.applied(), 101u);
  EXPECT_EQ(rts.unsaved(), 3u);
  ASSERT_TRUE(rts.Save().ok());
  EXPECT_EQ(ReadAll(path), "101\n");
}

TEST(RtsFileTest, SaveWritesTheOriginalsFormatOnlyWhenMoved) {
  testing::TempDir dir;
  const std::string path = dir.Join("slave.rts");
  RtsFile rts(path);
  ASSERT_TRUE(rts.Load().ok());
  rts.MarkApplied(7);
  rts.MarkApplied(1795251359321547);
  EXPECT_EQ(rts.unsaved(), 2u);
  ASSERT_TRUE(rts.Save().ok());
  EXPECT_EQ(rts.unsaved(), 0u);
  EXPECT_EQ(ReadAll(path), "1795251359321547\n");
  struct stat st;
  EXPECT_NE(stat((path + ".tmp").c_str(), &st), 0) << "the temporary file was renamed away";

  // Nothing new to save: the file is not touched.
  WriteAll(path, "5\n");
  ASSERT_TRUE(rts.Save().ok());
  EXPECT_EQ(ReadAll(path), "5\n");

  // A reload sees what was saved.
  RtsFile again(path);
  ASSERT_TRUE(again.Load().ok());
  EXPECT_EQ(again.applied(), 5u);
}

TEST(RtsFileTest, FailedSaveLeavesThePreviousPositionWhole) {
  testing::TempDir dir;
  const std::string path = dir.Join("slave.rts");
  RtsFile rts(path);
  ASSERT_TRUE(rts.Load().ok());
  rts.MarkApplied(1000);
  ASSERT_TRUE(rts.Save().ok());
  // The temporary file cannot be written: the save fails before any rename.
  ASSERT_EQ(mkdir((path + ".tmp").c_str(), 0755), 0);
  rts.MarkApplied(123456789);
  EXPECT_FALSE(rts.Save().ok());
  EXPECT_EQ(ReadAll(path), "1000\n");
  EXPECT_EQ(rts.unsaved(), 1u) << "kept for the next attempt";
  ASSERT_EQ(rmdir((path + ".tmp").c_str()), 0);
  ASSERT_TRUE(rts.Save().ok());
  EXPECT_EQ(ReadAll(path), "123456789\n");
}

TEST(RtsFileTest, ResetSavesAtOnce) {
  testing::TempDir dir;
  const std::string path = dir.Join("slave.rts");
  WriteAll(path, "900\n");
  RtsFile rts(path);
  ASSERT_TRUE(rts.Load().ok());
  ASSERT_TRUE(rts.Reset(50).ok());
  EXPECT_EQ(ReadAll(path), "50\n");
  EXPECT_EQ(rts.applied(), 50u);
}

TEST(RtsFileTest, AgainstAProcessCrashTheFileIsOverwrittenInPlace) {
  testing::TempDir dir;
  const std::string path = dir.Join("slave.rts");
  WriteAll(path, "123456789012345678\n");
  RtsFile rts(path, FileDurability::kProcessCrash);
  ASSERT_TRUE(rts.Load().ok());
  struct stat before;
  ASSERT_EQ(stat(path.c_str(), &before), 0);
  rts.MarkApplied(123456789012345679);
  ASSERT_TRUE(rts.Save().ok());
  EXPECT_EQ(ReadAll(path), "123456789012345679\n");
  rts.Reset(7);  // shorter: nothing of the longer text is left behind
  EXPECT_EQ(ReadAll(path), "7\n");
  struct stat after;
  ASSERT_EQ(stat(path.c_str(), &after), 0);
  EXPECT_EQ(after.st_ino, before.st_ino) << "the same file, not a replacement";
}

TEST(PendingNoteTest, RoundTripsAnyKey) {
  std::string key;
  for (int c = 0; c < 256; ++c) key.push_back(static_cast<char>(c));
  const PendingRecord note{.applied = 7, .ts = 9, .version_before = 8, .key = key};
  const std::string body = FormatPending(note);
  PendingRecord parsed;
  ASSERT_TRUE(ParsePending("tt-pending " + std::to_string(body.size()) + "\n" + body, &parsed));
  EXPECT_EQ(parsed.applied, 7u);
  EXPECT_EQ(parsed.ts, 9u);
  EXPECT_EQ(parsed.version_before, 8u);
  EXPECT_EQ(parsed.key, key);
}

TEST(PendingNoteTest, APartOfANoteIsNoNote) {
  const std::string body = FormatPending({.applied = 1, .ts = 2, .version_before = 0, .key = "k"});
  const std::string whole = "tt-pending " + std::to_string(body.size()) + "\n" + body;
  PendingRecord parsed;
  for (size_t cut = 0; cut < whole.size(); ++cut) {
    EXPECT_FALSE(ParsePending(whole.substr(0, cut), &parsed)) << cut;
  }
  EXPECT_FALSE(ParsePending("garbage", &parsed));
}

TEST(RtsFileTest, ANoteIsFoundAfterARestartUntilThePositionPassesIt) {
  testing::TempDir dir;
  const std::string path = dir.Join("slave.rts");
  {
    RtsFile rts(path);
    ASSERT_TRUE(rts.Load().ok());
    rts.MarkApplied(100);
    ASSERT_TRUE(rts.Save().ok());
    rts.MarkApplied(150);  // applied, not saved
    ASSERT_TRUE(rts.NotePending({.ts = 200, .version_before = 5, .key = "a much longer key"}).ok());
    // A shorter note over a longer one: the length says where it ends.
    ASSERT_TRUE(rts.NotePending({.ts = 201, .version_before = 6, .key = "k"}).ok());
  }
  RtsFile rts(path);
  ASSERT_TRUE(rts.Load().ok());
  EXPECT_EQ(rts.applied(), 100u);
  ASSERT_TRUE(rts.pending().has_value());
  EXPECT_EQ(rts.pending()->applied, 150u);
  EXPECT_EQ(rts.pending()->ts, 201u);
  EXPECT_EQ(rts.pending()->key, "k");
  // Reset (the settling, setmst) forgets it for good.
  ASSERT_TRUE(rts.Reset(201).ok());
  RtsFile again(path);
  ASSERT_TRUE(again.Load().ok());
  EXPECT_EQ(again.applied(), 201u);
  EXPECT_FALSE(again.pending().has_value());
}

TEST(RtsFileTest, BootstrapMarkerLastsUntilReset) {
  testing::TempDir dir;
  const std::string path = dir.Join("slave.rts");
  {
    RtsFile rts(path);
    ASSERT_TRUE(rts.Load().ok());
    ASSERT_TRUE(rts.MarkBootstrapping().ok());
  }
  RtsFile rts(path);
  ASSERT_TRUE(rts.Load().ok());
  EXPECT_TRUE(rts.bootstrapping());
  ASSERT_TRUE(rts.Reset(42).ok());
  RtsFile again(path);
  ASSERT_TRUE(again.Load().ok());
  EXPECT_FALSE(again.bootstrapping());
  EXPECT_EQ(again.applied(), 42u);
}

}  // namespace
}  // namespace tt
