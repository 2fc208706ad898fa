// tcrmgr and ttulmgr driving a real ttserver: every command through the
// original's command-line interface and output formats, and a log written by
// the server exported, imported and restored into another server.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <sstream>

#include "tests/integration/server_process.h"

namespace tt::testing {
namespace {

class ToolsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::filesystem::create_directory(dir_.Join("ulog"));
    server_ = std::make_unique<ServerProcess>(
        std::vector<std::string>{"-sid", "1", "-ulog", dir_.Join("ulog"), "-log",
                                 dir_.Join("log")},
        dir_.Join("casket.kct"));
    ASSERT_TRUE(server_->started());
  }

  // Runs tcrmgr SUBCOMMAND -port P ARGS... against the server; returns stdout.
  std::string Tcrmgr(const std::string& sub, std::vector<std::string> args, int* status = nullptr,
                     const std::string& input = "", int port = 0) {
    std::vector<std::string> argv = {TcrmgrPath(), sub, "-port",
                                     std::to_string(port != 0 ? port : server_->port())};
    argv.insert(argv.end(), args.begin(), args.end());
    std::string out, err;
    int rc = RunProgram(argv, &out, &err, input);
    if (status != nullptr) {
      *status = rc;
    } else {
      EXPECT_EQ(rc, 0) << "tcrmgr " << sub << ": " << err;
    }
    return out;
  }

  TempDir dir_;
  std::unique_ptr<ServerProcess> server_;
};

TEST_F(ToolsTest, PutGetOutAndTheirVariants) {
  Tcrmgr("put", {"127.0.0.1", "k", "v1"});
  EXPECT_EQ(Tcrmgr("get", {"127.0.0.1", "k"}), "v1\n");
  int status;
  Tcrmgr("put", {"-dk", "127.0.0.1", "k", "v2"}, &status);
  EXPECT_EQ(status, 1);  // putkeep on an existing key
  Tcrmgr("put", {"-dc", "127.0.0.1", "k", "+"});
  EXPECT_EQ(Tcrmgr("get", {"127.0.0.1", "k"}), "v1+\n");
  EXPECT_EQ(Tcrmgr("get", {"-px", "127.0.0.1", "k"}), "76 31 2B\n");
  EXPECT_EQ(Tcrmgr("put", {"-dai", "127.0.0.1", "n", "42"}), "42\n");
  EXPECT_EQ(Tcrmgr("put", {"-dai", "127.0.0.1", "n", "-2"}), "40\n");
  EXPECT_EQ(Tcrmgr("put", {"-dad", "127.0.0.1", "d", "3.75"}), "3.750000\n");
  Tcrmgr("put", {"-ds", "3", "127.0.0.1", "s", "abcdef"});
  Tcrmgr("put", {"-ds", "3", "127.0.0.1", "s", "XY"});
  EXPECT_EQ(Tcrmgr("get", {"127.0.0.1", "s"}), "fXY\n");
  Tcrmgr("out", {"127.0.0.1", "k"});
  Tcrmgr("get", {"127.0.0.1", "k"}, &status);
  EXPECT_EQ(status, 1);
  Tcrmgr("out", {"127.0.0.1", "k"}, &status);
  EXPECT_EQ(status, 1);
}

TEST_F(ToolsTest, ListMgetAndInform) {
  for (const char* k : {"a1", "a2", "b1"}) Tcrmgr("put", {"127.0.0.1", k, std::string("v") + k});
  EXPECT_EQ(Tcrmgr("list", {"127.0.0.1"}), "a1\na2\nb1\n");  // tree database: key order
  EXPECT_EQ(Tcrmgr("list", {"-pv", "127.0.0.1"}), "a1\tva1\na2\tva2\nb1\tvb1\n");
  EXPECT_EQ(Tcrmgr("list", {"-fm", "a", "127.0.0.1"}), "a1\na2\n");
  EXPECT_EQ(Tcrmgr("list", {"-m", "1", "127.0.0.1"}), "a1\n");
  EXPECT_EQ(Tcrmgr("mget", {"127.0.0.1", "a1", "zz", "b1"}), "a1\tva1\nb1\tvb1\n");
  std::string inform = Tcrmgr("inform", {"127.0.0.1"});
  EXPECT_NE(inform.find("record number: 3\n"), std::string::npos) << inform;
  EXPECT_NE(inform.find("file size: "), std::string::npos);
  std::string stat = Tcrmgr("inform", {"-st", "127.0.0.1"});
  EXPECT_NE(stat.find("type\tB+ tree\n"), std::string::npos) << stat;
  EXPECT_NE(stat.find("cnt_put\t3\n"), std::string::npos) << stat;
}

