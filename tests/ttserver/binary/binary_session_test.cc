// BinarySession over a real Engine (in-memory Kyoto Cabinet stores).
#include "ttserver/binary/binary_session.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>

#include "common/coding.h"
#include "common/commands.h"
#include "common/hex.h"
#include "engine/redo.h"
#include "tests/ttserver/session_fixture.h"

namespace tt {
namespace {

std::string Hex(const char* hex) { return *HexDecode(hex); }

// Builds a misc request: name, opts 0, args.
std::string MiscRequest(std::string_view name, const std::vector<std::string>& args) {
  std::string out = Hex("C8 90");
  PutU32(&out, static_cast<uint32_t>(name.size()));
  PutU32(&out, 0);
  PutU32(&out, static_cast<uint32_t>(args.size()));
  out.append(name);
  for (const auto& a : args) PutLengthPrefixed(&out, a);
  return out;
}

// Encodes a misc success reply holding `elements`.
std::string MiscReply(const std::vector<std::string>& elements) {
  std::string out(1, '\0');
  PutU32(&out, static_cast<uint32_t>(elements.size()));
  for (const auto& e : elements) PutLengthPrefixed(&out, e);
  return out;
}

class BinarySessionTest : public tt::testing::SessionFixture {
 protected:
  using SessionFixture::Feed;
  // The replies of a fresh session to `in`.
  std::string Feed(const std::string& in) {
    BinarySession session(&context_, 5);
    return Feed(session, in);
  }
};

TEST_F(BinarySessionTest, PartialRequestIsLeftUnconsumed) {
  BinarySession session(&context_, 5);
  std::string put = Hex("C8 10 00 00 00 03 00 00 00 03 66 6F 6F 62 61 72");
  size_t consumed = 99;
  EXPECT_EQ(Feed(session, put.substr(0, 7), nullptr, &consumed), "");
  EXPECT_EQ(consumed, 0u);
  EXPECT_TRUE(session.MidRequest());
  EXPECT_EQ(Feed(session, put, nullptr, &consumed), Hex("00"));
  EXPECT_EQ(consumed, put.size());
  EXPECT_FALSE(session.MidRequest());
}

TEST_F(BinarySessionTest, StopsBeforeARequestOfAnotherProtocol) {
  BinarySession session(&context_, 5);
  ProtocolSession::Result result;
  size_t consumed = 0;
  std::string out = Feed(session, Hex("C8 80 C8 80 47 45 54"), &result, &consumed);
  EXPECT_EQ(out, Hex("00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00"));
  EXPECT_EQ(result, ProtocolSession::Result::kContinue);
  EXPECT_EQ(consumed, 4u);
  EXPECT_FALSE(session.MidRequest());
}

TEST_F(BinarySessionTest, AnUnknownCommandClosesAfterTheRepliesBeforeIt) {
  BinarySession session(&context_, 5);
  ProtocolSession::Result result;
  std::string out = Feed(session, Hex("C8 80 C8 7F"), &result);
  EXPECT_EQ(out, Hex("00 00 00 00 00 00 00 00 00"));
  EXPECT_EQ(result, ProtocolSession::Result::kClose);
}

// addint request of `num` to `key`.
std::string AddIntRequest(std::string_view key, int32_t num) {
  std::string out = Hex("C8 60");
  PutU32(&out, static_cast<uint32_t>(key.size()));
  PutU32(&out, static_cast<uint32_t>(num));
  return out.append(key);
}

// The original's storage library reports failure with the sum INT_MIN: Tokyo
// Tyrant answers 01 for that sum, yet stores it.
TEST_F(BinarySessionTest, AnAddIntWhoseSumIsIntMinAnswersFailureButStoresTheSum) {
  const std::string int_min = Hex("00 00 00 80");  // little-endian, as stored
  EXPECT_EQ(Feed(AddIntRequest("k", 2147483647)), Hex("00 7F FF FF FF"));
  EXPECT_EQ(Feed(AddIntRequest("k", 1)), Hex("01"));
  std::string value;
  ASSERT_TRUE(context_.engine->Get("k", &value).ok());
  EXPECT_EQ(value, int_min);
  EXPECT_EQ(Feed(AddIntRequest("k", 0)), Hex("01"));
  EXPECT_EQ(Feed(AddIntRequest("k", 1)), Hex("00 80 00 00 01"));
  EXPECT_EQ(Feed(AddIntRequest("new", -2147483647 - 1)), Hex("01"));
  ASSERT_TRUE(context_.engine->Get("new", &value).ok());
  EXPECT_EQ(value, int_min);
}

TEST_F(BinarySessionTest, ForbiddenPutFailsAndChangesNothing) {
  context_.mask.Apply("put", true);
  EXPECT_EQ(Feed(Hex("C8 10 00 00 00 01 00 00 00 01 6B 76")), Hex("01"));
  EXPECT_EQ(engine_->Count(), 0u);
  EXPECT_EQ(stats_.CommandCount(kCmdPut), 1u);
  EXPECT_EQ(stats_.put_miss.load(), 1u);
}

TEST_F(BinarySessionTest, ForbiddenMgetAndMiscAnswerEmptySuccess) {
  context_.mask.Apply("allorg", true);
  EXPECT_EQ(Feed(Hex("C8 31 00 00 00 01 00 00 00 01 6B")), Hex("00 00 00 00 00"));
  EXPECT_EQ(Feed(MiscRequest("put", {"k", "v"})), Hex("00 00 00 00 00"));
  EXPECT_EQ(Feed(Hex("C8 80")), Hex("00 00 00 00 00 00 00 00 00"));
}

TEST_F(BinarySessionTest, MiscOnHashMatchesTheObservedResults) {
  EXPECT_EQ(Feed(MiscRequest("putlist", {"p1", "v1", "p2", "v2"})), MiscReply({}));
  EXPECT_EQ(Feed(MiscRequest("getlist", {"p1", "zz", "p2", "p4"})),
            MiscReply({"p1", "v1", "p2", "v2"}));
  ASSERT_TRUE(engine_->Put("key1", "value1").ok());
  EXPECT_EQ(Feed(MiscRequest("getpart", {"key1", "1", "3"})), MiscReply({"alu"}));
  EXPECT_EQ(Feed(MiscRequest("getpart", {"key1", "10"})), Hex("01 00 00 00 00"));
  EXPECT_EQ(Feed(MiscRequest("range", {})), Hex("01 00 00 00 00"));
  EXPECT_EQ(Feed(MiscRequest("genuid", {})), Hex("01 00 00 00 00"));
  ASSERT_TRUE(engine_->Put("KEYx", "big").ok());
  std::string regex = Feed(MiscRequest("regex", {"*^key", "1"}));  // case-insensitive, max 1
  EXPECT_TRUE(regex == MiscReply({"key1", "value1"}) || regex == MiscReply({"KEYx", "big"}));
  EXPECT_EQ(Feed(MiscRequest("regex", {"^key"})), MiscReply({"key1", "value1"}));
  EXPECT_EQ(Feed(MiscRequest("outlist", {"p1", "nope"})), MiscReply({}));
  EXPECT_EQ(Feed(MiscRequest("get", {"p1"})), Hex("01 00 00 00 00"));
}

TEST_F(BinarySessionTest, SlowRequestsAreDeferredUnlessMasked) {
  BinarySession session(&context_, 5);
  std::string out;
  size_t consumed = 0;
  // get, then sync (slow), then get: Process stops after sync.
  std::string get = Hex("C8 30 00 00 00 01 6B");
  std::string in = get + Hex("C8 70") + get;
  EXPECT_EQ(session.Process(in, &consumed, &out), ProtocolSession::Result::kDeferred);
  EXPECT_EQ(consumed, get.size() + 2);
  EXPECT_EQ(out, Hex("01"));
  ProtocolSession::DeferredWork work = session.TakeDeferred();
  ASSERT_TRUE(work);
  EXPECT_FALSE(session.TakeDeferred());  // handed over once
  in.clear();  // the work owns what it needs
  EXPECT_EQ(work(), Hex("00"));
  for (const char* name : {"sync", "optimize", "vanish", "defrag", "regex", "range"}) {
    std::string request = MiscRequest(name, {});
    out.clear();
    EXPECT_EQ(session.Process(request, &consumed, &out), ProtocolSession::Result::kDeferred)
        << name;
    EXPECT_EQ(consumed, request.size());
    ASSERT_TRUE(session.TakeDeferred()) << name;
  }
  // Masked: answered at once, as before.
  context_.mask.Apply("sync,misc", true);
  out.clear();
  EXPECT_EQ(session.Process(Hex("C8 70") + MiscRequest("range", {}), &consumed, &out),
            ProtocolSession::Result::kContinue);
  EXPECT_EQ(out, Hex("01 00 00 00 00 00"));
}

TEST_F(BinarySessionTest, MiscRangeOnTreeStopsBeforeEnd) {
  Open("%");
  for (const char* k : {"a", "b", "c", "d", "e"}) ASSERT_TRUE(engine_->Put(k, "1").ok());
  EXPECT_EQ(Feed(MiscRequest("range", {"b", "0", "d"})), MiscReply({"b", "1", "c", "1"}));
  EXPECT_EQ(Feed(MiscRequest("range", {"b", "1"})), MiscReply({"b", "1"}));
}

TEST_F(BinarySessionTest, IteratorsOfTwoConnectionsAreIndependent) {
  for (const char* k : {"a", "b", "c"}) ASSERT_TRUE(engine_->Put(k, "1").ok());
  BinarySession one(&context_, 5), two(&context_, 6);
  EXPECT_EQ(Feed(one, Hex("C8 50")), Hex("00"));
  EXPECT_EQ(Feed(two, Hex("C8 50")), Hex("00"));
  std::vector<std::string> keys_one, keys_two;
  for (int i = 0; i < 3; ++i) {
    keys_one.push_back(Feed(one, Hex("C8 51")).substr(5));
    keys_two.push_back(Feed(two, Hex("C8 51")).substr(5));
  }
  EXPECT_EQ(Feed(one, Hex("C8 51")), Hex("01"));
  std::sort(keys_one.begin(), keys_one.end());
  std::sort(keys_two.begin(), keys_two.end());
  EXPECT_EQ(keys_one, (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_EQ(keys_two, keys_one);
}

TEST_F(BinarySessionTest, FwmkeysHonoursMax) {
  Open("%");
  for (const char* k : {"pa", "pb", "pc", "q"}) ASSERT_TRUE(engine_->Put(k, "1").ok());
  EXPECT_EQ(Feed(Hex("C8 58 00 00 00 01 FF FF FF FF 70")),
            Hex("00 00 00 00 03 00 00 00 02 70 61 00 00 00 02 70 62 00 00 00 02 70 63"));
  EXPECT_EQ(Feed(Hex("C8 58 00 00 00 01 00 00 00 01 70")), Hex("00 00 00 00 01 00 00 00 02 70 61"));
  EXPECT_EQ(Feed(Hex("C8 58 00 00 00 01 00 00 00 00 70")), Hex("00 00 00 00 00"));
}

TEST_F(BinarySessionTest, FwmkeysOnAHashDatabaseRunsOffTheEventLoop) {
  for (const char* k : {"pa", "q"}) ASSERT_TRUE(engine_->Put(k, "1").ok());
  BinarySession session(&context_, 5);
  std::string out;
  size_t consumed = 0;
  std::string request = Hex("C8 58 00 00 00 01 FF FF FF FF 70");
  EXPECT_EQ(session.Process(request, &consumed, &out), ProtocolSession::Result::kDeferred);
  EXPECT_EQ(consumed, request.size());
  ProtocolSession::DeferredWork work = session.TakeDeferred();
  ASSERT_TRUE(work);
  EXPECT_EQ(work(), Hex("00 00 00 00 01 00 00 00 02 70 61"));
}

TEST_F(BinarySessionTest, FwmkeysReplyStopsAtTheValueLimit) {
  Open("%");
  context_.limits.max_value = 10;
  for (const char* k : {"p1", "p2", "p3", "p4"}) ASSERT_TRUE(engine_->Put(k, "1").ok());
  // 6 bytes per key: the reply stops once it holds 10 bytes, after two keys.
  EXPECT_EQ(Feed(Hex("C8 58 00 00 00 01 FF FF FF FF 70")),
            Hex("00 00 00 00 02 00 00 00 02 70 31 00 00 00 02 70 32"));
}

TEST_F(BinarySessionTest, StatListsTheOriginalsFieldsInOrder) {
  std::string reply = Feed(Hex("C8 88"));
  ASSERT_GE(reply.size(), 5u);
  std::string text = reply.substr(5);
  EXPECT_EQ(DecodeU32(reply.data() + 1), text.size());
  size_t last = 0;
  for (const char* field : {"version\t", "libver\t", "protver\t", "os\t", "time\t", "pid\t", "sid\t",
                            "type\t", "rnum\t", "size\t", "bigend\t", "fd\t", "loadavg\t",
                            "ru_real\t", "cnt_put\t", "cnt_repl\t", "cnt_put_miss\t",
                            "cnt_get_miss\t"}) {
    size_t at = text.find(std::string("\n") + field);
    if (std::string(field) == "version\t") at = text.rfind(field, 0) == 0 ? 0 : std::string::npos;
    ASSERT_NE(at, std::string::npos) << field;
    EXPECT_GE(at, last) << field;
    last = at;
  }
  EXPECT_NE(text.find("type\ton-memory hash\n"), std::string::npos);
}

TEST_F(BinarySessionTest, RestoreReplaysAnotherServersLog) {
  char pattern[] = "/tmp/tt-restore-XXXXXX";
  std::string dir = mkdtemp(pattern);
  {
    TimestampClock clock;
    std::unique_ptr<Store> store;
    ASSERT_TRUE(OpenStore({.name = "*"}, &store).ok());
    UlogWriterOptions options;
    options.dir = dir;
    options.clock = &clock;
    std::unique_ptr<UlogWriter> ulog;
    ASSERT_TRUE(UlogWriter::Open(options, &ulog).ok());
    Engine source({.store = store.get(), .ulog = ulog.get(), .clock = &clock, .sid = 4});
    int32_t sum;
    ASSERT_TRUE(source.Put("a", "1").ok());
    ASSERT_TRUE(source.AddInt("n", 7, &sum).ok());
    ASSERT_TRUE(source.Put("gone", "x").ok());
    ASSERT_TRUE(source.Out("gone").ok());
  }
  std::string request = Hex("C8 74");
  PutU32(&request, static_cast<uint32_t>(dir.size()));
  PutU64(&request, 0);
  PutU32(&request, 1);  // consistency check
  request += dir;
  EXPECT_EQ(Feed(request), Hex("00"));
  std::string value;
  EXPECT_TRUE(engine_->Get("a", &value).ok());
  EXPECT_EQ(value, "1");
  EXPECT_TRUE(engine_->Get("n", &value).ok());
  EXPECT_EQ(value, std::string("\x07\x00\x00\x00", 4));
  EXPECT_TRUE(engine_->Get("gone", &value).IsNotFound());
  // Replaying the same effects again changes nothing and stays consistent.
  EXPECT_EQ(Feed(request), Hex("00"));
  EXPECT_EQ(engine_->Count(), 2u);
  std::filesystem::remove_all(dir);
}

TEST_F(BinarySessionTest, SetmstRecordsTheMaster) {
  std::string request = Hex("C8 78");
  PutU32(&request, 9);
  PutU32(&request, 1979);
  PutU64(&request, 123);
  PutU32(&request, 1);
  request += "127.0.0.1";
  EXPECT_EQ(Feed(request), Hex("00"));
  MasterSettings::Snapshot master = master_.Get();
  EXPECT_EQ(master.host, "127.0.0.1");
  EXPECT_EQ(master.port, 1979);
  EXPECT_EQ(master.start_ts, 123u);
  EXPECT_EQ(master.opts, 1u);
}

}  // namespace
}  // namespace tt
