// Interoperability with the original Tokyo Tyrant 1.1.41, its programs run
// side by side with ours on loopback: an original slave follows our master
// (writes of every kind and protocol, then a kill -9 of our master under
// load); our slave follows an original master exactly once through three
// kill -9s; an original and ours, each the other's master, converge with
// each write once in each update log; both ttulmgrs read both servers' logs
// alike and import them into identical files; the original tcrmgr gets the
// same answers from both servers.
//
// The original is not packaged by Debian: build it and point TT_ORIGINAL_BIN
// at the directory holding its ttserver, tcrmgr and ttulmgr, e.g.
//   TT_ORIGINAL_BIN=/path/to/tokyotyrant-1.1.41 ctest -R OriginalInterop
// Without it every test here skips. Convergence is waited for, never timed.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "client/remote_db.h"
#include "tests/integration/repl_support.h"
#include "tests/integration/server_process.h"
#include "tests/support/process.h"

namespace tt::testing {
namespace {

// The bytes of `value` as the servers store the results of addint and
// adddouble (native byte order).
template <typename T>
std::string Native(T value) {
  std::string bytes(sizeof value, '\0');
  std::memcpy(bytes.data(), &value, sizeof value);
  return bytes;
}

// Writes of every kind the binary protocol has, on keys starting with `p`,
// through one connection to the server on `port`.
void WriteEveryKind(int port, const std::string& p) {
  RemoteDB db;
  ASSERT_TRUE(db.Open("127.0.0.1", port, 10).ok());
  int32_t sum;
  double dsum;
  std::vector<std::string> result;
  EXPECT_TRUE(db.Put(p + "k", "v1").ok());
  EXPECT_FALSE(db.PutKeep(p + "k", "ignored").ok());
  EXPECT_TRUE(db.PutKeep(p + "kept", "new").ok());
  EXPECT_TRUE(db.PutCat(p + "k", "cat").ok());
  EXPECT_TRUE(db.PutShl(p + "shl", "abcdef", 4).ok());  // a new record keeps all of it
  EXPECT_TRUE(db.PutShl(p + "shl", "XY", 4).ok());
  EXPECT_TRUE(db.PutNr(p + "nr", "no reply").ok());
  EXPECT_TRUE(db.AddInt(p + "n", 5, &sum).ok());
  EXPECT_TRUE(db.AddInt(p + "n", 7, &sum).ok());
  EXPECT_TRUE(db.AddDouble(p + "d", 1.5, &dsum).ok());
  EXPECT_TRUE(db.Put(p + "gone", "x").ok());
  EXPECT_TRUE(db.Out(p + "gone").ok());
  EXPECT_TRUE(db.Misc("putlist", {p + "a", "1", p + "b", "2"}, 0, &result).ok());
  EXPECT_TRUE(db.Misc("outlist", {p + "b"}, 0, &result).ok());
}

// What WriteEveryKind(port, p) leaves in a database that was empty.
Contents EveryKindWritten(const std::string& p) {
  return {{p + "k", "v1cat"},
          {p + "kept", "new"},
          {p + "shl", "efXY"},
          {p + "nr", "no reply"},
          {p + "n", Native<int32_t>(12)},
          {p + "d", Native(1.5)},
          {p + "a", "1"}};
}

// "" when `ours` and `original` are the same text, else the first line in
// which they differ.
std::string FirstDifferentLine(const std::string& ours, const std::string& original) {
  std::istringstream a(ours), b(original);
  std::string line_a, line_b;
  for (int n = 1;; ++n) {
    const bool more_a = static_cast<bool>(std::getline(a, line_a));
    const bool more_b = static_cast<bool>(std::getline(b, line_b));
    if (!more_a && !more_b) return "";
    if (more_a != more_b || line_a != line_b) {
      return "line " + std::to_string(n) + ": ours \"" + line_a.substr(0, 100) +
             "\", the original's \"" + line_b.substr(0, 100) + "\"";
    }
  }
}

// Every file in `dir`, by name, with its bytes.
std::map<std::string, std::string> Files(const std::string& dir) {
  std::map<std::string, std::string> files;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    std::ifstream in(entry.path(), std::ios::binary);
    std::stringstream bytes;
    bytes << in.rdbuf();
    files[entry.path().filename().string()] = bytes.str();
  }
  return files;
}

class OriginalInteropTest : public ReplTest {
 protected:
  void SetUp() override {
    const char* bin = std::getenv("TT_ORIGINAL_BIN");
    if (bin == nullptr || *bin == '\0') {
      GTEST_SKIP() << "needs the original Tokyo Tyrant 1.1.41: run with TT_ORIGINAL_BIN set to "
                      "the directory holding its ttserver, tcrmgr and ttulmgr";
    }
    original_bin_ = bin;
    for (const char* program : {"ttserver", "tcrmgr", "ttulmgr"}) {
      ASSERT_EQ(access(Original(program).c_str(), X_OK), 0)
          << Original(program) << " is not an executable (TT_ORIGINAL_BIN)";
    }
  }