TEST_F(ToolsTest, MiscImporttsvAndManagementCommands) {
  EXPECT_EQ(Tcrmgr("misc", {"127.0.0.1", "putlist", "p1", "v1", "p2", "v2"}), "");
  EXPECT_EQ(Tcrmgr("misc", {"127.0.0.1", "getlist", "p1", "p2"}), "p1\nv1\np2\nv2\n");
  Tcrmgr("importtsv", {"127.0.0.1"}, nullptr, "t1\tone\nt2\ttwo\n");
  EXPECT_EQ(Tcrmgr("get", {"127.0.0.1", "t2"}), "two\n");
  Tcrmgr("sync", {"127.0.0.1"});
  Tcrmgr("optimize", {"127.0.0.1"});
  Tcrmgr("copy", {"127.0.0.1", dir_.Join("backup.kct")});
  EXPECT_TRUE(std::filesystem::exists(dir_.Join("backup.kct")));
  Tcrmgr("setmst", {"-mport", "1999", "127.0.0.1", "127.0.0.1"});
  EXPECT_NE(Tcrmgr("inform", {"-st", "127.0.0.1"}).find("mport\t1999\n"), std::string::npos);
  int status;
  Tcrmgr("ext", {"127.0.0.1", "func", "k", "v"}, &status);
  EXPECT_EQ(status, 1);  // no scripting
  Tcrmgr("vanish", {"127.0.0.1"});
  EXPECT_NE(Tcrmgr("inform", {"127.0.0.1"}).find("record number: 0\n"), std::string::npos);
}

TEST_F(ToolsTest, ExportImportRestoreReproducesTheData) {
  for (int i = 0; i < 50; ++i) {
    Tcrmgr("put", {"127.0.0.1", "key" + std::to_string(i), "value" + std::to_string(i)});
  }
  Tcrmgr("put", {"-dai", "127.0.0.1", "counter", "7"});
  Tcrmgr("out", {"127.0.0.1", "key3"});
  std::string exported;
  ASSERT_EQ(RunProgram({TtulmgrPath(), "export", dir_.Join("ulog")}, &exported), 0);
  EXPECT_EQ(std::count(exported.begin(), exported.end(), '\n'), 52);
  std::filesystem::create_directory(dir_.Join("imported"));
  std::string out;
  ASSERT_EQ(RunProgram({TtulmgrPath(), "import", dir_.Join("imported")}, &out, nullptr, exported), 0);

  TempDir other_dir;
  ServerProcess other({"-log", other_dir.Join("log")}, other_dir.Join("copy.kct"));
  ASSERT_TRUE(other.started());
  Tcrmgr("restore", {"127.0.0.1", dir_.Join("imported")}, nullptr, "", other.port());
  EXPECT_EQ(Tcrmgr("list", {"-pv", "127.0.0.1"}, nullptr, "", other.port()),
            Tcrmgr("list", {"-pv", "127.0.0.1"}));
}

TEST_F(ToolsTest, ConnectionRefusedSaysSo) {
  int status;
  std::string err;
  RunProgram({TcrmgrPath(), "get", "-port", std::to_string(FreePort()), "127.0.0.1", "k"}, nullptr,
             &err);
  Tcrmgr("get", {"127.0.0.1", "k"}, &status, "", FreePort());
  EXPECT_EQ(status, 1);
  EXPECT_NE(err.find("tcrmgr: error"), std::string::npos) << err;
}

}  // namespace
}  // namespace tt::testing
