// MemcachedBinarySession over a real Engine (session_fixture.h). Expected
// bytes are those memcached 1.6.18 sends for the same requests.
#include "ttserver/memcached/memcached_binary_session.h"

#include <gtest/gtest.h>

#include <ctime>
#include <vector>

#include "common/coding.h"
#include "common/commands.h"
#include "common/hex.h"
#include "tests/ttserver/session_fixture.h"

namespace tt {
namespace {

constexpr uint32_t kOpaque = 0xdeadbeef;

// Opcodes, as memcached numbers them.
enum : uint8_t {
  kGet = 0x00,
  kSet = 0x01,
  kAdd = 0x02,
  kReplace = 0x03,
  kDelete = 0x04,
  kIncr = 0x05,
  kDecr = 0x06,
  kQuit = 0x07,
  kFlush = 0x08,
  kGetQ = 0x09,
  kNoop = 0x0a,
  kVersion = 0x0b,
  kGetK = 0x0c,
  kGetKQ = 0x0d,
  kAppend = 0x0e,
  kPrepend = 0x0f,
  kStat = 0x10,
  kSetQ = 0x11,
  kAddQ = 0x12,
  kReplaceQ = 0x13,
  kDeleteQ = 0x14,
  kIncrQ = 0x15,
  kDecrQ = 0x16,
  kQuitQ = 0x17,
  kFlushQ = 0x18,
  kAppendQ = 0x19,
  kPrependQ = 0x1a,
  kTouch = 0x1c,
  kGat = 0x1d,
  kGatQ = 0x1e,
  kGatK = 0x23,
  kGatKQ = 0x24
};

// Statuses.
enum : uint16_t {
  kOk = 0x0000,
  kNotFound = 0x0001,
  kExists = 0x0002,
  kTooBig = 0x0003,
  kInvalid = 0x0004,
  kNotStored = 0x0005,
  kBadDelta = 0x0006,
  kAuth = 0x0020,
  kUnknown = 0x0081
};

struct Packet {
  uint8_t magic = 0x80;
  uint8_t opcode = 0;
  std::string key = "";
  std::string extras = "";
  std::string value = "";
  uint64_t cas = 0;
  uint32_t opaque = kOpaque;
  uint16_t status = 0;  // responses
};

// The wire bytes of `p`; `body_length` overrides the total body field.
std::string Encode(const Packet& p, int64_t body_length = -1) {
  std::string out;
  PutU8(&out, p.magic);
  PutU8(&out, p.opcode);
  PutU16(&out, static_cast<uint16_t>(p.key.size()));
  PutU8(&out, static_cast<uint8_t>(p.extras.size()));
  PutU8(&out, 0);
  PutU16(&out, p.status);
  PutU32(&out,
         static_cast<uint32_t>(body_length >= 0 ? body_length
                                                : p.extras.size() + p.key.size() + p.value.size()));
  PutU32(&out, p.opaque);
  PutU64(&out, p.cas);
  return out + p.extras + p.key + p.value;
}

std::string Request(uint8_t opcode, std::string key = "", std::string extras = "",
                    std::string value = "", uint64_t cas = 0) {
  return Encode({.opcode = opcode, .key = key, .extras = extras, .value = value, .cas = cas});
}

std::string StoreExtras(uint32_t flags, uint32_t exptime) {
  std::string out;
  PutU32(&out, flags);
  PutU32(&out, exptime);
  return out;
}

std::string DeltaExtras(uint64_t delta, uint64_t initial, uint32_t exptime) {
  std::string out;
  PutU64(&out, delta);
  PutU64(&out, initial);
  PutU32(&out, exptime);
  return out;
}

std::string U32(uint32_t v) {
  std::string out;
  PutU32(&out, v);
  return out;
}

std::string U64(uint64_t v) {
  std::string out;
  PutU64(&out, v);
  return out;
}

// A response's bytes, for exact comparisons.
std::string Response(uint8_t opcode, uint16_t status, std::string value = "",
                     std::string extras = "", std::string key = "", uint64_t cas = 0) {
  return Encode({.magic = 0x81,
                 .opcode = opcode,
                 .key = key,
                 .extras = extras,
                 .value = value,
                 .cas = cas,
                 .status = status});
}

// Splits reply bytes into packets; a malformed or cut reply fails the test.
std::vector<Packet> Decode(std::string_view bytes) {
  std::vector<Packet> packets;
  ByteReader reader(bytes);
  while (reader.remaining() > 0) {
    Packet p;
    uint16_t key_length, status;
    uint8_t extras_length, data_type;
    uint32_t body_length;
    if (!reader.ReadU8(&p.magic) || !reader.ReadU8(&p.opcode) || !reader.ReadU16(&key_length) ||
        !reader.ReadU8(&extras_length) || !reader.ReadU8(&data_type) || !reader.ReadU16(&status) ||
        !reader.ReadU32(&body_length) || !reader.ReadU32(&p.opaque) || !reader.ReadU64(&p.cas)) {
      ADD_FAILURE() << "cut response header";
      break;
    }
    std::string_view body;
    if (p.magic != 0x81 || data_type != 0 || extras_length + key_length > body_length ||
        !reader.ReadBytes(body_length, &body)) {
      ADD_FAILURE() << "malformed response";
      break;
    }
    p.status = status;
    p.extras = body.substr(0, extras_length);
    p.key = body.substr(extras_length, key_length);
    p.value = body.substr(extras_length + key_length);
    packets.push_back(p);
  }
  return packets;
}

class MemcachedBinarySessionTest : public testing::SessionFixture {
 protected:
  // Feeds `in` to the session, as a connection would; returns the replies.
  std::string Run(std::string_view in) { return Feed(session_, in, &result_, &consumed_); }
  // Feeds `in` and returns the one reply packet it produces.
  Packet RunOne(std::string_view in) {
    std::vector<Packet> replies = Decode(Run(in));
    EXPECT_EQ(replies.size(), 1u);
    return replies.empty() ? Packet{} : replies[0];
  }
  // Stores `value` under `key` (flags 0, no expiry) and returns its CAS.
  uint64_t Set(const std::string& key, const std::string& value, uint32_t flags = 0) {
    Packet reply = RunOne(Request(kSet, key, StoreExtras(flags, 0), value));
    EXPECT_EQ(reply.status, kOk);
    EXPECT_NE(reply.cas, 0u);
    return reply.cas;
  }