  // The path of the original's `program`.
  std::string Original(const std::string& program) const { return original_bin_ + "/" + program; }

  // An original ttserver on 127.0.0.1:port (a free port when 0) with an
  // update log and server id `sid`, following the master on `master_port`
  // when it is not 0; its files are named after `name` as StartServer names
  // ours, its database is a hash database (.tch).
  std::unique_ptr<ServerProcess> StartOriginal(const std::string& name, int sid, int master_port,
                                               int port = 0) {
    if (port == 0) port = FreePort();
    const std::string ulog = dir_.Join(name + "-ulog");
    mkdir(ulog.c_str(), 0755);  // the original does not make it (and logs nothing then)
    std::vector<std::string> argv = {
        Original("ttserver"),     "-host", "127.0.0.1", "-port", std::to_string(port), "-log",
        dir_.Join(name + ".log"), "-ulog", ulog,        "-sid",  std::to_string(sid)};
    if (master_port != 0) {
      argv.insert(argv.end(), {"-mhost", "127.0.0.1", "-mport", std::to_string(master_port), "-rts",
                               dir_.Join(name + ".rts")});
    }
    argv.push_back(dir_.Join(name + ".tch"));
    auto server = ServerProcess::StartProgram(argv, port);
    EXPECT_TRUE(server->started());
    return server;
  }

  // The original "a" (sid 1) and ours "b" (sid 2), each the other's master.
  void StartEachOthersMasters() {
    const int port_a = FreePort();
    int port_b = FreePort();
    while (port_b == port_a) port_b = FreePort();
    a_ = StartOriginal("a", 1, port_b, port_a);
    b_ = StartServer("b", 2, port_a, port_b);
  }

  // Waits until the servers on `port_a` and `port_b` hold the same keys and
  // values.
  void ExpectConverged(int port_a, int port_b) {
    std::string difference;
    EXPECT_TRUE(Eventually(30, [&] {
      difference = Difference(Dump(port_a), Dump(port_b));
      return difference.empty();
    })) << difference;
  }

  // The output of `ttulmgr` (ours or the original's) `export` with `options`
  // of the update log of server `name`, without the lines the original prints
  // for our checksum records ("(unknown)", command id B1), which ours leaves
  // out (ttulmgr(1)).
  std::string Export(const std::string& ttulmgr, const std::string& name,
                     const std::vector<std::string>& options = {}) {
    std::vector<std::string> argv = {ttulmgr, "export"};
    argv.insert(argv.end(), options.begin(), options.end());
    argv.push_back(dir_.Join(name + "-ulog"));
    std::string out, err;
    EXPECT_EQ(RunProgram(argv, &out, &err), 0) << ttulmgr << ": " << err;
    std::string kept;
    std::istringstream lines(out);
    for (std::string line; std::getline(lines, line);) {
      if (line.find("\t(unknown)\tC8 B1 ") == std::string::npos) kept += line + "\n";
    }
    return kept;
  }

  // How many records of each origin ("sid:mid") the update log of server
  // `name` holds, as the original ttulmgr exports them.
  std::map<std::string, int> LogOrigins(const std::string& name) {
    std::map<std::string, int> origins;
    std::istringstream lines(Export(Original("ttulmgr"), name));
    for (std::string line; std::getline(lines, line);) {
      const size_t from = line.find('\t') + 1;
      ++origins[line.substr(from, line.find('\t', from) - from)];
    }
    return origins;
  }

