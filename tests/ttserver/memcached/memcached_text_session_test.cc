// MemcachedTextSession over a real Engine (session_fixture.h). Expected bytes
// are those memcached 1.6.18 sends for the same requests, except where the
// test says otherwise (CAS values are timestamps here; incr does not pad).
#include "ttserver/memcached/memcached_text_session.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstring>
#include <ctime>
#include <random>

#include "common/commands.h"
#include "tests/ttserver/session_fixture.h"
#include "ttserver/memcached/memcached_text_parser.h"

namespace tt {
namespace {

using ::testing::HasSubstr;
using ::testing::MatchesRegex;
using ::testing::StartsWith;
using Result = ProtocolSession::Result;

class MemcachedTextTest : public testing::SessionFixture {
 protected:
  void SetUp() override {
    SessionFixture::SetUp();
    session_ = std::make_unique<MemcachedTextSession>(&context_, -1);
  }

  // Sends `in` whole on this test's connection; returns the replies.
  std::string Send(std::string_view in, Result* result = nullptr) {
    return Feed(*session_, in, result);
  }

  // The CAS unique `gets` reports for `key` (0 if absent).
  uint64_t CasOf(const std::string& key) {
    std::string reply = Send("gets " + key + "\r\n");
    if (reply == "END\r\n") return 0;
    std::string line = reply.substr(0, reply.find("\r\n"));
    return std::stoull(line.substr(line.rfind(' ') + 1));
  }

  // The item as the memcached layer holds it.
  mc::Item ItemOf(std::string_view key) {
    mc::Item item;
    EXPECT_EQ(mc::Get(context_, key, &item), mc::Result::kStored) << key;
    return item;
  }