  MemcachedBinarySession session_{&context_, -1};
  ProtocolSession::Result result_ = ProtocolSession::Result::kContinue;
  size_t consumed_ = 0;
};

TEST_F(MemcachedBinarySessionTest, NoopRepliesWithAHeaderEchoingTheOpaque) {
  EXPECT_EQ(Run(Request(kNoop)), Response(kNoop, kOk));
  EXPECT_EQ(result_, ProtocolSession::Result::kContinue);
  EXPECT_FALSE(session_.MidRequest());
}

TEST_F(MemcachedBinarySessionTest, VersionRepliesWithTheServerVersion) {
  EXPECT_EQ(Run(Request(kVersion)), Response(kVersion, kOk, std::string(mc::kMemcachedVersion)));
}

TEST_F(MemcachedBinarySessionTest, SetThenGetReturnsFlagsValueAndCas) {
  const uint64_t cas = Set("foo", "bar", 0xcafe);
  EXPECT_EQ(Run(Request(kGet, "foo")), Response(kGet, kOk, "bar", U32(0xcafe), "", cas));
  EXPECT_EQ(Run(Request(kGetK, "foo")), Response(kGetK, kOk, "bar", U32(0xcafe), "foo", cas));
  const uint64_t second = Set("foo", "baz");
  EXPECT_NE(second, cas);
  EXPECT_EQ(Run(Request(kGet, "foo")), Response(kGet, kOk, "baz", U32(0), "", second));
}

TEST_F(MemcachedBinarySessionTest, EmptyValueIsStored) {
  const uint64_t cas = Set("empty", "");
  EXPECT_EQ(Run(Request(kGet, "empty")), Response(kGet, kOk, "", U32(0), "", cas));
}

TEST_F(MemcachedBinarySessionTest, GetMissSaysNotFoundAndGetkMissEchoesTheKey) {
  EXPECT_EQ(Run(Request(kGet, "nope")), Response(kGet, kNotFound, "Not found"));
  EXPECT_EQ(Run(Request(kGetK, "nope")), Response(kGetK, kNotFound, "", "", "nope"));
}

TEST_F(MemcachedBinarySessionTest, QuietGetsReportHitsOnly) {
  const uint64_t cas = Set("hit", "v", 7);
  const std::string replies = Run(Request(kGetQ, "miss") + Request(kGetKQ, "miss") +
                                  Request(kGetQ, "hit") + Request(kGetKQ, "hit") + Request(kNoop));
  EXPECT_EQ(replies, Response(kGetQ, kOk, "v", U32(7), "", cas) +
                         Response(kGetKQ, kOk, "v", U32(7), "hit", cas) + Response(kNoop, kOk));
}

TEST_F(MemcachedBinarySessionTest, QuietWritesAreSilentOnSuccess) {
  Set("counter", "1");
  const std::string replies = Run(
      Request(kSetQ, "a", StoreExtras(0, 0), "1") + Request(kAddQ, "b", StoreExtras(0, 0), "2") +
      Request(kReplaceQ, "a", StoreExtras(0, 0), "3") + Request(kAppendQ, "a", "", "4") +
      Request(kPrependQ, "a", "", "5") + Request(kDeleteQ, "b") +
      Request(kIncrQ, "counter", DeltaExtras(1, 0, 0)) +
      Request(kDecrQ, "counter", DeltaExtras(1, 0, 0)) + Request(kNoop));
  EXPECT_EQ(replies, Response(kNoop, kOk));
  EXPECT_EQ(Decode(Run(Request(kGet, "a")))[0].value, "534");
  EXPECT_EQ(Decode(Run(Request(kGet, "b")))[0].status, kNotFound);
  EXPECT_EQ(Decode(Run(Request(kGet, "counter")))[0].value, "1");
}

TEST_F(MemcachedBinarySessionTest, QuietWritesStillReportErrors) {
  Set("a", "x");
  Set("word", "abc");
  const std::string replies =
      Run(Request(kAddQ, "a", StoreExtras(0, 0), "1") +
          Request(kReplaceQ, "none", StoreExtras(0, 0), "1") + Request(kAppendQ, "none", "", "1") +
          Request(kPrependQ, "none", "", "1") + Request(kDeleteQ, "none") +
          Request(kIncrQ, "word", DeltaExtras(1, 0, 0)) +
          Request(kSetQ, "a", StoreExtras(0, 0), "1", 12345) + Request(kNoop));
  EXPECT_EQ(replies,
            Response(kAddQ, kExists, "Data exists for key.") +
                Response(kReplaceQ, kNotFound, "Not found") +
                Response(kAppendQ, kNotStored, "Not stored.") +
                Response(kPrependQ, kNotStored, "Not stored.") +
                Response(kDeleteQ, kNotFound, "Not found") +
                Response(kIncrQ, kBadDelta, "Non-numeric server-side value for incr or decr") +
                Response(kSetQ, kExists, "Data exists for key.") + Response(kNoop, kOk));
}

TEST_F(MemcachedBinarySessionTest, AddReplaceAppendPrependFollowMemcached) {
  Packet added = RunOne(Request(kAdd, "k", StoreExtras(3, 0), "mid"));
  EXPECT_EQ(added.status, kOk);
  EXPECT_NE(added.cas, 0u);
  EXPECT_EQ(Run(Request(kAdd, "k", StoreExtras(0, 0), "x")),
            Response(kAdd, kExists, "Data exists for key."));
  EXPECT_EQ(Run(Request(kReplace, "none", StoreExtras(0, 0), "x")),
            Response(kReplace, kNotFound, "Not found"));
  EXPECT_EQ(Run(Request(kAppend, "none", "", "x")), Response(kAppend, kNotStored, "Not stored."));
  Packet appended = RunOne(Request(kAppend, "k", "", ">"));
  EXPECT_EQ(appended.status, kOk);
  EXPECT_NE(appended.cas, added.cas);
  EXPECT_EQ(RunOne(Request(kPrepend, "k", "", "<")).status, kOk);
  Packet got = RunOne(Request(kGet, "k"));
  EXPECT_EQ(got.value, "<mid>");
  EXPECT_EQ(got.extras, U32(3));  // append and prepend keep the flags
  EXPECT_EQ(RunOne(Request(kReplace, "k", StoreExtras(4, 0), "new")).status, kOk);
  EXPECT_EQ(RunOne(Request(kGet, "k")).value, "new");
}

TEST_F(MemcachedBinarySessionTest, CasInRequestsIsHonoured) {
  const uint64_t cas = Set("k", "v1");
  EXPECT_EQ(Run(Request(kSet, "k", StoreExtras(0, 0), "x", cas + 1)),
            Response(kSet, kExists, "Data exists for key."));
  EXPECT_EQ(Run(Request(kSet, "none", StoreExtras(0, 0), "x", cas)),
            Response(kSet, kNotFound, "Not found"));
  // An add or replace with a CAS is a cas, as in memcached.
  EXPECT_EQ(Run(Request(kAdd, "none", StoreExtras(0, 0), "x", cas)),
            Response(kAdd, kNotFound, "Not found"));
  Packet replaced = RunOne(Request(kAdd, "k", StoreExtras(0, 0), "v2", cas));
  EXPECT_EQ(replaced.status, kOk);
  EXPECT_NE(replaced.cas, cas);
  EXPECT_EQ(Run(Request(kAppend, "k", "", "!", cas)),
            Response(kAppend, kExists, "Data exists for key."));
  EXPECT_EQ(Run(Request(kAppend, "none", "", "!", cas)),
            Response(kAppend, kNotStored, "Not stored."));
  Packet got = RunOne(Request(kGet, "k"));
  EXPECT_EQ(got.value, "v2");
  EXPECT_EQ(got.cas, replaced.cas);
  EXPECT_EQ(Run(Request(kDelete, "k", "", "", cas)),
            Response(kDelete, kExists, "Data exists for key."));
  EXPECT_EQ(Run(Request(kDelete, "k", "", "", replaced.cas)), Response(kDelete, kOk));
  EXPECT_EQ(Run(Request(kDelete, "k")), Response(kDelete, kNotFound, "Not found"));
}

TEST_F(MemcachedBinarySessionTest, IncrCreatesAMissingCounterWithTheInitialValue) {
  Packet created = RunOne(Request(kIncr, "n", DeltaExtras(5, 100, 0)));
  EXPECT_EQ(created.status, kOk);
  EXPECT_EQ(created.value, U64(100));
  EXPECT_NE(created.cas, 0u);
  Packet incremented = RunOne(Request(kIncr, "n", DeltaExtras(5, 100, 0)));
  EXPECT_EQ(incremented.value, U64(105));
  EXPECT_EQ(RunOne(Request(kGet, "n")).cas, incremented.cas);
  EXPECT_EQ(RunOne(Request(kDecr, "n", DeltaExtras(1000, 0, 0))).value, U64(0));
  EXPECT_EQ(RunOne(Request(kGet, "n")).value, "0");
  EXPECT_EQ(Run(Request(kIncr, "n", DeltaExtras(1, 0, 0), "", incremented.cas)),
            Response(kIncr, kExists, "Data exists for key."));
}

TEST_F(MemcachedBinarySessionTest, IncrWithAllOnesExpirationDoesNotCreate) {
  EXPECT_EQ(Run(Request(kIncr, "n", DeltaExtras(5, 100, 0xffffffff))),
            Response(kIncr, kNotFound, "Not found"));
  EXPECT_EQ(Run(Request(kDecr, "n", DeltaExtras(5, 100, 0xffffffff))),
            Response(kDecr, kNotFound, "Not found"));
  EXPECT_EQ(RunOne(Request(kGet, "n")).status, kNotFound);
}

TEST_F(MemcachedBinarySessionTest, IncrOfANonNumberIsRefused) {
  Set("word", "abc");
  EXPECT_EQ(Run(Request(kIncr, "word", DeltaExtras(1, 0, 0))),
            Response(kIncr, kBadDelta, "Non-numeric server-side value for incr or decr"));
}

TEST_F(MemcachedBinarySessionTest, TouchAndGatKeepTheCasAndReturnFlags) {
  const uint64_t cas = Set("k", "v", 9);
  EXPECT_EQ(Run(Request(kTouch, "k", U32(100))), Response(kTouch, kOk, "", U32(9), "", cas));
  EXPECT_EQ(Run(Request(kGat, "k", U32(100))), Response(kGat, kOk, "v", U32(9), "", cas));
  EXPECT_EQ(Run(Request(kGatK, "k", U32(100))), Response(kGatK, kOk, "v", U32(9), "k", cas));
  EXPECT_EQ(Run(Request(kTouch, "none", U32(100))), Response(kTouch, kNotFound, "Not found"));
  EXPECT_EQ(Run(Request(kGatK, "none", U32(100))), Response(kGatK, kNotFound, "", "", "none"));
  EXPECT_EQ(Run(Request(kGatQ, "none", U32(100)) + Request(kGatKQ, "none", U32(100)) +
                Request(kGatQ, "k", U32(100)) + Request(kNoop)),
            Response(kGatQ, kOk, "v", U32(9), "", cas) + Response(kNoop, kOk));
}

TEST_F(MemcachedBinarySessionTest, TouchInThePastExpiresTheItem) {
  Set("k", "v");
  // An absolute exptime (more than 30 days) long gone.
  EXPECT_EQ(RunOne(Request(kTouch, "k", U32(1000000000))).status, kOk);
  EXPECT_EQ(RunOne(Request(kGet, "k")).status, kNotFound);
}

TEST_F(MemcachedBinarySessionTest, FlushRunsAsDeferredWork) {
  Set("a", "1");
  Set("b", "2");
  std::string out;
  size_t consumed = 0;
  const std::string in = Request(kNoop) + Request(kFlush) + Request(kNoop);
  EXPECT_EQ(session_.Process(in, &consumed, &out), ProtocolSession::Result::kDeferred);
  EXPECT_EQ(consumed, 2 * 24u);
  EXPECT_EQ(out, Response(kNoop, kOk));  // the replies before the flush only
  ProtocolSession::DeferredWork work = session_.TakeDeferred();
  ASSERT_TRUE(work);
  EXPECT_FALSE(session_.TakeDeferred());
  EXPECT_EQ(work(), Response(kFlush, kOk));
  EXPECT_EQ(engine_->Count(), 0u);
  EXPECT_EQ(Run(Request(kFlushQ) + Request(kNoop)), Response(kNoop, kOk));
}

TEST_F(MemcachedBinarySessionTest, FlushWithADelaySchedulesIt) {
  Set("a", "1");
  const int64_t before = static_cast<int64_t>(time(nullptr));
  std::string out;
  size_t consumed = 0;
  EXPECT_EQ(session_.Process(Request(kFlush, "", U32(100)), &consumed, &out),
            ProtocolSession::Result::kContinue);
  EXPECT_EQ(out, Response(kFlush, kOk));
  EXPECT_GE(memcache_.flush_deadline(), before + 100);
  EXPECT_LE(memcache_.flush_deadline(), static_cast<int64_t>(time(nullptr)) + 100);
  EXPECT_EQ(RunOne(Request(kGet, "a")).value, "1");
}

TEST_F(MemcachedBinarySessionTest, StatSendsPairsThenAnEmptyPacket) {
  std::vector<Packet> replies = Decode(Run(Request(kStat)));
  ASSERT_GE(replies.size(), 2u);
  for (size_t i = 0; i + 1 < replies.size(); ++i) {
    EXPECT_EQ(replies[i].opcode, kStat);
    EXPECT_EQ(replies[i].status, kOk);
    EXPECT_EQ(replies[i].opaque, kOpaque);
    EXPECT_FALSE(replies[i].key.empty());
  }
  EXPECT_EQ(Encode(replies.back()), Response(kStat, kOk));
  std::vector<Packet> settings = Decode(Run(Request(kStat, "settings")));
  EXPECT_GE(settings.size(), 2u);
  EXPECT_EQ(Run(Request(kStat, "nosuchgroup")), Response(kStat, kNotFound, "Not found"));
}

TEST_F(MemcachedBinarySessionTest, StatResetZeroesTheCountersAndSendsOnlyTheEnd) {
  Run(Request(kGet, "a") + Request(kGet, "b"));
  ASSERT_EQ(stats_.CommandCount(kCmdGet), 2u);
  EXPECT_EQ(Run(Request(kStat, "reset")), Response(kStat, kOk));
  EXPECT_EQ(stats_.CommandCount(kCmdGet), 0u);
}

TEST_F(MemcachedBinarySessionTest, QuitRepliesAndClosesQuitqJustCloses) {
  EXPECT_EQ(Run(Request(kQuit) + Request(kNoop)), Response(kQuit, kOk));
  EXPECT_EQ(result_, ProtocolSession::Result::kClose);
  MemcachedBinarySession other(&context_, -1);
  EXPECT_EQ(Feed(other, Request(kQuitQ) + Request(kNoop), &result_), "");
  EXPECT_EQ(result_, ProtocolSession::Result::kClose);
}

TEST_F(MemcachedBinarySessionTest, UnknownOpcodeIsAnsweredAndItsBodySkipped) {
  EXPECT_EQ(Run(Request(0x50, "", "", "xyz") + Request(0x20) + Request(kNoop)),
            Response(0x50, kUnknown, "Unknown command") +
                Response(0x20, kUnknown, "Unknown command") + Response(kNoop, kOk));
  EXPECT_EQ(result_, ProtocolSession::Result::kContinue);
}

TEST_F(MemcachedBinarySessionTest, OnePacketFedByteByByte) {
  const std::string set = Request(kSet, "key", StoreExtras(5, 0), "value");
  std::string out;
  for (size_t i = 0; i + 1 < set.size(); ++i) {
    size_t consumed = 0;
    EXPECT_EQ(session_.Process(std::string_view(set).substr(0, i + 1), &consumed, &out),
              ProtocolSession::Result::kContinue);
    EXPECT_EQ(consumed, 0u);
    EXPECT_TRUE(session_.MidRequest());
  }
  EXPECT_EQ(out, "");
  ProtocolSession::Result result;
  std::vector<Packet> replies =
      Decode(FeedByteByByte(session_, set + Request(kGetK, "key") + Request(kNoop), &result));
  EXPECT_EQ(result, ProtocolSession::Result::kContinue);
  EXPECT_FALSE(session_.MidRequest());
  ASSERT_EQ(replies.size(), 3u);
  EXPECT_EQ(replies[0].opcode, kSet);
  EXPECT_EQ(replies[0].status, kOk);
  EXPECT_EQ(Encode(replies[1]), Response(kGetK, kOk, "value", U32(5), "key", replies[0].cas));
  EXPECT_EQ(Encode(replies[2]), Response(kNoop, kOk));
}

TEST_F(MemcachedBinarySessionTest, PipelinedRequestsEndingWithNoop) {
  std::vector<Packet> replies = Decode(
      Run(Request(kSet, "a", StoreExtras(0, 0), "1") + Request(kSetQ, "b", StoreExtras(0, 0), "2") +
          Request(kGetQ, "missing") + Request(kGetKQ, "b") + Request(kGet, "a") +
          Request(kIncr, "c", DeltaExtras(1, 7, 0)) + Request(kDelete, "a") + Request(kNoop)));
  EXPECT_EQ(consumed_, 8 * 24u + 2 * 8 + 20 + 2 + 7 + 2 + 1 + 1 + 1 + 1);
  ASSERT_EQ(replies.size(), 6u);
  EXPECT_EQ(replies[0].opcode, kSet);
  EXPECT_EQ(replies[1].opcode, kGetKQ);
  EXPECT_EQ(replies[1].value, "2");
  EXPECT_EQ(replies[2].opcode, kGet);
  EXPECT_EQ(replies[2].value, "1");
  EXPECT_EQ(replies[3].value, U64(7));
  EXPECT_EQ(replies[4].opcode, kDelete);
  EXPECT_EQ(replies[4].status, kOk);
  EXPECT_EQ(replies[5].opcode, kNoop);
}

TEST_F(MemcachedBinarySessionTest, RepliesAreCutIntoBatches) {
  context_.limits.mc_item_max = 2 << 20;
  Set("big", std::string(1 << 20, 'x'));
  std::string in;
  for (int i = 0; i < 6; ++i) in += Request(kGet, "big");
  std::string out;
  size_t consumed = 0;
  EXPECT_EQ(session_.Process(in, &consumed, &out), ProtocolSession::Result::kContinue);
  EXPECT_LT(consumed, in.size());
  EXPECT_GE(out.size(), kReplyBatchBytes);
  EXPECT_FALSE(session_.MidRequest());
  EXPECT_EQ(Decode(Run(in.substr(consumed))).size() + Decode(out).size(), 6u);
}

TEST_F(MemcachedBinarySessionTest, AQuietGetPipelineIsCutIntoBatchesToo) {
  // Each packet names one key, so one call answers at most a batch plus one item.
  const std::string value(100 * 1024, 'x');
  Set("big", value);
  std::string in;
  for (int i = 0; i < 100; ++i) in += Request(kGetQ, "big");
  in += Request(kNoop);
  std::string out;
  size_t consumed = 0;
  EXPECT_EQ(session_.Process(in, &consumed, &out), ProtocolSession::Result::kContinue);
  EXPECT_GE(out.size(), kReplyBatchBytes);
  EXPECT_LT(out.size(), kReplyBatchBytes + 24 + 4 + value.size());
  EXPECT_FALSE(session_.MidRequest());
  std::vector<Packet> replies = Decode(out + Run(std::string_view(in).substr(consumed)));
  ASSERT_EQ(replies.size(), 101u);
  EXPECT_EQ(replies[99].value, value);
  EXPECT_EQ(replies[100].opcode, kNoop);
}

// Another magic starts a request of another protocol (0x81: a memcached text
// line): the session stops before it, for the connection's ProtocolSwitch.
TEST_F(MemcachedBinarySessionTest, StopsBeforeAnotherMagic) {
  Packet other{.magic = 0x81, .opcode = kGet, .key = "k"};
  EXPECT_EQ(Run(Request(kNoop) + Encode(other) + Request(kNoop)), Response(kNoop, kOk));
  EXPECT_EQ(result_, ProtocolSession::Result::kContinue);
  EXPECT_EQ(consumed_, 24u);
  EXPECT_FALSE(session_.MidRequest());
}

TEST_F(MemcachedBinarySessionTest, KeyAndExtrasLongerThanTheBodyClose) {
  EXPECT_EQ(Run(Encode({.opcode = kGet, .key = "foo"}, 2) + Request(kNoop)),
            Response(kGet, kUnknown, "Unknown command"));
  EXPECT_EQ(result_, ProtocolSession::Result::kClose);
}

TEST_F(MemcachedBinarySessionTest, KeyOfMoreThan250BytesIsRefusedAndCloses) {
  EXPECT_EQ(RunOne(Request(kSet, std::string(250, 'k'), StoreExtras(0, 0), "v")).status, kOk);
  EXPECT_EQ(Run(Request(kGet, std::string(251, 'k')) + Request(kNoop)),
            Response(kGet, kInvalid, "Invalid arguments"));
  EXPECT_EQ(result_, ProtocolSession::Result::kClose);
}

TEST_F(MemcachedBinarySessionTest, KeyAboveMaxKeyIsRefusedAndCloses) {
  context_.limits.max_key = 8;
  EXPECT_EQ(RunOne(Request(kGet, std::string(8, 'k'))).status, kNotFound);
  EXPECT_EQ(Run(Request(kGet, std::string(9, 'k'))), Response(kGet, kInvalid, "Invalid arguments"));
  EXPECT_EQ(result_, ProtocolSession::Result::kClose);
}

TEST_F(MemcachedBinarySessionTest, LengthsThatDoNotFitTheOpcodeClose) {
  const std::string bad[] = {
      Request(kGet, "foo", "abcd"),
      Request(kGet, "foo", "", "v"),
      Request(kGet),
      Request(kSet, "foo", "", "bar"),
      Request(kSet, "", StoreExtras(0, 0), "bar"),
      Request(kNoop, "", "", "x"),
      Request(kVersion, "x"),
      Request(kAppend, "foo", "abcd", "x"),
      Request(kIncr, "foo", "abcd"),
      Request(kIncr, "foo", DeltaExtras(1, 1, 1), "x"),
      Request(kDelete, "foo", "abcd"),
      Request(kDelete, "foo", "", "x"),
      Request(kFlush, "", "ab"),
      Request(kFlush, "k"),
      Request(kTouch, "foo"),
      Request(kTouch, "foo", U32(1), "xx"),
      Request(kStat, "", "abcd"),
      Request(kStat, "", "", "xx"),
      Request(kQuit, "x"),
      Request(kQuitQ, "x"),
  };
  for (const std::string& request : bad) {
    MemcachedBinarySession session(&context_, -1);
    ProtocolSession::Result result;
    std::vector<Packet> replies = Decode(Feed(session, request + Request(kNoop), &result));
    ASSERT_EQ(replies.size(), 1u) << HexSpaced(request);
    EXPECT_EQ(Encode(replies[0]),
              Response(static_cast<uint8_t>(request[1]), kInvalid, "Invalid arguments"));
    EXPECT_EQ(result, ProtocolSession::Result::kClose);
  }
}

TEST_F(MemcachedBinarySessionTest, ItemAboveMcItemMaxIsRefusedAndSkipped) {
  context_.limits.mc_item_max = 11;  // a 1-byte key and 10 bytes of value
  Set("k", "small");
  const std::string value(20, 'x');
  const std::string set = Request(kSet, "k", StoreExtras(0, 0), value);
  const std::string add = Request(kAddQ, "other", StoreExtras(0, 0), value);
  EXPECT_EQ(Run(set + add + Request(kNoop)), Response(kSet, kTooBig, "Too large.") +
                                                 Response(kAddQ, kTooBig, "Too large.") +
                                                 Response(kNoop, kOk));
  EXPECT_EQ(result_, ProtocolSession::Result::kContinue);
  // memcached drops the old item of a set that failed so.
  EXPECT_EQ(RunOne(Request(kGet, "k")).status, kNotFound);
  Set("k", "small");
  EXPECT_EQ(Run(Request(kAdd, "k", StoreExtras(0, 0), value)),
            Response(kAdd, kTooBig, "Too large."));
  EXPECT_EQ(RunOne(Request(kGet, "k")).value, "small");
  EXPECT_EQ(Run(Request(kAppend, "k", "", value)), Response(kAppend, kTooBig, "Too large."));
  // An append whose result would pass the limit is not stored, as in memcached.
  EXPECT_EQ(Run(Request(kAppend, "k", "", "123456")), Response(kAppend, kNotStored, "Not stored."));
  EXPECT_EQ(RunOne(Request(kGet, "k")).value, "small");
}

TEST_F(MemcachedBinarySessionTest, HugeDeclaredValueIsSkippedAsItArrivesNotBuffered) {
  context_.limits.mc_item_max = 1000;
  const std::string head =
      Encode({.opcode = kSet, .key = "k", .extras = StoreExtras(0, 0)}, 0xffffffff);
  std::string out;
  size_t consumed = 0;
  EXPECT_EQ(session_.Process(head.substr(0, 30), &consumed, &out),
            ProtocolSession::Result::kContinue);
  EXPECT_EQ(consumed, 0u);  // the key is not complete yet
  const std::string chunk = head + std::string(4096, 'x');
  EXPECT_EQ(session_.Process(chunk, &consumed, &out), ProtocolSession::Result::kContinue);
  EXPECT_EQ(consumed, chunk.size());
  EXPECT_EQ(out, Response(kSet, kTooBig, "Too large."));
  EXPECT_TRUE(session_.MidRequest());
}

TEST_F(MemcachedBinarySessionTest, ARefusedValueEndingABatchIsSkippedAndServingGoesOn) {
  // The refusal of a too-large set is the reply that fills the batch; the
  // value has arrived. The session must skip it at once: a connection calls
  // again only while the session is not mid-request, so waiting for bytes
  // already there would leave the noop unanswered.
  context_.limits.mc_item_max = 1000;
  Set("k", std::string(997, 'v'));
  const std::string get = Request(kGet, "k");
  const std::string refusal = Response(kSet, kTooBig, "Too large.");
  const size_t get_reply = 24 + 4 + 997;
  const size_t gets = (kReplyBatchBytes - 1) / get_reply;
  ASSERT_LT(gets * get_reply, kReplyBatchBytes);
  ASSERT_GE(gets * get_reply + refusal.size(), kReplyBatchBytes) << "the refusal fills the batch";
  std::string in;
  for (size_t i = 0; i < gets; ++i) in += get;
  in += Request(kSet, "huge", StoreExtras(0, 0), std::string(2000, 'x')) + Request(kNoop);
  const std::string reply = Run(in);
  EXPECT_EQ(consumed_, in.size());
  EXPECT_EQ(reply.size(), gets * get_reply + refusal.size() + 24);
  EXPECT_TRUE(reply.ends_with(refusal + Response(kNoop, kOk)));
  EXPECT_FALSE(session_.MidRequest());
}

TEST_F(MemcachedBinarySessionTest, MaskedCommandsAnswerAuthFailure) {
  Set("k", "v");
  context_.mask.Apply("put vanish", true);
  EXPECT_EQ(Run(Request(kSetQ, "k", StoreExtras(0, 0), "x") + Request(kTouch, "k", U32(1)) +
                Request(kFlushQ) + Request(kNoop)),
            Response(kSetQ, kAuth, "Auth failure.") + Response(kTouch, kAuth, "Auth failure.") +
                Response(kFlushQ, kAuth, "Auth failure.") + Response(kNoop, kOk));
  EXPECT_EQ(RunOne(Request(kGet, "k")).value, "v");
  // add is putkeep and append putcat, which are not masked; replace is put.
  EXPECT_EQ(RunOne(Request(kAdd, "n", StoreExtras(0, 0), "1")).status, kOk);
  EXPECT_EQ(RunOne(Request(kAppend, "n", "", "2")).status, kOk);
  EXPECT_EQ(RunOne(Request(kReplace, "n", StoreExtras(0, 0), "3")).status, kAuth);
  context_.mask.Apply("allmc", true);
  EXPECT_EQ(Run(Request(kGet, "k")), Response(kGet, kAuth, "Auth failure."));
  EXPECT_EQ(Run(Request(kNoop)), Response(kNoop, kOk));
}

TEST_F(MemcachedBinarySessionTest, AClosedSessionLeavesOthersServing) {
  Set("k", "v");
  // A key longer than the whole body: memcached closes.
  Run(Encode({.opcode = kGet, .key = "k"}, /*body_length=*/0));
  EXPECT_EQ(result_, ProtocolSession::Result::kClose);
  MemcachedBinarySession other(&context_, -1);
  std::vector<Packet> replies = Decode(Feed(other, Request(kGet, "k")));
  ASSERT_EQ(replies.size(), 1u);
  EXPECT_EQ(replies[0].value, "v");
}

}  // namespace
}  // namespace tt
