// tcrmgr: its argument grammar (the original's single-dash options, options
// only before the host), data formatting, and the binary's behaviour where no
// real server is needed: refused connections, usage errors, and a few
// subcommands against a scripted peer replaying captured replies.
#include <gtest/gtest.h>
#include <sys/socket.h>

#include "client/requests.h"
#include "client/tcrmgr_args.h"
#include "tests/client/test_support.h"
#include "ulog/export_line.h"
#include "ulog/record.h"

namespace tt {
namespace {

using testing::Bytes;
using testing::FakeServer;
using testing::ReadExactly;
using testing::RunProgram;
using testing::WriteAll;

Status Parse(std::vector<std::string> words, tcrmgr::Args* args) {
  std::vector<const char*> argv = {"tcrmgr"};
  for (const std::string& w : words) argv.push_back(w.c_str());
  return tcrmgr::ParseArgs(static_cast<int>(argv.size()), argv.data(), args);
}

TEST(TcrmgrArgsTest, AcceptsSingleDashSpellingsOfTheOriginal) {
  tcrmgr::Args a;
  ASSERT_TRUE(Parse({"put", "-port", "1978", "-dai", "localhost", "k", "5"}, &a).ok());
  EXPECT_EQ(a.command, "put");
  EXPECT_EQ(a.Value("port"), "1978");
  EXPECT_TRUE(a.Has("dai"));
  EXPECT_EQ(a.positional, (std::vector<std::string>{"localhost", "k", "5"}));
}

TEST(TcrmgrArgsTest, AcceptsDoubleDashSpellings) {
  tcrmgr::Args a;
  ASSERT_TRUE(Parse({"get", "--port", "2000", "--px", "h", "k"}, &a).ok());
  EXPECT_EQ(a.Value("port"), "2000");
  EXPECT_TRUE(a.Has("px"));
}

TEST(TcrmgrArgsTest, DashArgumentsAfterTheHostAreData) {
  tcrmgr::Args a;
  ASSERT_TRUE(Parse({"put", "-dai", "h", "-k", "-5"}, &a).ok());
  EXPECT_EQ(a.positional, (std::vector<std::string>{"h", "-k", "-5"}));
}

TEST(TcrmgrArgsTest, RejectsUnknownOptionsMissingValuesAndWrongArity) {
  tcrmgr::Args a;
  EXPECT_FALSE(Parse({"get", "-nosuch", "h", "k"}, &a).ok());
  EXPECT_FALSE(Parse({"get", "h"}, &a).ok());
  EXPECT_FALSE(Parse({"get", "h", "k", "extra"}, &a).ok());
  EXPECT_FALSE(Parse({"put", "-ds"}, &a).ok());
  EXPECT_FALSE(Parse({"frobnicate", "h"}, &a).ok());
  EXPECT_FALSE(Parse({}, &a).ok());
  // An option of another subcommand is unknown here.
  EXPECT_FALSE(Parse({"get", "-dk", "h", "k"}, &a).ok());
}

TEST(TcrmgrArgsTest, HttpCollectsHeaderPairs) {
  tcrmgr::Args a;
  ASSERT_TRUE(Parse({"http", "-ah", "X-A", "1", "-ah", "X-B", "2", "-ih", "http://h/"}, &a).ok());
  ASSERT_EQ(a.pairs.size(), 2u);
  EXPECT_EQ(a.pairs[1], (std::vector<std::string>{"X-B", "2"}));
  EXPECT_TRUE(a.Has("ih"));
}

TEST(TcrmgrArgsTest, VersionFlagIsASubcommand) {
  tcrmgr::Args a;
  ASSERT_TRUE(Parse({"--version"}, &a).ok());
  EXPECT_EQ(a.command, "version");
}

TEST(TcrmgrArgsTest, HostExpressionCarriesPortAndTimeout) {
  tcrmgr::Endpoint e = tcrmgr::ParseHostExpr("127.0.0.1:2001#timeout=1.5", 1978, 0);
  EXPECT_EQ(e.host, "127.0.0.1");
  EXPECT_EQ(e.port, 2001);
  EXPECT_DOUBLE_EQ(e.timeout_s, 1.5);
  e = tcrmgr::ParseHostExpr("localhost#tout=3", 1999, 0);
  EXPECT_EQ(e.host, "localhost");
  EXPECT_EQ(e.port, 1999);
  EXPECT_DOUBLE_EQ(e.timeout_s, 3);
}

TEST(TcrmgrArgsTest, SeparatorEscapes) {
  EXPECT_EQ(tcrmgr::ParseSeparator("\\t"), '\t');
  EXPECT_EQ(tcrmgr::ParseSeparator("\\n"), '\n');
  EXPECT_EQ(tcrmgr::ParseSeparator("|"), '|');
  EXPECT_EQ(tcrmgr::ParseSeparator("\\x01"), '\x01');
  EXPECT_EQ(tcrmgr::ParseSeparator(""), std::nullopt);
}

TEST(TcrmgrArgsTest, ArgumentsDecodeWithHexOrSeparator) {
  EXPECT_EQ(tcrmgr::DecodeArgument("66 6f6F", true, std::nullopt), "foo");
  EXPECT_EQ(tcrmgr::DecodeArgument("zz", true, std::nullopt), std::nullopt);
  EXPECT_EQ(tcrmgr::DecodeArgument("a|b", false, '|'), std::string("a\0b", 3));
  EXPECT_EQ(tcrmgr::DecodeArgument("a|b", false, std::nullopt), "a|b");
}

TEST(TcrmgrArgsTest, DataPrintsAsHexOrWithSeparator) {
  EXPECT_EQ(tcrmgr::FormatData(std::string("a\0b", 3), true, std::nullopt), "61 00 62");
  EXPECT_EQ(tcrmgr::FormatData(std::string("a\0b", 3), false, ','), "a,b");
  EXPECT_EQ(tcrmgr::FormatData("ab", false, std::nullopt), "ab");
}

// --- the binary ----------------------------------------------------------

int Tcrmgr(const std::vector<std::string>& args, std::string* out, std::string* err,
           const std::string& in = "") {
  std::vector<std::string> argv = {TCRMGR_PATH};
  argv.insert(argv.end(), args.begin(), args.end());
  return RunProgram(argv, out, err, in);
}

TEST(TcrmgrBinaryTest, RefusedConnectionIsErrorWithExitStatus1) {
  int port = testing::FreePort();
  std::string out, err;
  EXPECT_EQ(Tcrmgr({"get", "-port", std::to_string(port), "127.0.0.1", "k"}, &out, &err), 1);
  EXPECT_EQ(out, "");
  EXPECT_EQ(err, "tcrmgr: error: 3: connection to 127.0.0.1:" + std::to_string(port) +
                     " refused; is ttserver running?\n");
  // The host:port expression form reaches the same port.
  EXPECT_EQ(Tcrmgr({"inform", "127.0.0.1:" + std::to_string(port)}, &out, &err), 1);
  EXPECT_NE(err.find("127.0.0.1:" + std::to_string(port) + " refused"), std::string::npos);
}

TEST(TcrmgrBinaryTest, BadArgumentsPrintUsageAndExit1) {
  std::string out, err;
  EXPECT_EQ(Tcrmgr({}, &out, &err), 1);
  EXPECT_NE(err.find("usage:"), std::string::npos);
  EXPECT_EQ(Tcrmgr({"get", "-bogus", "127.0.0.1", "k"}, &out, &err), 1);
  EXPECT_NE(err.find("unknown option '-bogus'"), std::string::npos);
  EXPECT_EQ(Tcrmgr({"put", "127.0.0.1", "k"}, &out, &err), 1);
  EXPECT_NE(err.find("usage:"), std::string::npos);
  EXPECT_EQ(out, "");
}

TEST(TcrmgrBinaryTest, VersionPrintsBanner) {
  std::string out, err;
  EXPECT_EQ(Tcrmgr({"--version"}, &out, &err), 0);
  EXPECT_EQ(out.rfind("Tokyo Tyrant version 1.1.41 (324:0.91)", 0), 0u) << out;
}

// Runs tcrmgr against a peer that expects `request` and answers `reply`,
// then waits for tcrmgr to close (or, with `hang_up`, closes first).
int AgainstPeer(const std::string& request, const std::string& reply, std::vector<std::string> args,
                std::string* out, std::string* err, bool hang_up = false) {
  std::string got;
  int rc;
  {
    FakeServer server(1, [&](int, int fd) {
      got = ReadExactly(fd, request.size());
      WriteAll(fd, reply);
      if (hang_up) return;
      char c;
      recv(fd, &c, 1, 0);
    });
    args.insert(args.begin() + 1, {"-port", std::to_string(server.port())});
    rc = Tcrmgr(args, out, err);
  }
  EXPECT_EQ(got, request);
  return rc;
}

TEST(TcrmgrBinaryTest, GetPrintsValueAndMissIsError7) {
  std::string out, err;
  EXPECT_EQ(AgainstPeer(Bytes("C8 30 00 00 00 03 66 6F 6F"), Bytes("00 00 00 00 03 62 61 72"),
                        {"get", "127.0.0.1", "foo"}, &out, &err),
            0);
  EXPECT_EQ(out, "bar\n");
  EXPECT_EQ(AgainstPeer(Bytes("C8 30 00 00 00 04 6E 6F 70 65"), Bytes("01"),
                        {"get", "127.0.0.1", "nope"}, &out, &err),
            1);
  EXPECT_EQ(err, "tcrmgr: error: 7: no record found\n");
  EXPECT_EQ(AgainstPeer(Bytes("C8 30 00 00 00 03 66 6F 6F"), Bytes("00 00 00 00 03 62 61 72"),
                        {"get", "-px", "-pz", "127.0.0.1", "foo"}, &out, &err),
            0);
  EXPECT_EQ(out, "62 61 72");
}

TEST(TcrmgrBinaryTest, PutAddIntPrintsSum) {
  std::string out, err;
  EXPECT_EQ(AgainstPeer(Bytes("C8 60 00 00 00 07 FF FF FF FE 63 6F 75 6E 74 65 72"),
                        Bytes("00 00 00 00 28"), {"put", "-dai", "127.0.0.1", "counter", "-2"},
                        &out, &err),
            0);
  EXPECT_EQ(out, "40\n");
  EXPECT_EQ(
      AgainstPeer(Bytes("C8 61 00 00 00 01 00 00 00 00 00 00 00 03 00 00 00 AE 9F 7B CC 00 64"),
                  Bytes("00 00 00 00 00 00 00 00 03 00 00 00 AE 9F 7B CC 00"),
                  {"put", "-dad", "127.0.0.1", "d", "3.75"}, &out, &err),
      0);
  EXPECT_EQ(out, "3.750000\n");
}

TEST(TcrmgrBinaryTest, PutKeepOnExistingKeyIsError6) {
  std::string out, err;
  EXPECT_EQ(AgainstPeer(requests::KeyValue(kCmdPutKeep, "k", "v"), Bytes("01"),
                        {"put", "-dk", "127.0.0.1", "k", "v"}, &out, &err),
            1);
  EXPECT_EQ(err, "tcrmgr: error: 6: existing record\n");
}

TEST(TcrmgrBinaryTest, MgetPrintsTabSeparatedPairs) {
  std::string out, err;
  EXPECT_EQ(
      AgainstPeer(requests::MGet({"foo", "nope", "counter"}),
                  Bytes("00 00 00 00 02 00 00 00 03 00 00 00 03 66 6F 6F 62 61 72 00 00 00 07 00 "
                        "00 00 04 63 6F 75 6E 74 65 72 28 00 00 00"),
                  {"mget", "-px", "127.0.0.1", "foo", "nope", "counter"}, &out, &err),
      0);
  EXPECT_EQ(out, "66 6F 6F\t62 61 72\n63 6F 75 6E 74 65 72\t28 00 00 00\n");
}

TEST(TcrmgrBinaryTest, InformPrintsRecordNumberAndFileSize) {
  std::string out, err;
  std::string got;
  int rc;
  {
    FakeServer server(1, [&](int, int fd) {
      got = ReadExactly(fd, 2);
      WriteAll(fd, Bytes("00 0000000000000003"));
      got += ReadExactly(fd, 2);
      WriteAll(fd, Bytes("00 0000000000001000"));
      char c;
      recv(fd, &c, 1, 0);
    });
    rc = Tcrmgr({"inform", "-port", std::to_string(server.port()), "127.0.0.1"}, &out, &err);
  }
  EXPECT_EQ(rc, 0) << err;
  EXPECT_EQ(got, Bytes("C8 80 C8 81"));
  EXPECT_EQ(out, "record number: 3\nfile size: 4096\n");
}

TEST(TcrmgrBinaryTest, MiscPrintsOneElementPerLine) {
  std::string out, err;
  EXPECT_EQ(AgainstPeer(requests::Misc("getlist", {"p1"}, 1),
                        Bytes("00 00000002 00000002 7031 00000002 7631"),
                        {"misc", "-mnu", "127.0.0.1", "getlist", "p1"}, &out, &err),
            0);
  EXPECT_EQ(out, "p1\nv1\n");
}

TEST(TcrmgrBinaryTest, ImportTsvPutsEachLineAndLowerCasesKeys) {
  const std::string first = requests::KeyValue(kCmdPut, "alpha", "1");
  const std::string second = requests::KeyValue(kCmdPut, "beta", std::string("x\0y", 3));
  std::string got;
  std::string out, err;
  int rc;
  {
    FakeServer server(1, [&](int, int fd) {
      got = ReadExactly(fd, first.size());
      WriteAll(fd, Bytes("00"));
      got += ReadExactly(fd, second.size());
      WriteAll(fd, Bytes("00"));
      char c;
      recv(fd, &c, 1, 0);
    });
    rc = Tcrmgr(
        {"importtsv", "-sc", "-sep", "|", "-port", std::to_string(server.port()), "127.0.0.1"},
        &out, &err, "ALPHA\t1\nno tab here\nBeta\tx|y\r\n");
  }
  EXPECT_EQ(rc, 0) << err;
  EXPECT_EQ(got, first + second);
  EXPECT_EQ(out, " (00000002)\n");
}

TEST(TcrmgrBinaryTest, ReplPrintsExportLinesWithMasterId) {
  UlogRecord r{1795252109520066, 7, 0,
               Bytes("C8 10 00 00 00 03 00 00 00 03 66 6F 6F 62 61 72 00")};
  std::string wire;
  EncodeWireRecord(r, &wire);
  std::string out, err;
  // The peer ends the stream after one record, so tcrmgr exits with an error.
  EXPECT_EQ(AgainstPeer(requests::Repl(5, 9), Bytes("00 00 00 02 CA") + wire,
                        {"repl", "-ts", "5", "-sid", "9", "-ph", "127.0.0.1"}, &out, &err, true),
            1);
  r.mid = 2;
  EXPECT_EQ(out, FormatExportLine(r));
  EXPECT_EQ(out.substr(0, 22), "1795252109520066\t7:2\tp");
}

TEST(TcrmgrBinaryTest, ReplWithoutPhPrintsFileRecords) {
  UlogRecord r{1795252109520066, 7, 0,
               Bytes("C8 10 00 00 00 03 00 00 00 03 66 6F 6F 62 61 72 00")};
  std::string wire;
  EncodeWireRecord(r, &wire);
  std::string out, err;
  EXPECT_EQ(AgainstPeer(requests::Repl(1, 2147483647), Bytes("00 00 00 02") + wire,
                        {"repl", "127.0.0.1"}, &out, &err, true),
            1);
  // The file form with the master's id in the mid field.
  r.mid = 2;
  std::string file_record;
  EncodeFileRecord(r, &file_record);
  EXPECT_EQ(out, file_record);
}

TEST(TcrmgrBinaryTest, HttpGetPrintsBodyAndHeaders) {
  std::string request;
  std::string out, err;
  int rc;
  {
    FakeServer server(1, [&](int, int fd) {
      char buf[4096];
      while (request.find("\r\n\r\n") == std::string::npos) {
        ssize_t n = recv(fd, buf, sizeof buf, 0);
        if (n <= 0) break;
        request.append(buf, static_cast<size_t>(n));
      }
      WriteAll(fd, "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nX-Y: z\r\n\r\nhello");
    });
    rc = Tcrmgr({"http", "-ah", "X-Test", "1", "-ih",
                 "http://127.0.0.1:" + std::to_string(server.port()) + "/foo"},
                &out, &err);
  }
  EXPECT_EQ(rc, 0) << err;
  EXPECT_EQ(request.rfind("GET /foo HTTP/1.1\r\n", 0), 0u) << request;
  EXPECT_NE(request.find("X-Test: 1\r\n"), std::string::npos);
  EXPECT_EQ(out, "HTTP/1.1 200 OK\nContent-Length: 5\nX-Y: z\n\nhello");
}

}  // namespace
}  // namespace tt