  std::unique_ptr<MemcachedTextSession> session_;
};

// The VALUE lines of `count` hits of `key`, an item of flags 0 holding `value`.
std::string ManyValues(std::string_view key, const std::string& value, int count) {
  std::string one = "VALUE " + std::string(key) + " 0 " + std::to_string(value.size()) + "\r\n";
  one += value + "\r\n";
  std::string all;
  for (int i = 0; i < count; ++i) all += one;
  return all;
}

// ---- storage and retrieval ----

TEST_F(MemcachedTextTest, SetThenGetReturnsFlagsAndValue) {
  EXPECT_EQ(Send("set a 42 0 5\r\nhello\r\n"), "STORED\r\n");
  EXPECT_EQ(Send("get a\r\n"), "VALUE a 42 5\r\nhello\r\nEND\r\n");
  EXPECT_EQ(Send("set b 4294967295 0 0\r\n\r\nget b a nope b\r\n"),
            "STORED\r\nVALUE b 4294967295 0\r\n\r\nVALUE a 42 5\r\nhello\r\nVALUE b 4294967295 "
            "0\r\n\r\nEND\r\n");
}

TEST_F(MemcachedTextTest, ValueMayHoldAnyByte) {
  const std::string value("a\r\nb\0c", 6);
  EXPECT_EQ(Send("set bin 0 0 6\r\n" + value + "\r\n"), "STORED\r\n");
  EXPECT_EQ(Send("get bin\r\n"), "VALUE bin 0 6\r\n" + value + "\r\nEND\r\n");
}

TEST_F(MemcachedTextTest, AddReplaceAppendPrepend) {
  EXPECT_EQ(Send("add k 1 0 1\r\nb\r\nadd k 0 0 1\r\nx\r\n"), "STORED\r\nNOT_STORED\r\n");
  EXPECT_EQ(Send("replace nope 0 0 1\r\nx\r\nreplace k 2 0 1\r\nc\r\n"),
            "NOT_STORED\r\nSTORED\r\n");
  EXPECT_EQ(Send("append k 9 0 2\r\nde\r\nprepend k 9 0 2\r\nab\r\n"), "STORED\r\nSTORED\r\n");
  // append and prepend keep the item's flags.
  EXPECT_EQ(Send("get k\r\n"), "VALUE k 2 5\r\nabcde\r\nEND\r\n");
  EXPECT_EQ(Send("append nope 0 0 1\r\nx\r\nprepend nope 0 0 1\r\nx\r\n"),
            "NOT_STORED\r\nNOT_STORED\r\n");
}

TEST_F(MemcachedTextTest, GetsReturnsTheCasThatCasAccepts) {
  Send("set c 0 0 1\r\na\r\n");
  const uint64_t cas = CasOf("c");
  ASSERT_NE(cas, 0u);
  EXPECT_EQ(Send("gets c\r\n"), "VALUE c 0 1 " + std::to_string(cas) + "\r\na\r\nEND\r\n");
  EXPECT_EQ(Send("cas c 7 0 1 " + std::to_string(cas + 1) + "\r\nb\r\n"), "EXISTS\r\n");
  EXPECT_EQ(Send("cas c 7 0 1 " + std::to_string(cas) + "\r\nb\r\n"), "STORED\r\n");
  EXPECT_EQ(Send("cas c 7 0 1 " + std::to_string(cas) + "\r\nz\r\n"), "EXISTS\r\n");
  EXPECT_EQ(Send("cas nope 0 0 1 1\r\nb\r\n"), "NOT_FOUND\r\n");
  EXPECT_EQ(Send("get c\r\n"), "VALUE c 7 1\r\nb\r\nEND\r\n");
  EXPECT_NE(CasOf("c"), cas);
}

TEST_F(MemcachedTextTest, NegativeOrPastExptimeStoresAnExpiredItem) {
  EXPECT_EQ(Send("set a 0 -1 1\r\nx\r\nget a\r\n"), "STORED\r\nEND\r\n");
  // More than 30 days is a UNIX time: 2001 is long past.
  EXPECT_EQ(Send("set b 0 1000000000 1\r\nx\r\nget b\r\n"), "STORED\r\nEND\r\n");
  const std::string future = std::to_string(time(nullptr) + 3600);
  EXPECT_EQ(Send("set c 0 " + future + " 1\r\nx\r\nget c\r\n"),
            "STORED\r\nVALUE c 0 1\r\nx\r\nEND\r\n");
  EXPECT_EQ(Send("set d 0 100 1\r\nx\r\nget d\r\n"), "STORED\r\nVALUE d 0 1\r\nx\r\nEND\r\n");
  EXPECT_NEAR(static_cast<double>(ItemOf("d").meta.expires_at),
              static_cast<double>(time(nullptr) + 100), 2);
  EXPECT_EQ(ItemOf("c").meta.expires_at, time(nullptr) + 3600);
}

TEST_F(MemcachedTextTest, TouchAndGatSetTheExpiry) {
  Send("set t 5 0 1\r\na\r\n");
  EXPECT_EQ(Send("touch t 100\r\ntouch nope 1\r\n"), "TOUCHED\r\nNOT_FOUND\r\n");
  EXPECT_NEAR(static_cast<double>(ItemOf("t").meta.expires_at),
              static_cast<double>(time(nullptr) + 100), 2);
  EXPECT_EQ(Send("gat 0 t nope t\r\n"), "VALUE t 5 1\r\na\r\nVALUE t 5 1\r\na\r\nEND\r\n");
  EXPECT_EQ(ItemOf("t").meta.expires_at, 0);
  const uint64_t cas = CasOf("t");
  EXPECT_EQ(Send("gats 0 t\r\n"), "VALUE t 5 1 " + std::to_string(cas) + "\r\na\r\nEND\r\n");
  EXPECT_EQ(Send("gat -1 t\r\nget t\r\n"), "VALUE t 5 1\r\na\r\nEND\r\nEND\r\n");
  EXPECT_EQ(Send("gat 100\r\n"), "END\r\n");
  EXPECT_EQ(Send("gat abc t\r\ntouch t abc\r\n"),
            "CLIENT_ERROR invalid exptime argument\r\nCLIENT_ERROR invalid exptime argument\r\n");
}

TEST_F(MemcachedTextTest, IncrDecr) {
  Send("set n 3 0 2\r\n10\r\n");
  EXPECT_EQ(Send("incr n 5\r\ndecr n 100\r\nincr n 18446744073709551615\r\nincr n 2\r\n"),
            "15\r\n0\r\n18446744073709551615\r\n1\r\n");
  // The plain decimal is stored (memcached pads a shorter number with spaces).
  EXPECT_EQ(Send("get n\r\n"), "VALUE n 3 1\r\n1\r\nEND\r\n");
  EXPECT_EQ(Send("incr nope 1\r\ndecr nope 1\r\n"), "NOT_FOUND\r\nNOT_FOUND\r\n");
  EXPECT_EQ(Send("incr n -1\r\nincr n abc\r\nincr n 18446744073709551616\r\n"),
            "CLIENT_ERROR invalid numeric delta argument\r\n"
            "CLIENT_ERROR invalid numeric delta argument\r\n"
            "CLIENT_ERROR invalid numeric delta argument\r\n");
  Send("set s 0 0 1\r\na\r\n");
  EXPECT_EQ(Send("incr s 1\r\n"),
            "CLIENT_ERROR cannot increment or decrement non-numeric value\r\n");
}

TEST_F(MemcachedTextTest, Delete) {
  Send("set a 0 0 1\r\na\r\nset b 0 0 1\r\nb\r\n");
  EXPECT_EQ(Send("delete a\r\ndelete a\r\ndelete b 0\r\n"), "DELETED\r\nNOT_FOUND\r\nDELETED\r\n");
  const std::string usage =
      "CLIENT_ERROR bad command line format.  Usage: delete <key> [noreply]\r\n";
  EXPECT_EQ(Send("delete a 5\r\ndelete a 0 0\r\ndelete a x\r\n"), usage + usage + usage);
  EXPECT_EQ(Send("delete\r\ndelete a b c d\r\n"), "ERROR\r\nERROR\r\n");
}

TEST_F(MemcachedTextTest, NoreplySilencesEveryCommandThatTakesIt) {
  EXPECT_EQ(Send("set a 1 0 1 noreply\r\na\r\n"
                 "add a 0 0 1 noreply\r\nx\r\n"
                 "add b 0 0 1 noreply\r\n5\r\n"
                 "replace b 0 0 1 noreply\r\n6\r\n"
                 "append a 0 0 1 noreply\r\nz\r\n"
                 "prepend a 0 0 1 noreply\r\ny\r\n"
                 "incr b 10 noreply\r\n"
                 "decr b 1 noreply\r\n"
                 "touch a 100 noreply\r\n"
                 "delete nope noreply\r\n"
                 "delete nope 0 noreply\r\n"
                 "verbosity 1 noreply\r\n"),
            "");
  EXPECT_EQ(Send("get a b\r\n"), "VALUE a 1 3\r\nyaz\r\nVALUE b 0 2\r\n15\r\nEND\r\n");
  const uint64_t cas = CasOf("a");
  EXPECT_EQ(Send("cas a 0 0 1 " + std::to_string(cas) + " noreply\r\nc\r\nget a\r\n"),
            "VALUE a 0 1\r\nc\r\nEND\r\n");
  // Errors found after the command is known are silenced too, as memcached does.
  EXPECT_EQ(Send("set a abc 0 1 noreply\r\na\r\nincr a x noreply\r\nflush_all abc noreply\r\n"),
            "ERROR\r\n");  // the data line "a" of the refused set is a command
  EXPECT_EQ(Send("flush_all noreply\r\nget a\r\n"), "END\r\n");
}

// ---- flush_all ----

TEST_F(MemcachedTextTest, FlushAllRunsOffTheEventLoop) {
  Send("set a 0 0 1\r\na\r\n");
  std::string out;
  size_t consumed = 0;
  const std::string in = "flush_all\r\nget a\r\n";
  EXPECT_EQ(session_->Process(in, &consumed, &out), Result::kDeferred);
  EXPECT_EQ(consumed, std::string_view("flush_all\r\n").size());
  EXPECT_EQ(out, "");
  ProtocolSession::DeferredWork work = session_->TakeDeferred();
  ASSERT_TRUE(work);
  EXPECT_EQ(session_->TakeDeferred(), nullptr);
  EXPECT_EQ(engine_->Count(), 1u);  // nothing happened before the work runs
  EXPECT_EQ(work(), "OK\r\n");
  EXPECT_EQ(engine_->Count(), 0u);
  EXPECT_EQ(Send("get a\r\nflush_all 0\r\nflush_all -1\r\n"), "END\r\nOK\r\nOK\r\n");
}

TEST_F(MemcachedTextTest, FlushAllWithDelaySchedulesIt) {
  Send("set a 0 0 1\r\na\r\n");
  EXPECT_EQ(Send("flush_all 60\r\nget a\r\n"), "OK\r\nVALUE a 0 1\r\na\r\nEND\r\n");
  EXPECT_NEAR(static_cast<double>(memcache_.flush_deadline()),
              static_cast<double>(time(nullptr) + 60), 2);
  EXPECT_EQ(Send("flush_all abc\r\nflush_all 1 2 3\r\n"),
            "CLIENT_ERROR invalid exptime argument\r\nERROR\r\n");
}

// ---- other commands ----

TEST_F(MemcachedTextTest, VersionVerbosityQuit) {
  EXPECT_EQ(Send("version\r\n"), "VERSION 1.6.18\r\n");
  EXPECT_EQ(Send("verbosity 1\r\nverbosity\r\nverbosity abc\r\nverbosity 1 2 3\r\n"),
            "OK\r\nERROR\r\nCLIENT_ERROR bad command line format\r\nERROR\r\n");
  // Arguments are ignored, as memcached 1.6 does.
  EXPECT_EQ(Send("version x\r\nversion noreply\r\n"), "VERSION 1.6.18\r\nVERSION 1.6.18\r\n");
  Result result;
  EXPECT_EQ(Send("quit x\r\nversion\r\n", &result), "");
  EXPECT_EQ(result, Result::kClose);
  EXPECT_EQ(Send("quit\r\nversion\r\n", &result), "");
  EXPECT_EQ(result, Result::kClose);
}

TEST_F(MemcachedTextTest, Stats) {
  std::string general = Send("stats\r\n");
  EXPECT_THAT(general, StartsWith("STAT pid "));
  EXPECT_THAT(general, HasSubstr("\r\nSTAT cmd_get "));
  EXPECT_TRUE(general.ends_with("\r\nEND\r\n"));
  std::string settings = Send("stats settings\r\n");
  EXPECT_THAT(settings, StartsWith("STAT "));
  EXPECT_TRUE(settings.ends_with("\r\nEND\r\n"));
  EXPECT_EQ(Send("stats nonsense\r\n"), "ERROR\r\n");
}

TEST_F(MemcachedTextTest, StatsResetAnswersResetAndZeroesTheCounters) {
  Send("get a\r\nget b\r\n");
  ASSERT_EQ(stats_.CommandCount(kCmdGet), 2u);
  EXPECT_EQ(Send("stats reset\r\n"), "RESET\r\n");
  EXPECT_EQ(stats_.CommandCount(kCmdGet), 0u);
  EXPECT_THAT(Send("stats\r\n"), HasSubstr("\r\nSTAT cmd_get 0\r\n"));
}

// ---- errors ----

TEST_F(MemcachedTextTest, UnknownCommandsAnswerErrorAndServingGoesOn) {
  Result result;
  EXPECT_EQ(Send("bogus\r\n\r\nx\r\ngeT a\r\nset\r\nset a 0 0\r\nget\r\nversion\r\n", &result),
            "ERROR\r\nERROR\r\nERROR\r\nERROR\r\nERROR\r\nERROR\r\nERROR\r\nVERSION 1.6.18"
            "\r\n");
  EXPECT_EQ(result, Result::kContinue);
}

// An upper-case line is HTTP's when it is an HTTP request line: the session
// stops before it, for the connection's ProtocolSwitch to hand it on.
TEST_F(MemcachedTextTest, StopsBeforeAnHttpRequestLine) {
  Result result;
  size_t consumed = 0;
  const std::string in = "version\r\nPATCH / HTTP/1.1\r\nversion\r\n";
  EXPECT_EQ(Feed(*session_, in, &result, &consumed), "VERSION 1.6.18\r\n");
  EXPECT_EQ(result, Result::kContinue);
  EXPECT_EQ(consumed, 9u);
  EXPECT_FALSE(session_->MidRequest());
}

// An upper-case line that is no HTTP request line is a Redis inline command
// (memcached's commands are lower case): the session stops before it too.
TEST_F(MemcachedTextTest, AnUpperCaseLineWaitsForItsNewline) {
  Result result;
  size_t consumed = 0;
  EXPECT_EQ(Feed(*session_, "GET /k HTTP/1.", &result, &consumed), "");
  EXPECT_EQ(consumed, 0u);
  EXPECT_TRUE(session_->MidRequest());
  EXPECT_EQ(Feed(*session_, "version\r\nGET k\r\n", &result, &consumed), "VERSION 1.6.18\r\n");
  EXPECT_EQ(consumed, 9u);
  EXPECT_FALSE(session_->MidRequest());
}

// memcached hangs up on a lower-case line that ends like an HTTP request line.
TEST_F(MemcachedTextTest, ALowerCaseHttpRequestLineCloses) {
  Result result;
  EXPECT_EQ(Send("patch / HTTP/1.1\r\nversion\r\n", &result), "");
  EXPECT_EQ(result, Result::kClose);
}

TEST_F(MemcachedTextTest, BadDataChunk) {
  Send("set a 0 0 1\r\nz\r\n");
  // The 3 bytes "abc" stand where 2 + "\r\n" should; the leftover "\n" is an empty command.
  EXPECT_EQ(Send("set a 0 0 2\r\nabc\r\nget a\r\n"),
            "CLIENT_ERROR bad data chunk\r\nERROR\r\nVALUE a 0 1\r\nz\r\nEND\r\n");
  EXPECT_EQ(Send("set a 0 0 1\na\nversion\n"), "CLIENT_ERROR bad data chunk\r\nERROR\r\n");
}

TEST_F(MemcachedTextTest, BadCommandLines) {
  const std::string key250(250, 'k');
  const std::string key251(251, 'k');
  EXPECT_EQ(Send("set " + key250 + " 0 0 1\r\na\r\n"), "STORED\r\n");
  // A refused line's data block is read as a command, as memcached does.
  EXPECT_EQ(Send("set " + key251 + " 0 0 1\r\na\r\n"),
            "CLIENT_ERROR bad command line format\r\nERROR\r\n");
  // Lines split on spaces only: a tab is a key byte, as in memcached.
  EXPECT_EQ(Send("set a\tb 0 0 1\r\na\r\nget a\tb\r\n"),
            "STORED\r\nVALUE a\tb 0 1\r\na\r\nEND\r\n");
  EXPECT_EQ(Send("set a abc 0 1\r\na\r\nset a -1 0 1\r\na\r\nset a 0 0 -1\r\n"
                 "set a 0 0 2147483647\r\nset a 0 x 1\r\na\r\n"),
            "CLIENT_ERROR bad command line format\r\nERROR\r\n"
            "CLIENT_ERROR bad command line format\r\nERROR\r\n"
            "CLIENT_ERROR bad command line format\r\n"
            "CLIENT_ERROR bad command line format\r\n"
            "CLIENT_ERROR bad command line format\r\nERROR\r\n");
  EXPECT_EQ(Send("cas a 0 0 1 -1\r\nb\r\n"), "CLIENT_ERROR bad command line format\r\nERROR\r\n");
  // A bad key drops the whole get reply, as memcached does.
  EXPECT_EQ(Send("get " + key250 + " " + key251 + "\r\n"),
            "CLIENT_ERROR bad command line format\r\n");
  EXPECT_EQ(Send("incr " + key251 + " 1\r\ntouch " + key251 + " 1\r\ndelete " + key251 + "\r\n"),
            "CLIENT_ERROR bad command line format\r\nCLIENT_ERROR bad command line format\r\n"
            "CLIENT_ERROR bad command line format\r\n");
  EXPECT_EQ(Send("version\r\n"), "VERSION 1.6.18\r\n");
}

TEST_F(MemcachedTextTest, TooLargeValueIsSwallowedAndDropsTheOldItem) {
  context_.limits.mc_item_max = 11;  // a 1-byte key and 10 bytes of value
  Send("set a 0 0 1\r\nz\r\nset b 0 0 1\r\nz\r\n");
  const std::string big(11, 'v');
  EXPECT_EQ(Send("set a 0 0 11\r\n" + big + "\r\nget a\r\n"),
            "SERVER_ERROR object too large for cache\r\nEND\r\n");
  EXPECT_EQ(Send("add b 0 0 11\r\n" + big + "\r\nget b\r\n"),
            "SERVER_ERROR object too large for cache\r\nVALUE b 0 1\r\nz\r\nEND\r\n");
  EXPECT_EQ(Send("set a 0 0 11 noreply\r\n" + big + "\r\nversion\r\n"),
            "VERSION 1.6.18\r\n");
  EXPECT_EQ(Send("set a 0 0 10\r\n" + big.substr(1) + "\r\n"), "STORED\r\n");
  // An append past the limit is not stored, the item kept, as in memcached.
  EXPECT_EQ(Send("append a 0 0 1\r\nx\r\nget a\r\n"),
            "NOT_STORED\r\nVALUE a 0 10\r\n" + big.substr(1) + "\r\nEND\r\n");
}

TEST_F(MemcachedTextTest, OversizedLengthIsNeitherBufferedNorAllocated) {
  context_.limits.mc_item_max = 1024;
  std::string out;
  size_t consumed = 0;
  // The refusal comes before the data: the session takes every byte offered
  // and keeps none of them.
  const std::string line = "set a 0 0 2147483645\r\n";
  const std::string chunk(1 << 16, 'x');
  EXPECT_EQ(session_->Process(line + chunk, &consumed, &out), Result::kContinue);
  EXPECT_EQ(out, "SERVER_ERROR object too large for cache\r\n");
  EXPECT_EQ(consumed, line.size() + chunk.size());
  EXPECT_TRUE(session_->MidRequest());
  out.clear();
  EXPECT_EQ(session_->Process(chunk, &consumed, &out), Result::kContinue);
  EXPECT_EQ(consumed, chunk.size());
  EXPECT_EQ(out, "");
  // A length past what memcached accepts at all is a bad line, not a wait.
  MemcachedTextSession other(&context_, -1);
  EXPECT_EQ(Feed(other, "set a 0 0 99999999999999999999\r\n"),
            "CLIENT_ERROR bad command line format\r\n");
  EXPECT_FALSE(other.MidRequest());
}

TEST_F(MemcachedTextTest, SwallowEndsExactlyAfterTheBlock) {
  context_.limits.mc_item_max = 5;
  EXPECT_EQ(FeedByteByByte(*session_, "set a 0 0 5\r\nabcde\r\nversion\r\n"),
            "SERVER_ERROR object too large for cache\r\nVERSION 1.6.18\r\n");
  EXPECT_FALSE(session_->MidRequest());
}

TEST_F(MemcachedTextTest, ARefusedBlockEndingABatchIsDiscardedAndServingGoesOn) {
  // The refusal of a too-large set is the reply that fills the batch; its
  // data block has arrived. The session must take that block at once: a
  // connection calls again only while the session is not mid-request, so
  // waiting for bytes already there would leave the rest unanswered.
  context_.limits.mc_item_max = 1001;
  Send("set k 0 0 1000\r\n" + std::string(1000, 'v') + "\r\n");
  const size_t get_reply = ManyValues("k", std::string(1000, 'v'), 1).size() + strlen("END\r\n");
  constexpr std::string_view kRefusal = "SERVER_ERROR object too large for cache\r\n";
  const size_t gets = (kReplyBatchBytes - 1) / get_reply;
  ASSERT_LT(gets * get_reply, kReplyBatchBytes);
  ASSERT_GE(gets * get_reply + kRefusal.size(), kReplyBatchBytes) << "the refusal fills the batch";
  std::string in;
  for (size_t i = 0; i < gets; ++i) in += "get k\r\n";
  in += "set huge 0 0 2000\r\n" + std::string(2000, 'x') + "\r\nversion\r\n";
  Result result;
  size_t consumed = 0;
  const std::string reply = Feed(*session_, in, &result, &consumed);
  EXPECT_EQ(consumed, in.size());
  EXPECT_EQ(reply.size(), gets * get_reply + kRefusal.size() + 16);
  EXPECT_TRUE(reply.ends_with(std::string(kRefusal) + "VERSION 1.6.18\r\n"));
  EXPECT_FALSE(session_->MidRequest());
}

TEST_F(MemcachedTextTest, OverlongLineCloses) {
  Result result;
  EXPECT_EQ(Send(std::string(2049, 'x'), &result), "");
  EXPECT_EQ(result, Result::kClose);
  // Even when its newline is there: the outcome must not depend on packet boundaries.
  MemcachedTextSession other(&context_, -1);
  EXPECT_EQ(Feed(other, "set " + std::string(2100, 'k') + " 0 0 1\r\n", &result), "");
  EXPECT_EQ(result, Result::kClose);
}

TEST_F(MemcachedTextTest, LongMultiGetLinesAreServed) {
  Send("set k1 0 0 1\r\na\r\n");
  std::string line = "get";
  for (int i = 0; i < 2000; ++i) line += " k" + std::to_string(i);
  std::string expected = "VALUE k1 0 1\r\na\r\nEND\r\n";
  EXPECT_EQ(FeedByteByByte(*session_, line + "\r\n"), expected);
  Result result;
  EXPECT_EQ(Send("get " + std::string(mctext::kMaxRetrievalLine, 'k'), &result), "");
  EXPECT_EQ(result, Result::kClose);
}

TEST_F(MemcachedTextTest, MaskedCommandsAreForbidden) {
  Send("set a 0 0 1\r\na\r\n");
  context_.mask.Apply("put,get,out,addint,vanish,stat", true);
  EXPECT_EQ(Send("set a 0 0 1\r\nb\r\nget a\r\ngat 0 a\r\ndelete a\r\nincr a 1\r\ntouch a 1\r\n"
                 "flush_all\r\nstats\r\nmg a v\r\nms a 1\r\nb\r\nmd a\r\nma a\r\nversion\r\n"),
            "CLIENT_ERROR forbidden\r\nCLIENT_ERROR forbidden\r\nCLIENT_ERROR forbidden\r\n"
            "CLIENT_ERROR forbidden\r\nCLIENT_ERROR forbidden\r\nCLIENT_ERROR forbidden\r\n"
            "CLIENT_ERROR forbidden\r\nCLIENT_ERROR forbidden\r\nCLIENT_ERROR forbidden\r\n"
            "CLIENT_ERROR forbidden\r\nCLIENT_ERROR forbidden\r\nCLIENT_ERROR forbidden\r\n"
            "VERSION 1.6.18\r\n");
  // add is putkeep, which is not masked.
  EXPECT_EQ(Send("add n 0 0 1\r\nn\r\n"), "STORED\r\n");
  EXPECT_EQ(ItemOf("a").value, "a");
}

// ---- framing ----

constexpr std::string_view kPipeline =
    "set a 1 0 3\r\none\r\n"
    "get a nope a\r\n"
    "append a 0 0 1\r\n!\r\n"
    "incr a 1\r\n"
    "set n 0 0 1\r\n7\r\n"
    "incr n 3\r\n"
    "bogus\r\n"
    "ms m 3 T0 F5\r\nabc\r\n"
    "mg m v f k O9\r\n"
    "mg nope v q\r\n"
    "mn\r\n"
    "delete a\r\n"
    "get a\n"
    "version\r\n";

constexpr std::string_view kPipelineReplies =
    "STORED\r\n"
    "VALUE a 1 3\r\none\r\nVALUE a 1 3\r\none\r\nEND\r\n"
    "STORED\r\n"
    "CLIENT_ERROR cannot increment or decrement non-numeric value\r\n"
    "STORED\r\n"
    "10\r\n"
    "ERROR\r\n"
    "HD\r\n"
    "VA 3 f5 km O9\r\nabc\r\n"
    "MN\r\n"
    "DELETED\r\n"
    "END\r\n"
    "VERSION 1.6.18\r\n";

TEST_F(MemcachedTextTest, PipelinedRequestsInOneBuffer) {
  EXPECT_EQ(Send(kPipeline), kPipelineReplies);
  EXPECT_FALSE(session_->MidRequest());
}

TEST_F(MemcachedTextTest, RequestsFedOneByteAtATime) {
  EXPECT_EQ(FeedByteByByte(*session_, kPipeline), kPipelineReplies);
  EXPECT_FALSE(session_->MidRequest());
}

TEST_F(MemcachedTextTest, MidRequestWhileALineOrBlockIsPartial) {
  std::string out;
  size_t consumed = 0;
  session_->Process("get", &consumed, &out);
  EXPECT_EQ(consumed, 0u);
  EXPECT_TRUE(session_->MidRequest());
  session_->Process("set a 0 0 3\r\nab", &consumed, &out);
  EXPECT_EQ(consumed, 0u);
  EXPECT_TRUE(session_->MidRequest());
  EXPECT_EQ(out, "");
  session_->Process("set a 0 0 3\r\nabc\r\n", &consumed, &out);
  EXPECT_EQ(out, "STORED\r\n");
  EXPECT_FALSE(session_->MidRequest());
}

TEST_F(MemcachedTextTest, RepliesStopAfterABatchAndResume) {
  context_.limits.mc_item_max = 2 << 20;
  const std::string value(1 << 20, 'v');
  Send("set big 0 0 " + std::to_string(value.size()) + "\r\n" + value + "\r\n");
  std::string in;
  for (int i = 0; i < 8; ++i) in += "get big\r\n";
  std::string out;
  size_t consumed = 0;
  EXPECT_EQ(session_->Process(in, &consumed, &out), Result::kContinue);
  EXPECT_LT(consumed, in.size());
  EXPECT_FALSE(session_->MidRequest());
  EXPECT_GE(out.size(), kReplyBatchBytes);
  EXPECT_EQ(Send(in.substr(consumed)).size() + out.size(), 8 * (value.size() + 28));
}

TEST_F(MemcachedTextTest, AManyKeyGetReplyIsCutIntoBatchesAndResumed) {
  // A short line that names a big item many times: one call must not make
  // the whole reply (4 connections doing so once held 888 MB).
  const std::string value(100 * 1024, 'v');
  Send("set big 0 0 " + std::to_string(value.size()) + "\r\n" + value + "\r\nset s 0 0 1\r\ns\r\n");
  std::string line = "get s";
  for (int i = 0; i < 100; ++i) line += " big nope";
  line += " s\r\n";
  const std::string in = line + "version\r\n";
  const std::string expected = "VALUE s 0 1\r\ns\r\n" + ManyValues("big", value, 100) +
                               "VALUE s 0 1\r\ns\r\nEND\r\nVERSION 1.6.18\r\n";
  std::string out;
  size_t consumed = 0;
  EXPECT_EQ(session_->Process(in, &consumed, &out), Result::kContinue);
  // Stopped after the key that filled the batch, with the rest of the line
  // left to the next call, which the caller makes once its output drains.
  EXPECT_GE(out.size(), kReplyBatchBytes);
  EXPECT_LT(out.size(), kReplyBatchBytes + value.size() + 30);
  EXPECT_GT(consumed, 0u);
  EXPECT_LT(consumed, line.size());
  EXPECT_FALSE(session_->MidRequest());
  std::string rest = Feed(*session_, std::string_view(in).substr(consumed));
  EXPECT_LE(rest.size(), expected.size());
  // Byte for byte the reply of an uncut get: values in order, one END.
  EXPECT_TRUE(out + rest == expected)
      << (out + rest).size() << " bytes instead of " << expected.size();
  EXPECT_FALSE(session_->MidRequest());
}

TEST_F(MemcachedTextTest, AResumedGatKeepsItsExptimeAndCas) {
  context_.limits.mc_item_max = 2 << 20;
  const std::string value(1 << 20, 'v');
  Send("set big 7 0 " + std::to_string(value.size()) + "\r\n" + value + "\r\nset s 0 0 1\r\ns\r\n");
  const std::string cas = std::to_string(CasOf("big"));
  const std::string s_cas = std::to_string(CasOf("s"));
  std::string line = "gats 100";
  for (int i = 0; i < 6; ++i) line += " big";
  // A NUL ends the line for memcached: what follows it up to the newline is ignored.
  line += " s" + std::string(1, '\0') + " big\r\n";
  std::string one = "VALUE big 7 " + std::to_string(value.size()) + " " + cas + "\r\n" + value;
  one += "\r\n";
  std::string expected;
  for (int i = 0; i < 6; ++i) expected += one;
  expected += "VALUE s 0 1 " + s_cas + "\r\ns\r\nEND\r\nEND\r\n";
  size_t consumed = 0;
  const std::string reply = Feed(*session_, line + "get nope\r\n", nullptr, &consumed);
  EXPECT_TRUE(reply == expected) << reply.size() << " bytes instead of " << expected.size();
  EXPECT_EQ(consumed, line.size() + 10);
  // The key answered after the cut was touched with the line's exptime.
  EXPECT_NEAR(static_cast<double>(ItemOf("s").meta.expires_at),
              static_cast<double>(time(nullptr) + 100), 2);
}

TEST_F(MemcachedTextTest, GarbageNeverStopsTheSession) {
  std::mt19937 random(7);
  for (int round = 0; round < 200; ++round) {
    std::string junk;
    const int length = static_cast<int>(random() % 300);
    for (int i = 0; i < length; ++i) {
      // Mostly the protocol's own alphabet, so that commands get half-formed.
      constexpr std::string_view kAlphabet = "setgamdvcqkO0123456789 \r\n\tb=-";
      junk.push_back(random() % 4 == 0 ? static_cast<char>(random())
                                       : kAlphabet[random() % kAlphabet.size()]);
    }
    MemcachedTextSession session(&context_, -1);
    Result result;
    FeedByteByByte(session, junk, &result);
    if (result == Result::kClose) continue;
    // Whatever state the junk left, a fresh connection still works.
    MemcachedTextSession fresh(&context_, -1);
    ASSERT_EQ(Feed(fresh, "version\r\n"), "VERSION 1.6.18\r\n") << junk;
  }
}

// ---- meta commands ----

TEST_F(MemcachedTextTest, MetaGetMissAndQuietMode) {
  EXPECT_EQ(Send("mg nope\r\nmg nope v k O123\r\n"), "EN\r\nEN knope O123\r\n");
  EXPECT_EQ(Send("mg nope v q\r\nmg nope q k\r\nmn\r\n"), "MN\r\n");
  EXPECT_EQ(Send("mg\r\nmd\r\nma\r\nms\r\nmz x\r\nmgx x\r\n"),
            "ERROR\r\nERROR\r\nERROR\r\nERROR\r\nERROR\r\nERROR\r\n");
}

TEST_F(MemcachedTextTest, MetaGetReturnFlagsInRequestOrder) {
  EXPECT_EQ(Send("ms m 2 F7 T100\r\nhi\r\n"), "HD\r\n");
  const uint64_t cas = ItemOf("m").meta.Cas();
  EXPECT_THAT(Send("mg m s v t f k O9 c q\r\n"),
              MatchesRegex("VA 2 s2 t(99|100) f7 km O9 c" + std::to_string(cas) + "\r\nhi\r\n"));
  EXPECT_EQ(Send("mg m\r\nmg m q\r\nmg m vk\r\n"), "HD\r\nHD\r\nVA 2\r\nhi\r\n");
  EXPECT_EQ(Send("mg m t T0\r\nmg m t\r\n"), "HD t-1\r\nHD t-1\r\n");
}

TEST_F(MemcachedTextTest, MetaGetHitBeforeAndLastAccess) {
  Send("ms h 1\r\nx\r\n");
  EXPECT_EQ(Send("mg h h l\r\n"), "HD h0 l0\r\n");
  EXPECT_EQ(Send("mg h h l\r\n"), "HD h1 l0\r\n");
  Send("ms h 1\r\ny\r\n");
  EXPECT_EQ(Send("mg h h\r\n"), "HD h0\r\n");
}

TEST_F(MemcachedTextTest, MetaSetModesAndCas) {
  EXPECT_EQ(Send("ms a 1 ME\r\n1\r\nms a 1 ME\r\n2\r\n"), "HD\r\nNS\r\n");
  EXPECT_EQ(Send("ms a 1 MA\r\n3\r\nms a 1 MP\r\n0\r\nms a 1 MS\r\n9\r\nmg a v\r\n"),
            "HD\r\nHD\r\nHD\r\nVA 1\r\n9\r\n");
  EXPECT_EQ(Send("ms nope 1 MR\r\n1\r\nms nope 1 MA\r\n1\r\nms nope 1 C5\r\n1\r\n"),
            "NS\r\nNS\r\nNF\r\n");
  const std::string cas = std::to_string(ItemOf("a").meta.Cas());
  EXPECT_EQ(Send("ms a 1 C1 c k O5\r\nx\r\n"), "EX c0 ka O5\r\n");
  std::string stored = Send("ms a 1 C" + cas + " c\r\nx\r\n");
  EXPECT_EQ(stored, "HD c" + std::to_string(ItemOf("a").meta.Cas()) + "\r\n");
  EXPECT_EQ(Send("ms a 1 q\r\ny\r\nms a 1 q MR C1\r\ny\r\nmn\r\n"), "EX\r\nMN\r\n");
  EXPECT_EQ(Send("ms a 1 MX\r\ny\r\nms a 1 Mxx\r\ny\r\nmn\r\n"),
            "CLIENT_ERROR invalid mode for ms M token\r\n"
            "CLIENT_ERROR incorrect length for M token\r\nMN\r\n");
}

TEST_F(MemcachedTextTest, MetaSetErrorsSwallowTheBlockOnceItsLengthIsKnown) {
  EXPECT_EQ(Send("ms m\r\nms m abc\r\nhi\r\nms m -1\r\n"),
            "CLIENT_ERROR bad command line format\r\n"
            "CLIENT_ERROR bad command line format\r\nERROR\r\n"
            "CLIENT_ERROR bad command line format\r\n");
  EXPECT_EQ(
      Send("ms m 2 zz\r\nhi\r\nms m 2 v v\r\nhi\r\nms m 2 T\r\nhi\r\nms m 2 Fx\r\nhi\r\nmn\r\n"),
      "CLIENT_ERROR invalid flag\r\nCLIENT_ERROR duplicate flag\r\n"
      "CLIENT_ERROR bad token in command line format\r\n"
      "CLIENT_ERROR bad command line format\r\nMN\r\n");
  // q never hides an error.
  EXPECT_EQ(Send("ms m 2 q\r\nhix\r\nmn\r\n"), "CLIENT_ERROR bad data chunk\r\nERROR\r\nMN\r\n");
  context_.limits.mc_item_max = 1;
  EXPECT_EQ(Send("ms m 2 q\r\nhi\r\nmn\r\n"), "SERVER_ERROR object too large for cache\r\nMN\r\n");
}

TEST_F(MemcachedTextTest, MetaFlagErrors) {
  EXPECT_EQ(Send("mg m zz\r\nmg m s s\r\nmg m O123456789012345678901234567890123\r\n"),
            "CLIENT_ERROR invalid flag\r\nCLIENT_ERROR duplicate flag\r\n"
            "CLIENT_ERROR opaque token too long\r\n");
  EXPECT_EQ(Send("mg m a b c d e f g h i j k l m n o p q r s\r\nmd m zz\r\nma m Dx\r\n"),
            "CLIENT_ERROR options flags are too long\r\n"
            "CLIENT_ERROR invalid or duplicate flag\r\nCLIENT_ERROR invalid or duplicate flag\r\n");
  EXPECT_EQ(Send("mg " + std::string(251, 'k') + " v\r\n"),
            "CLIENT_ERROR bad command line format\r\n");
}

TEST_F(MemcachedTextTest, MetaDelete) {
  Send("ms d 1\r\nx\r\nms e 1\r\nx\r\n");
  EXPECT_EQ(Send("md d q\r\nmd d q\r\nmd d k O1\r\nmn\r\n"), "NF\r\nNF kd O1\r\nMN\r\n");
  EXPECT_EQ(Send("md e C1\r\nmd e\r\n"), "EX\r\nHD\r\n");
}

TEST_F(MemcachedTextTest, MetaDeleteInvalidateWithTtlIsOneWrite) {
  Send("ms s 2\r\nhi\r\n");
  EXPECT_EQ(Send("md s I T30\r\n"), "HD\r\n");
  EXPECT_NEAR(static_cast<double>(ItemOf("s").meta.expires_at),
              static_cast<double>(time(nullptr) + 30), 2);
  EXPECT_EQ(stats_.touch_cmds.load(), 0u) << "the expiry is set by the delete itself";
  // T alone does not touch an item that md removes.
  EXPECT_EQ(Send("md s T30\r\nmg s\r\n"), "HD\r\nEN\r\n");
}

TEST_F(MemcachedTextTest, InvalidatedItemHandsOutOneRecacheToken) {
  Send("ms s 2\r\nhi\r\n");
  const uint64_t old_cas = ItemOf("s").meta.Cas();
  EXPECT_EQ(Send("md s I T30\r\n"), "HD\r\n");
  EXPECT_THAT(Send("mg s v t\r\n"), MatchesRegex("VA 2 t(29|30) X W\r\nhi\r\n"));
  EXPECT_THAT(Send("mg s v t\r\n"), MatchesRegex("VA 2 t(29|30) Z X\r\nhi\r\n"));
  // A write based on the older value still lands, and stays stale.
  EXPECT_EQ(Send("ms s 3 I C" + std::to_string(old_cas) + "\r\nbye\r\n"), "HD\r\n");
  EXPECT_EQ(ItemOf("s").value, "bye");
  EXPECT_NE(Send("mg s\r\n").find(" X"), std::string::npos);
  // A plain set clears it all.
  EXPECT_EQ(Send("ms s 2\r\nok\r\nmg s v\r\n"), "HD\r\nVA 2\r\nok\r\n");
}

TEST_F(MemcachedTextTest, VivifyOnMissWinsOnce) {
  EXPECT_THAT(Send("mg v N30 v t s k\r\n"), MatchesRegex("VA 0 t(29|30) s0 kv W\r\n\r\n"));
  EXPECT_THAT(Send("mg v N30 v t\r\n"), MatchesRegex("VA 0 t(29|30) Z\r\n\r\n"));
  EXPECT_EQ(Send("ms v 2 T0\r\nok\r\nmg v v N30\r\n"), "HD\r\nVA 2\r\nok\r\n");
  EXPECT_EQ(Send("mg w N30 E777 c\r\n"), "HD c777 W\r\n");
}

TEST_F(MemcachedTextTest, RecacheWinsWhenTheTtlRunsLow) {
  Send("ms r 1 T10\r\nx\r\n");
  EXPECT_EQ(Send("mg r R5\r\n"), "HD\r\n");
  EXPECT_EQ(Send("mg r R30\r\nmg r R30\r\n"), "HD W\r\nHD Z\r\n");
}

TEST_F(MemcachedTextTest, MetaArithmetic) {
  EXPECT_EQ(Send("ma n\r\nma n q\r\n"), "NF\r\nNF\r\n");
  EXPECT_EQ(Send("ma n N0 J5 v\r\nma n v\r\nma n MD D10 v t\r\nma n q D1\r\nmn\r\n"),
            "VA 1\r\n5\r\nVA 1\r\n6\r\nVA 1 t-1\r\n0\r\nMN\r\n");
  const uint64_t cas = ItemOf("n").meta.Cas();
  EXPECT_EQ(Send("ma n C1 k O2\r\n"), "EX kn O2\r\n");
  std::string reply = Send("ma n C" + std::to_string(cas) + " c D7 M+ v\r\n");
  EXPECT_EQ(reply, "VA 1 c" + std::to_string(ItemOf("n").meta.Cas()) + "\r\n8\r\n");
  EXPECT_THAT(Send("ma n T100 t\r\n"), MatchesRegex("HD t(99|100)\r\n"));
  EXPECT_EQ(Send("ma x N0 E4242 c\r\n"), "HD c4242\r\n");
  Send("ms s 1\r\na\r\n");
  EXPECT_EQ(Send("ma s\r\nma s Mx\r\n"),
            "CLIENT_ERROR cannot increment or decrement non-numeric value\r\n"
            "CLIENT_ERROR invalid mode for ma M token\r\n");
}

TEST_F(MemcachedTextTest, MetaArithmeticTtlIsSetAndReportedByTheDeltaItself) {
  Send("ms n 1 T0\r\n5\r\n");
  const std::string reply = Send("ma n T100 t c\r\n");
  EXPECT_THAT(reply,
              MatchesRegex("HD t(99|100) c" + std::to_string(ItemOf("n").meta.Cas()) + "\r\n"));
  EXPECT_NEAR(static_cast<double>(ItemOf("n").meta.expires_at),
              static_cast<double>(time(nullptr) + 100), 2);
  EXPECT_EQ(stats_.touch_cmds.load(), 0u) << "no separate touch";
  // A created item takes T over N.
  EXPECT_THAT(Send("ma v N10 T100 t v J3\r\n"), MatchesRegex("VA 1 t(99|100)\r\n3\r\n"));
}

TEST_F(MemcachedTextTest, QuietMetaArithmeticStillAnswersForACreatedItem) {
  // As memcached: q hides the reply to an increment, not to a creation (the
  // client learns the initial value) nor to a miss.
  EXPECT_EQ(Send("ma n q\r\nma n N0 J5 q v\r\nma n q v\r\nmn\r\n"), "NF\r\nVA 1\r\n5\r\nMN\r\n");
  EXPECT_EQ(ItemOf("n").value, "6");
}

TEST_F(MemcachedTextTest, Base64Keys) {
  // "bQ==" is "m"; "AAEC" the three bytes 00 01 02, which no text key may hold.
  EXPECT_EQ(Send("ms bQ== 2 k b O1\r\nhi\r\nmg m k v\r\n"), "HD kbQ== b O1\r\nVA 2 km\r\nhi\r\n");
  EXPECT_EQ(Send("ms AAEC 1 b\r\nx\r\nmg AAEC b k v\r\n"), "HD\r\nVA 1 kAAEC b\r\nx\r\n");
  EXPECT_EQ(ItemOf(std::string("\0\1\2", 3)).value, "x");
  EXPECT_EQ(Send("ma AAEC b\r\nmd AAEC b\r\nmg AAEC b\r\n"),
            "CLIENT_ERROR cannot increment or decrement non-numeric value\r\nHD\r\nEN\r\n");
  EXPECT_EQ(Send("mg bQ b\r\nmg bQ=== b\r\nmg b@== b\r\nms m 2 b\r\nhi\r\nmn\r\n"),
            "CLIENT_ERROR error decoding key\r\nCLIENT_ERROR error decoding key\r\n"
            "CLIENT_ERROR error decoding key\r\nCLIENT_ERROR error decoding key\r\nMN\r\n");
}

TEST_F(MemcachedTextTest, ExplicitCas) {
  EXPECT_EQ(Send("ms e 1 E12345 c\r\nx\r\n"), "HD c12345\r\n");
  EXPECT_EQ(Send("gets e\r\n"), "VALUE e 0 1 12345\r\nx\r\nEND\r\n");
  EXPECT_EQ(Send("cas e 0 0 1 12345\r\ny\r\n"), "STORED\r\n");
}

TEST_F(MemcachedTextTest, MetaDebug) {
  EXPECT_EQ(Send("me nope\r\nme\r\n"), "EN\r\nCLIENT_ERROR bad command line format\r\n");
  Send("ms d 3 T0\r\nabc\r\n");
  const std::string cas = std::to_string(ItemOf("d").meta.Cas());  // also a fetch
  EXPECT_EQ(Send("me d\r\n"), "ME d exp=-1 la=0 cas=" + cas + " fetch=yes size=4\r\n");
  EXPECT_EQ(Send("me ZA== b\r\n"), "ME ZA== exp=-1 la=0 cas=" + cas + " fetch=yes size=4\r\n");
  EXPECT_EQ(stats_.CommandCount(kCmdGet), 1u) << "me is not a get";
}

TEST_F(MemcachedTextTest, MetaCommandsAreCounted) {
  Send("mn\r\nmg a\r\nms a 1\r\nx\r\nmd a\r\nma a\r\nme a\r\n");
  EXPECT_EQ(stats_.meta_cmds.load(), 6u);
}

}  // namespace
}  // namespace tt