  // What the original tcrmgr prints for a fixed sequence of commands against
  // the server on `port`: each command's output and exit status, with list
  // output sorted and inform's `file size` lines left out (the storage
  // engines differ in key order and file size).
  std::string TcrmgrTranscript(int port) {
    static const char* const kCommands[] = {"put HOST k1 v1",
                                            "put -dk HOST k1 v2",
                                            "put -dc HOST k1 cat",
                                            "put -dai HOST n 3",
                                            "put -dad HOST d 2.25",
                                            "get HOST k1",
                                            "get -px HOST n",
                                            "get HOST nokey",
                                            "mget HOST k1 n nokey",
                                            "out HOST nokey",
                                            "list -pv -px HOST",
                                            "list -fm k HOST",
                                            "misc HOST putlist a 1 b 2",
                                            "misc HOST getlist a b zz",
                                            "misc HOST outlist a",
                                            "misc HOST nosuchfunc",
                                            "inform HOST",
                                            "ext HOST f k v",
                                            "sync HOST",
                                            "vanish HOST",
                                            "inform HOST"};
    std::string transcript;
    for (const char* command : kCommands) {
      std::vector<std::string> argv = {Original("tcrmgr")};
      std::istringstream words(command);
      for (std::string word; words >> word;) {
        argv.push_back(word == "HOST" ? "127.0.0.1" : word);
        if (argv.size() == 2) argv.insert(argv.end(), {"-port", std::to_string(port)});
      }
      std::string out, err;
      const int status = RunProgram(argv, &out, &err);
      std::vector<std::string> lines;
      std::istringstream output(out + err);
      for (std::string line; std::getline(output, line);) {
        if (!line.starts_with("file size:")) lines.push_back(line);
      }
      if (argv[1] == "list") std::sort(lines.begin(), lines.end());
      transcript += std::string("$ ") + command + "\n";
      for (const std::string& line : lines) transcript += line + "\n";
      transcript += "rc=" + std::to_string(status) + "\n";
    }
    return transcript;
  }

  std::string original_bin_;
  std::unique_ptr<ServerProcess> a_, b_;  // set by StartEachOthersMasters
};

TEST_F(OriginalInteropTest, OriginalSlaveFollowsOurMaster) {
  auto master = StartServer("ours", 1, 0);
  const int master_port = master->port();
  auto slave = StartOriginal("original", 2, master_port);
  WriteEveryKind(master_port, "");
  RawConnection memcached(master_port);
  ASSERT_TRUE(memcached.Send("set mc 42 0 5\r\nhello\r\n"));
  EXPECT_EQ(memcached.ReceiveUntil("\r\n"), "STORED\r\n");
  RawConnection http(master_port);
  ASSERT_TRUE(http.Send("PUT /h HTTP/1.1\r\nHost: x\r\nContent-Length: 7\r\n\r\nhttpval"));
  EXPECT_TRUE(http.ReceiveUntil("\r\n").starts_with("HTTP/1.1 201")) << "HTTP PUT not created";
  Contents expected = EveryKindWritten("");
  expected["mc"] = "hello";
  expected["h"] = "httpval";
  ExpectConverged(master_port, slave->port());
  EXPECT_EQ(Difference(expected, Dump(slave->port())), "");

  // kill -9 of our master under a load of addint (and put, putcat), and a
  // restart on the same port: the original slave reconnects and follows.
  LoadTally tally(3);
  {
    BackgroundLoad load(master_port, "w", 3, &tally);
    ASSERT_TRUE(Eventually(10, [&] { return tally.counter_acked > 200; }));
    master->Kill();
    master = StartServer("ours", 1, 0, master_port);
    const uint64_t acked = tally.counter_acked;
    ASSERT_TRUE(Eventually(10, [&] { return tally.counter_acked > acked + 200; }));
  }
  ExpectConverged(master_port, slave->port());
  const int64_t counter = AddIntValue(Dump(master_port)["w-counter"]);
  EXPECT_GT(counter, 200);
  EXPECT_EQ(AddIntValue(Dump(slave->port())["w-counter"]), counter);
}

TEST_F(OriginalInteropTest, OurSlaveFollowsAnOriginalMasterExactlyOnceThroughKill9) {
  // An original master logs commands (addint 1, putcat x): a record applied
  // twice would show in the counter or in a putcat key.
  auto master = StartOriginal("original", 9, 0);
  auto slave = StartServer("ours", 2, master->port());
  const int slave_port = slave->port();
  LoadTally tally(4);
  {
    BackgroundLoad load(master->port(), "w", 4, &tally);
    for (int kill = 0; kill < 3; ++kill) {
      // Kill the slave once it has applied more of the load since it started.
      const std::string rts = StatField(slave_port, "rts");
      ASSERT_TRUE(Eventually(10,
                             [&] {
                               const std::string now = StatField(slave_port, "rts");
                               return !now.empty() && now != rts;
                             }))
          << "the slave applies nothing (rts " << rts << ")";
      slave->Kill();
      slave = StartServer("ours", 2, master->port(), slave_port);
    }
    ASSERT_TRUE(Eventually(10, [&] { return tally.counter_acked > 1000; }));
  }
  EXPECT_EQ(tally.counter_unknown, 0u);
  ExpectConverged(master->port(), slave_port);
  Contents contents = Dump(slave_port);
  EXPECT_EQ(AddIntValue(contents["w-counter"]), static_cast<int64_t>(tally.counter_acked));
  for (int c = 0; c < 4; ++c) {
    EXPECT_EQ(contents["w" + std::to_string(c) + "-log"].size(), tally.log_acked[c]) << c;
  }
}

TEST_F(OriginalInteropTest, DualMasterWithAnOriginalConverges) {
  StartEachOthersMasters();
  std::atomic<bool> stop{false};
  uint64_t rounds_a = 0;
  std::thread on_a([&] { rounds_a = WriteLoad(a_->port(), "a", 1, &stop, 200); });
  const uint64_t rounds_b = WriteLoad(b_->port(), "b", 1, &stop, 200);
  on_a.join();
  ASSERT_EQ(rounds_a + rounds_b, 400u);
  ExpectConverged(a_->port(), b_->port());

  // Once the contents agree, a last write on each side: when both have
  // reached the other's log, each stream has carried everything logged
  // before them, so a record travelling back would be counted by now. Each
  // write is logged once by its own server (mid 0) and once by the other
  // (mid = the other's sid); three writes a round.
  RemoteDB on_a_db, on_b_db;
  ASSERT_TRUE(on_a_db.Open("127.0.0.1", a_->port(), 10).ok() && on_a_db.Put("a-last", "1").ok());
  ASSERT_TRUE(on_b_db.Open("127.0.0.1", b_->port(), 10).ok() && on_b_db.Put("b-last", "1").ok());
  const std::map<std::string, int> on_a_log = {{"1:0", 601}, {"2:2", 601}};
  const std::map<std::string, int> on_b_log = {{"2:0", 601}, {"1:1", 601}};
  EXPECT_TRUE(Eventually(15, [&] { return LogOrigins("a") == on_a_log; }))
      << ::testing::PrintToString(LogOrigins("a"));
  EXPECT_TRUE(Eventually(15, [&] { return LogOrigins("b") == on_b_log; }))
      << ::testing::PrintToString(LogOrigins("b"));
  ExpectConverged(a_->port(), b_->port());
}

TEST_F(OriginalInteropTest, UpdateLogsReadTheSameByBothTtulmgrs) {
  // Two logs with records of both origins: the original's holds commands,
  // ours effects.
  StartEachOthersMasters();
  WriteEveryKind(a_->port(), "a-");
  WriteEveryKind(b_->port(), "b-");
  ExpectConverged(a_->port(), b_->port());
  a_->Kill();
  b_->Kill();

  for (const std::string name : {"a", "b"}) {
    const std::string all = Export(Original("ttulmgr"), name);
    std::vector<std::string> timestamps;
    std::istringstream lines(all);
    for (std::string line; std::getline(lines, line);) {
      timestamps.push_back(line.substr(0, line.find('\t')));
    }
    ASSERT_GT(timestamps.size(), 10u) << name;
    for (const std::vector<std::string>& options : std::vector<std::vector<std::string>>{
             {}, {"-sid", "1"}, {"-sid", "2"}, {"-ts", timestamps[timestamps.size() / 2]}}) {
      EXPECT_EQ(FirstDifferentLine(Export(TtulmgrPath(), name, options),
                                   Export(Original("ttulmgr"), name, options)),
                "")
          << name << "'s log, export " << ::testing::PrintToString(options);
    }

    // export | import into fresh directories, by each program.
    const std::string ours = dir_.Join(name + "-imported-by-ours");
    const std::string original = dir_.Join(name + "-imported-by-the-original");
    for (const auto& [ttulmgr, dir] :
         {std::pair{TtulmgrPath(), ours}, std::pair{Original("ttulmgr"), original}}) {
      ASSERT_EQ(mkdir(dir.c_str(), 0755), 0) << dir;
      std::string err;
      EXPECT_EQ(RunProgram({ttulmgr, "import", dir}, nullptr, &err, all), 0) << err;
    }
    const auto ours_files = Files(ours);
    const auto original_files = Files(original);
    EXPECT_EQ(ours_files.size(), original_files.size()) << name;
    for (const auto& [file, bytes] : original_files) {
      EXPECT_TRUE(ours_files.count(file) != 0 && ours_files.at(file) == bytes)
          << name << "'s log imported: " << file << " differs";
    }
  }
}

TEST_F(OriginalInteropTest, OriginalTcrmgrSeesTheSameServer) {
  auto original = StartOriginal("original", 1, 0);
  auto ours = StartServer("ours", 1, 0);
  const std::string expected = TcrmgrTranscript(original->port());
  EXPECT_EQ(FirstDifferentLine(TcrmgrTranscript(ours->port()), expected), "");
}

}  // namespace
}  // namespace tt::testing
