// memcached exchanges byte for byte as Debian's memcached 1.6 has them (every
// expectation here was checked against it with TT_TEST_REFERENCE=memcached):
// above all the error replies and whether the connection stays usable
// afterwards, since clients match these strings and a closed connection costs
// them a reconnect and every pipelined request; and the meta commands, which
// no client program here exercises.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <thread>

#include "tests/integration/protocol_support.h"

namespace tt::testing {
namespace {

const std::string kLongKey(251, 'k');  // memcached's limit is 250 bytes

class MemcachedExchangeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_ = StartMemcachedProtocolServer(dir_);
    ASSERT_TRUE(server_->started());
  }

  // Sends `request` and expects exactly `want` back (no more within a moment).
  void Exchange(RawConnection& conn, const std::string& request, const std::string& want) {
    ASSERT_TRUE(conn.Send(request));
    EXPECT_EQ(conn.Receive(want.size()), want) << "request: " << request.substr(0, 80);
    EXPECT_EQ(conn.Receive(1, 50), "") << "request: " << request.substr(0, 80);
  }

  // The connection still answers a request after the error.
  void ExpectUsable(RawConnection& conn) {
    ASSERT_TRUE(conn.Send("version\r\n"));
    std::string reply = conn.ReceiveUntil("\r\n");
    EXPECT_TRUE(reply.starts_with("VERSION ") && reply.ends_with("\r\n")) << reply;
  }

  TempDir dir_;
  std::unique_ptr<ServerProcess> server_;
};

TEST_F(MemcachedExchangeTest, UnknownCommandsAreErrorAndKeepTheConnection) {
  RawConnection conn(server_->port());
  // Unknown word, empty line, wrong case (commands are case-sensitive), too
  // few tokens, an unknown stats group.
  for (const char* request :
       {"bogus\r\n", "\r\n", "gET k\r\n", "set k\r\n", "incr k\r\n", "stats bogus\r\n"}) {
    Exchange(conn, request, "ERROR\r\n");
  }
  // A line starting with an upper-case letter is memcached's ERROR, and on
  // ttserver a Redis inline command (memcached's commands are lower case).
  Exchange(conn, "GET k\r\n", AgainstReferenceMemcached() ? "ERROR\r\n" : "$-1\r\n");
  ExpectUsable(conn);
}

TEST_F(MemcachedExchangeTest, BadDataChunkKeepsTheOldValueAndTheConnection) {
  RawConnection conn(server_->port());
  Exchange(conn, "set k 0 0 3\r\nabc\r\n", "STORED\r\n");
  // The block is the announced 3 bytes plus 2 that should be "\r\n"; the
  // next command starts right after those 5 bytes.
  Exchange(conn, "set k 0 0 3\r\nxyzXYget k\r\n",
           "CLIENT_ERROR bad data chunk\r\nVALUE k 0 3\r\nabc\r\nEND\r\n");
  Exchange(conn, "set fresh 0 0 3\r\nabcdeget fresh\r\n", "CLIENT_ERROR bad data chunk\r\nEND\r\n");
  ExpectUsable(conn);
}

TEST_F(MemcachedExchangeTest, KeyOverTwoHundredFiftyBytesIsBadCommandLineFormat) {
  RawConnection conn(server_->port());
  Exchange(conn, "get " + std::string(250, 'k') + "\r\n", "END\r\n");
  for (const std::string& request :
       {"get " + kLongKey + "\r\n", "gets " + kLongKey + "\r\n", "get a " + kLongKey + "\r\n",
        "delete " + kLongKey + "\r\n", "incr " + kLongKey + " 1\r\n",
        "touch " + kLongKey + " 10\r\n"}) {
    Exchange(conn, request, "CLIENT_ERROR bad command line format\r\n");
  }
  ExpectUsable(conn);
  // A storage command: what happens to the data line that follows differs
  // (memcached reads it as a command); only the first reply line is fixed.
  ASSERT_TRUE(conn.Send("set " + kLongKey + " 0 0 1\r\nx\r\nversion\r\n"));
  std::string reply = conn.ReceiveUntil("VERSION ");
  EXPECT_TRUE(reply.starts_with("CLIENT_ERROR bad command line format\r\n")) << reply;
}

// memcached splits a command line on spaces only, so any other byte may be
// part of a key: control bytes (memcaslap's keys start with eight 0x10s),
// tab, CR, DEL, bytes above 0x7F. A NUL ends the line (memcached reads it as
// a C string): what follows it on the line is not seen at all.
TEST_F(MemcachedExchangeTest, KeysMayHoldAnyByteButSpaceAndLineFeed) {
  RawConnection conn(server_->port());
  const std::string slap_key = std::string(8, '\x10') + "zs3j6pu0R";
  Exchange(conn, "set " + slap_key + " 0 0 1\r\nx\r\n", "STORED\r\n");
  Exchange(conn, "get " + slap_key + "\r\n", "VALUE " + slap_key + " 0 1\r\nx\r\nEND\r\n");
  const std::string key = std::string("\x01\t\x7f") + "\xff\r" + "z";
  Exchange(conn, "set " + key + " 5 0 1\r\n7\r\n", "STORED\r\n");
  Exchange(conn, "incr " + key + " 2\r\n", "9\r\n");
  Exchange(conn, "touch " + key + " 100\r\n", "TOUCHED\r\n");
  Exchange(conn, "gat 0 " + slap_key + " " + key + "\r\n",
           "VALUE " + slap_key + " 0 1\r\nx\r\nVALUE " + key + " 5 1\r\n9\r\nEND\r\n");
  Exchange(conn, "append " + key + " 0 0 1\r\n!\r\n", "STORED\r\n");
  Exchange(conn, "delete " + key + "\r\n", "DELETED\r\n");
  // The meta commands read keys the same way.
  Exchange(conn, "ms " + key + " 2 F3\r\nhi\r\n", "HD\r\n");
  Exchange(conn, "mg " + key + " v f k\r\n", "VA 2 f3 k" + key + "\r\nhi\r\n");
  Exchange(conn, "ma " + slap_key + "\x02 N0 J4 v\r\n", "VA 1\r\n4\r\n");
  Exchange(conn, "md " + key + "\r\nmg " + key + " v\r\n", "HD\r\nEN\r\n");
  ASSERT_TRUE(conn.Send("me " + slap_key + "\r\n"));
  const std::string debug = conn.ReceiveUntil("\r\n");
  EXPECT_TRUE(debug.starts_with("ME " + slap_key + " exp=-1 ")) << debug;
  // 250 such bytes are a key; 251 are not.
  const std::string control_key(250, '\x1f');
  Exchange(conn, "set " + control_key + " 0 0 1\r\ny\r\n", "STORED\r\n");
  Exchange(conn, "get " + control_key + "\r\n", "VALUE " + control_key + " 0 1\r\ny\r\nEND\r\n");
  Exchange(conn, "get " + control_key + "\x1f\r\n", "CLIENT_ERROR bad command line format\r\n");
  // "set a\0b 0 0 1" reads as "set a" (too few tokens), then "x" is a command.
  constexpr char kNulInKey[] = "set a\0b 0 0 1\r\nx\r\n";
  Exchange(conn, std::string(kNulInKey, sizeof(kNulInKey) - 1), "ERROR\r\nERROR\r\n");
  ExpectUsable(conn);
}

// There are no slabs to move here; `slabs` answers as a memcached with its
// default slab classes (0, the global pool, to 39) and no spare pages does.
TEST_F(MemcachedExchangeTest, SlabsAutomoveAndReassignAnswerAsMemcached) {
  RawConnection conn(server_->port());
  for (const char* level : {"0", "1", "2", "01", "+1", "4294967297"}) {
    Exchange(conn, std::string("slabs automove ") + level + "\r\n", "OK\r\n");
  }
  Exchange(conn, "slabs automove 1 extra\r\n", "OK\r\n");
  Exchange(conn, "slabs automove 3\r\n", "ERROR\r\n");
  for (const char* level : {"invalid", "-1", "1x", "18446744073709551617"}) {
    Exchange(conn, std::string("slabs automove ") + level + "\r\n",
             "CLIENT_ERROR bad command line format\r\n");
  }
  Exchange(conn, "slabs automove 1 noreply\r\nslabs automove x noreply\r\nmn\r\n", "MN\r\n");
  Exchange(conn, "slabs reassign 1 2\r\nslabs reassign 0 39\r\nslabs reassign 39 1\r\n",
           "NOSPARE source class has no spare pages\r\n"
           "NOSPARE source class has no spare pages\r\n"
           "NOSPARE source class has no spare pages\r\n");
  Exchange(conn, "slabs reassign 1 1\r\nslabs reassign 99 99\r\n",
           "SAME src and dst class are identical\r\nSAME src and dst class are identical\r\n");
  for (const char* classes : {"-1 2", "1 -1", "40 1", "1 40", "2147483648 1"}) {
    Exchange(conn, std::string("slabs reassign ") + classes + "\r\n",
             "BADCLASS invalid src or dst class id\r\n");
  }
  Exchange(conn, "slabs reassign x 2\r\n", "CLIENT_ERROR bad command line format\r\n");
  for (const char* request : {"slabs\r\n", "slabs automove\r\n", "slabs reassign 1\r\n",
                              "slabs reassign 1 2 noreply\r\n", "slabs bogus 1\r\n"}) {
    Exchange(conn, request, "ERROR\r\n");
  }
  ExpectUsable(conn);
}

TEST_F(MemcachedExchangeTest, BadNumbersAreClientErrors) {
  RawConnection conn(server_->port());
  Exchange(conn, "set k 0 0 -1\r\n", "CLIENT_ERROR bad command line format\r\n");
  Exchange(conn, "set k 0 0 abc\r\n", "CLIENT_ERROR bad command line format\r\n");
  Exchange(conn, "delete k 5\r\n",
           "CLIENT_ERROR bad command line format.  Usage: delete <key> [noreply]\r\n");
  Exchange(conn, "set word 0 0 3\r\nabc\r\n", "STORED\r\n");
  Exchange(conn, "incr word 1\r\n",
           "CLIENT_ERROR cannot increment or decrement non-numeric value\r\n");
  Exchange(conn, "set n 0 0 2\r\n10\r\n", "STORED\r\n");
  Exchange(conn, "incr n abc\r\n", "CLIENT_ERROR invalid numeric delta argument\r\n");
  Exchange(conn, "incr n -1\r\n", "CLIENT_ERROR invalid numeric delta argument\r\n");
  ExpectUsable(conn);
}

TEST_F(MemcachedExchangeTest, IncrWrapsAtTwoToTheSixtyFourDecrStopsAtZero) {
  RawConnection conn(server_->port());
  Exchange(conn, "set n 0 0 20\r\n18446744073709551615\r\n", "STORED\r\n");
  Exchange(conn, "incr n 2\r\n", "1\r\n");
  Exchange(conn, "decr n 5\r\n", "0\r\n");
  Exchange(conn, "incr missing 1\r\n", "NOT_FOUND\r\n");
}

TEST_F(MemcachedExchangeTest, ObjectTooLargeSwallowsTheDataAndDropsTheOldValue) {
  RawConnection conn(server_->port());
  Exchange(conn, "set k 0 0 3\r\nabc\r\n", "STORED\r\n");
  // memcached reads and discards the 2 MB block, and unlinks the old value
  // of a failed set so that no stale value survives an update.
  Exchange(conn, "set k 0 0 2000000\r\n" + std::string(2000000, 'v') + "\r\nget k\r\n",
           "SERVER_ERROR object too large for cache\r\nEND\r\n");
  ExpectUsable(conn);
}

TEST_F(MemcachedExchangeTest, MetaCommands) {
  RawConnection conn(server_->port());
  // Set with client flags and no expiry; get value, flags, size and key.
  Exchange(conn, "ms mk 2 F5 T0\r\nhi\r\n", "HD\r\n");
  Exchange(conn, "mg mk v f s k\r\n", "VA 2 f5 s2 kmk\r\nhi\r\n");
  Exchange(conn, "mg missing v\r\n", "EN\r\n");
  // Quiet mode: misses and plain successes are left out; mn ends the batch.
  Exchange(conn, "mg missing v q\r\nmg mk v q O9\r\nmn\r\n", "VA 2 O9\r\nhi\r\nMN\r\n");
  Exchange(conn, "md mk q\r\nmn\r\nmg mk v\r\n", "MN\r\nEN\r\n");
  // Arithmetic: vivify on miss with an initial value, increment, decrement
  // clamped at zero, miss.
  Exchange(conn, "ma cnt N0 J13\r\nma cnt v\r\nma cnt MD D20 v\r\nma nocnt\r\n",
           "HD\r\nVA 2\r\n14\r\nVA 1\r\n0\r\nNF\r\n");
  // Set modes: append to a missing key fails, add (E) only once.
  Exchange(conn,
           "ms mk2 2 MA\r\nhi\r\nms mk2 2 ME\r\nhi\r\nms mk2 2 ME\r\nhi\r\n"
           "ms mk2 1 MA\r\n!\r\nmg mk2 v\r\n",
           "NS\r\nHD\r\nNS\r\nHD\r\nVA 3\r\nhi!\r\n");
  // A base64 key ("mk") names the same item as the plain one.
  Exchange(conn, "ms bWs= 2 b\r\nhi\r\nmg bWs= b v k\r\nmg mk v\r\n",
           "HD\r\nVA 2 kbWs= b\r\nhi\r\nVA 2\r\nhi\r\n");
  // Remaining TTL: none, then set by T and reported by t.
  Exchange(conn, "mg mk v t\r\nmg mk T30 t\r\nmg mk t\r\n",
           "VA 2 t-1\r\nhi\r\nHD t30\r\nHD t30\r\n");
  // Errors.
  Exchange(conn, "mg " + kLongKey + " v\r\n", "CLIENT_ERROR bad command line format\r\n");
  Exchange(conn, "mg mk zz\r\n", "CLIENT_ERROR invalid flag\r\n");
  ExpectUsable(conn);
}

TEST_F(MemcachedExchangeTest, MetaDeleteInvalidateMarksTheItemStale) {
  RawConnection conn(server_->port());
  Exchange(conn, "ms mk 2\r\nhi\r\n", "HD\r\n");
  Exchange(conn, "md mk I T30\r\n", "HD\r\n");
  // Still served, but stale (X) and with the right to recache won (W); the
  // cas value differs between servers, so only its presence is checked.
  ASSERT_TRUE(conn.Send("mg mk v c\r\n"));
  std::string reply = conn.ReceiveUntil("hi\r\n");
  EXPECT_TRUE(reply.starts_with("VA 2 c") && reply.ends_with(" X W\r\nhi\r\n")) << reply;
}

TEST_F(MemcachedExchangeTest, MetaGetWithUDoesNotMarkTheItemFetched) {
  RawConnection conn(server_->port());
  Exchange(conn, "ms uk 3\r\nabc\r\n", "HD\r\n");
  Exchange(conn, "mg uk s t u h\r\n", "HD s3 t-1 h0\r\n");
  Exchange(conn, "mg uk s t h\r\n", "HD s3 t-1 h0\r\n");
  Exchange(conn, "mg uk s t u h\r\n", "HD s3 t-1 h1\r\n");
  Exchange(conn, "mg uk s t h\r\n", "HD s3 t-1 h1\r\n");
}

// `reply` with the number of its c flag (the CAS value differs between
// servers) replaced by "#", and a t flag one below `ttl` read as `ttl` (a
// second may pass between setting a TTL and reading it back).
std::string WithoutCasNumber(std::string reply, int ttl) {
  const size_t c = reply.find(" c");
  if (c != std::string::npos) {
    const size_t end = reply.find_first_not_of("0123456789", c + 2);
    reply.replace(c + 2, end - (c + 2), "#");
  }
  const std::string one_less = " t" + std::to_string(ttl - 1) + " ";
  if (const size_t t = reply.find(one_less); t != std::string::npos) {
    reply.replace(t, one_less.size(), " t" + std::to_string(ttl) + " ");
  }
  return reply;
}

// A set in invalidate mode (I) whose CAS is older than the item's stores its
// value, but the item stays stale, keeps its TTL and its recache token: the
// client that won it (W) is still the one expected to recache, so later
// readers see Z, not a new W.
TEST_F(MemcachedExchangeTest, AStaleSetWithAnOlderCasKeepsTheItemStaleWithItsTtlAndToken) {
  RawConnection conn(server_->port());
  auto meta_get = [&](int ttl) {
    EXPECT_TRUE(conn.Send("mg toinv s t c v\r\n"));
    std::string reply = conn.ReceiveUntil("\r\n");  // the header line, and the value after it
    if (reply.find("\r\n") == reply.rfind("\r\n")) reply += conn.ReceiveUntil("\r\n");
    return WithoutCasNumber(reply, ttl);
  };
  Exchange(conn, "ms toinv 2 T100\r\nhi\r\n", "HD\r\n");
  Exchange(conn, "md toinv I T30\r\n", "HD\r\n");
  EXPECT_EQ(meta_get(30), "VA 2 s2 t30 c# X W\r\nhi\r\n");
  EXPECT_EQ(meta_get(30), "VA 2 s2 t30 c# Z X\r\nhi\r\n");
  Exchange(conn, "ms toinv 1 I T90 C1\r\nx\r\n", "HD\r\n");
  EXPECT_EQ(meta_get(30), "VA 1 s1 t30 c# Z X\r\nx\r\n");
  EXPECT_EQ(meta_get(30), "VA 1 s1 t30 c# Z X\r\nx\r\n");
  // Stale before its token was handed out: the next reader wins it.
  Exchange(conn, "md toinv I T30\r\nms toinv 1 I T90 C1 F5\r\ny\r\n", "HD\r\nHD\r\n");
  EXPECT_EQ(meta_get(30), "VA 1 s1 t30 c# X W\r\ny\r\n");
  // A fresh item stored in invalidate mode with an older CAS becomes stale.
  Exchange(conn, "ms toinv 2 T0\r\nok\r\nms toinv 1 I C1 T90\r\nz\r\n", "HD\r\nHD\r\n");
  EXPECT_EQ(meta_get(-1), "VA 1 s1 t-1 c# X W\r\nz\r\n");
}

// The lines of a `stats detail dump` (the text reply, or the binary reply's
// value) before its END, sorted: each server lists its prefixes in an order
// of its own (memcached's is its hash table's).
std::vector<std::string> SortedPrefixLines(const std::string& dump) {
  std::vector<std::string> lines;
  size_t pos = 0;
  for (size_t end; (end = dump.find("\r\n", pos)) != std::string::npos; pos = end + 2) {
    lines.push_back(dump.substr(pos, end - pos));
  }
  EXPECT_FALSE(lines.empty());
  if (!lines.empty()) {
    EXPECT_EQ(lines.back(), "END");
    lines.pop_back();
  }
  EXPECT_EQ(pos, dump.size()) << dump;
  std::sort(lines.begin(), lines.end());
  return lines;
}

// memcached's `stats detail`: per key-prefix counts (the prefix is the key up
// to its first ':'; keys without one are not counted) of the classic
// commands' gets, hits, sets (every storage command, stored or not) and
// deletes, kept only while detail is on. incr, decr, touch and the meta
// commands are not counted.
TEST_F(MemcachedExchangeTest, StatsDetailCountsClassicCommandsPerKeyPrefix) {
  RawConnection conn(server_->port());
  const std::string usage = "CLIENT_ERROR usage: stats detail on|off|dump\r\n";
  Exchange(conn, "stats detail\r\n", usage);
  Exchange(conn, "stats detail bogus\r\n", usage);
  Exchange(conn, "get off:1\r\nstats detail dump\r\n", "END\r\nEND\r\n");
  Exchange(conn, "stats detail on\r\n", "OK\r\n");
  Exchange(conn,
           "set a:1 0 0 1\r\nx\r\nget a:1 a:2\r\ngets nocolon\r\ntouch a:1 0\r\n"
           "incr a:1 1\r\nappend a:1 0 0 1\r\ny\r\nadd a:1 0 0 1\r\nz\r\n"
           "delete a:1\r\ndelete a:9\r\n",
           "STORED\r\nVALUE a:1 0 1\r\nx\r\nEND\r\nEND\r\nTOUCHED\r\n"
           "CLIENT_ERROR cannot increment or decrement non-numeric value\r\nSTORED\r\n"
           "NOT_STORED\r\nDELETED\r\nNOT_FOUND\r\n");
  Exchange(conn, "set b:c:d 0 0 1\r\nx\r\ngat 0 b:c:d\r\ncas b:x 0 0 1 1\r\nx\r\n",
           "STORED\r\nVALUE b:c:d 0 1\r\nx\r\nEND\r\nNOT_FOUND\r\n");
  Exchange(conn, "set :e 0 0 1\r\nx\r\nset \x10:k 0 0 1\r\nx\r\nset nocolon 0 0 1\r\nx\r\n",
           "STORED\r\nSTORED\r\nSTORED\r\n");
  // Refused sets count too: a bad data chunk, an item too large.
  Exchange(conn, "set e:1 0 0 1\r\nxyz\r\n", "CLIENT_ERROR bad data chunk\r\nERROR\r\n");
  Exchange(conn, "set z:1 0 0 1048576\r\n" + std::string(1 << 20, 'v') + "\r\n",
           "SERVER_ERROR object too large for cache\r\n");
  Exchange(conn, "ms m:1 1\r\nx\r\nmg m:1 v\r\nmd m:1\r\nma m:2 N0\r\n",
           "HD\r\nVA 1\r\nx\r\nHD\r\nHD\r\n");
  std::vector<std::string> want = {
      "PREFIX  get 0 hit 0 set 1 del 0",  "PREFIX \x10 get 0 hit 0 set 1 del 0",
      "PREFIX a get 2 hit 1 set 3 del 2", "PREFIX b get 1 hit 1 set 2 del 0",
      "PREFIX e get 0 hit 0 set 1 del 0", "PREFIX z get 0 hit 0 set 1 del 0"};
  std::sort(want.begin(), want.end());
  EXPECT_EQ(SortedPrefixLines(TextExchange(conn, "stats detail dump\r\n", "END\r\n")), want);
  EXPECT_NE(TextExchange(conn, "stats settings\r\n", "END\r\n").find("STAT detail_enabled yes\r\n"),
            std::string::npos);
  // Off: nothing more is counted, what was counted stays.
  Exchange(conn, "stats detail off\r\nget a:1\r\n", "OK\r\nEND\r\n");
  EXPECT_EQ(SortedPrefixLines(TextExchange(conn, "stats detail dump\r\n", "END\r\n")), want);
  EXPECT_NE(TextExchange(conn, "stats settings\r\n", "END\r\n").find("STAT detail_enabled no\r\n"),
            std::string::npos);
  // stats reset forgets the counts.
  Exchange(conn, "stats reset\r\nstats detail dump\r\n", "RESET\r\nEND\r\n");
  ExpectUsable(conn);
}

// memcached's item size limit (-I, 1 MiB by default; ttserver's
// --mc-item-max) with each server's defaults. memcached counts the key and
// its item header against the limit too, so the sizes here keep clear of the
// few dozen bytes where the two servers' exact boundaries differ.
class MemcachedItemSizeTest : public MemcachedExchangeTest {
 protected:
  static std::string Set(std::string_view command, std::string_view key, size_t size,
                         char fill = 'v') {
    return std::string(command) + " " + std::string(key) + " 0 0 " + std::to_string(size) + "\r\n" +
           std::string(size, fill) + "\r\n";
  }

  static constexpr size_t kMiB = 1 << 20;
  static constexpr size_t kFits = kMiB - 1024;
};

TEST_F(MemcachedItemSizeTest, TextSetsOverOneMebibyteAreTooLargeAndAppendsPastItNotStored) {
  RawConnection conn(server_->port());
  Exchange(conn, Set("set", "k", kFits), "STORED\r\n");
  Exchange(conn, "mg k s\r\n", "HD s" + std::to_string(kFits) + "\r\n");
  // An append whose result would pass the limit stores nothing and keeps the item.
  Exchange(conn, Set("append", "k", 2048, 'a'), "NOT_STORED\r\n");
  Exchange(conn, Set("prepend", "k", 2048, 'a'), "NOT_STORED\r\n");
  Exchange(conn, Set("append", "k", 100, 'a'), "STORED\r\n");
  Exchange(conn, "mg k s\r\n", "HD s" + std::to_string(kFits + 100) + "\r\n");
  // A data block over the limit: refused as it arrives, swallowed; the item
  // stays for an append, and is dropped for a set and an ms.
  Exchange(conn, Set("append", "k", kMiB, 'a'), "SERVER_ERROR object too large for cache\r\n");
  Exchange(conn, "mg k s\r\n", "HD s" + std::to_string(kFits + 100) + "\r\n");
  Exchange(conn, Set("set", "k", kMiB) + "get k\r\n",
           "SERVER_ERROR object too large for cache\r\nEND\r\n");
  Exchange(conn, Set("set", "k", kMiB + 1), "SERVER_ERROR object too large for cache\r\n");
  Exchange(conn, Set("set", "k", 3), "STORED\r\n");
  Exchange(conn, "ms k 1048576 T0\r\n" + std::string(kMiB, 'v') + "\r\nmg k v\r\n",
           "SERVER_ERROR object too large for cache\r\nEN\r\n");
  Exchange(conn, "set k 0 0 1048576 noreply\r\n" + std::string(kMiB, 'v') + "\r\nget k\r\n",
           "END\r\n");
  ASSERT_TRUE(conn.Send("stats settings\r\n"));
  const std::string settings = conn.ReceiveUntil("END\r\n");
  EXPECT_NE(settings.find("STAT item_size_max 1048576\r\n"), std::string::npos) << settings;
}

TEST_F(MemcachedItemSizeTest, BinarySetsOverOneMebibyteAreTooLargeAndAppendsPastItNotStored) {
  RawConnection conn(server_->port());
  auto status = [&](uint8_t opcode, std::string_view key, size_t size, bool extras) {
    mcbin::Response response;
    EXPECT_TRUE(conn.Send(
        mcbin::Request(opcode, key, std::string(size, 'v'), extras ? mcbin::SetExtras(0, 0) : "")));
    EXPECT_TRUE(mcbin::ReadResponse(conn, &response));
    return response.status;
  };
  constexpr uint8_t kReplace = 0x03, kAppend = 0x0e;
  EXPECT_EQ(status(mcbin::kSet, "k", kFits, true), mcbin::kNoError);
  EXPECT_EQ(status(kAppend, "k", 2048, false), 0x0005);  // Not stored
  EXPECT_EQ(status(kAppend, "k", kMiB, false), mcbin::kValueTooLarge);
  EXPECT_EQ(status(kReplace, "k", kMiB, true), mcbin::kValueTooLarge);
  EXPECT_EQ(status(mcbin::kGet, "k", 0, false), mcbin::kNoError);
  EXPECT_EQ(status(mcbin::kSet, "k", kMiB, true), mcbin::kValueTooLarge);
  EXPECT_EQ(status(mcbin::kGet, "k", 0, false), mcbin::kKeyNotFound);
  EXPECT_EQ(status(mcbin::kAdd, "k", kMiB + 1, true), mcbin::kValueTooLarge);
  EXPECT_EQ(status(mcbin::kNoop, "", 0, false), mcbin::kNoError);
}

// ttserver's --max-key below memcached's 250 bytes holds on every memcached
// protocol, as on the others: a longer key is a bad command line (text, meta)
// or an "invalid arguments" status (binary).
TEST(MemcachedMaxKeyTest, KeysLongerThanMaxKeyAreRefusedOnEveryMemcachedProtocol) {
  SKIP_UNLESS_TTSERVER();
  TempDir dir;
  auto server = StartTtserver(dir, {"--max-key", "16"});
  ASSERT_TRUE(server->started());
  RawConnection conn(server->port());
  const std::string fits(16, 'k'), too_long(17, 'k');
  const std::string bad = "CLIENT_ERROR bad command line format\r\n";
  EXPECT_EQ(TextExchange(conn, "set " + fits + " 0 0 1\r\nv\r\n"), "STORED\r\n");
  // As in memcached, a set refused for its key reads its data line as a command.
  EXPECT_EQ(TextExchange(conn, "set " + too_long + " 0 0 1\r\nv\r\n"), bad + "ERROR\r\n");
  for (const std::string& request :
       {"get " + too_long + "\r\n",
        "incr " + too_long + " 1\r\n", "touch " + too_long + " 0\r\n",
        "delete " + too_long + "\r\n", "ms " + too_long + " 1\r\nv\r\n",
        "mg " + too_long + " v\r\n", "md " + too_long + "\r\n", "ma " + too_long + "\r\n",
        "me " + too_long + "\r\n"}) {
    EXPECT_EQ(TextExchange(conn, request), bad) << request;
  }
  EXPECT_EQ(TextExchange(conn, "get " + fits + "\r\n"),
            "VALUE " + fits + " 0 1\r\nv\r\nEND\r\n");
  // The binary protocol answers, then closes the connection, as memcached
  // does for a key past its limit.
  mcbin::Response response;
  ASSERT_TRUE(conn.Send(mcbin::Request(mcbin::kSet, too_long, "v", mcbin::SetExtras(0, 0))));
  ASSERT_TRUE(mcbin::ReadResponse(conn, &response));
  EXPECT_EQ(response.status, mcbin::kInvalidArguments) << "binary set of a key past --max-key";
}

// The binary protocol's errors are status codes; the message texts in the
// bodies are informal, so only the header is compared.
class MemcachedBinaryExchangeTest : public MemcachedExchangeTest {
 protected:
  mcbin::Response Call(RawConnection& conn, const std::string& request) {
    mcbin::Response response;
    EXPECT_TRUE(conn.Send(request));
    EXPECT_TRUE(mcbin::ReadResponse(conn, &response)) << "no whole response";
    return response;
  }

  // Sends a request and checks the status, opcode and opaque of its response.
  void ExpectStatus(RawConnection& conn, uint8_t opcode, std::string_view key,
                    std::string_view value, std::string_view extras, uint16_t status) {
    mcbin::Response response =
        Call(conn, mcbin::Request(opcode, key, value, extras, 0, 0x1234abcd));
    EXPECT_EQ(response.magic, 0x81);
    EXPECT_EQ(response.opcode, opcode);
    EXPECT_EQ(response.status, status) << "opcode " << int{opcode};
    EXPECT_EQ(response.opaque, 0x1234abcdu);
  }

  void ExpectNoop(RawConnection& conn) {
    mcbin::Response response = Call(conn, mcbin::Request(mcbin::kNoop, "", "", "", 0, 77));
    EXPECT_EQ(response.opcode, mcbin::kNoop);
    EXPECT_EQ(response.status, mcbin::kNoError);
    EXPECT_EQ(response.opaque, 77u);
  }
};

TEST_F(MemcachedBinaryExchangeTest, StatusCodesAndTheConnectionStaysOpen) {
  RawConnection conn(server_->port());
  ExpectStatus(conn, 0x55, "", "", "", mcbin::kUnknownCommand);
  ExpectNoop(conn);
  ExpectStatus(conn, mcbin::kGet, "missing", "", "", mcbin::kKeyNotFound);
  ExpectStatus(conn, mcbin::kSet, "k", "abc", mcbin::SetExtras(0, 0), mcbin::kNoError);
  ExpectStatus(conn, mcbin::kAdd, "k", "abc", mcbin::SetExtras(0, 0), mcbin::kKeyExists);
  std::string incr_extras(20, '\0');
  incr_extras[7] = 1;  // delta 1, initial 0, expiration 0
  ExpectStatus(conn, mcbin::kIncrement, "k", "", incr_extras, mcbin::kNonNumeric);
  ExpectStatus(conn, mcbin::kSet, "k", std::string(2000000, 'v'), mcbin::SetExtras(0, 0),
               mcbin::kValueTooLarge);
  ExpectNoop(conn);
}

// STAT with key "detail on", "detail off" or "detail dump" (memcached reads
// the key's start: "detail on..." is on), the dump as one packet with key
// "detailed"; any other group, "detail" alone included, is "Not found".
TEST_F(MemcachedBinaryExchangeTest, StatDetailAndUnknownGroups) {
  RawConnection conn(server_->port());
  // The packets answering a STAT request, up to the empty one that ends them
  // or an error.
  auto stat = [&](std::string_view group) {
    EXPECT_TRUE(conn.Send(mcbin::Request(mcbin::kStat, group, "", "", 0, 42)));
    std::vector<mcbin::Response> packets;
    mcbin::Response response;
    while (mcbin::ReadResponse(conn, &response)) {
      EXPECT_EQ(response.opcode, mcbin::kStat);
      EXPECT_EQ(response.opaque, 42u);
      packets.push_back(response);
      if (response.status != mcbin::kNoError || (response.key.empty() && response.value.empty())) {
        break;
      }
    }
    return packets;
  };
  for (std::string_view group : {"detail", "detail bogus", "detailon", "bogus"}) {
    SCOPED_TRACE(group);
    auto packets = stat(group);
    ASSERT_EQ(packets.size(), 1u);
    EXPECT_EQ(packets[0].status, mcbin::kKeyNotFound);
  }
  for (std::string_view group : {"detail on", "detail off", "detail onward"}) {
    SCOPED_TRACE(group);
    auto packets = stat(group);
    ASSERT_EQ(packets.size(), 1u);
    EXPECT_EQ(packets[0].status, mcbin::kNoError);
    EXPECT_EQ(packets[0].key, "");
  }
  // Binary gets, getks, touches and gats count as gets; sets and appends,
  // stored or not, as sets.
  constexpr uint8_t kAppend = 0x0e, kTouch = 0x1c;
  mcbin::Response response;
  for (const std::string& request :
       {mcbin::Request(mcbin::kSet, "b:1", "v", mcbin::SetExtras(0, 0)),
        mcbin::Request(mcbin::kGet, "b:1"), mcbin::Request(mcbin::kGetK, "b:2"),
        mcbin::Request(kTouch, "b:1", "", std::string(4, '\0')),
        mcbin::Request(mcbin::kDelete, "b:1"), mcbin::Request(kAppend, "b:9", "x"),
        mcbin::Request(mcbin::kSet, "t:1", std::string(1 << 20, 'v'), mcbin::SetExtras(0, 0)),
        mcbin::Request(mcbin::kIncrement, "i:1", "", std::string(20, '\0'))}) {
    ASSERT_TRUE(conn.Send(request));
    ASSERT_TRUE(mcbin::ReadResponse(conn, &response));
  }
  auto packets = stat("detail dump");
  ASSERT_EQ(packets.size(), 2u);
  EXPECT_EQ(packets[0].key, "detailed");
  EXPECT_EQ(SortedPrefixLines(packets[0].value),
            (std::vector<std::string>{"PREFIX b get 3 hit 2 set 2 del 1",
                                      "PREFIX t get 0 hit 0 set 1 del 0"}));
  EXPECT_EQ(packets[1].key, "");
  EXPECT_EQ(packets[1].value, "");
  ExpectNoop(conn);
}

// A binary key is its bytes: space, CR, LF and NUL included (1 to 250 of them).
TEST_F(MemcachedBinaryExchangeTest, KeysMayHoldAnyByte) {
  RawConnection conn(server_->port());
  const std::string key("a b\r\n\0\x10\xff", 8);
  ExpectStatus(conn, mcbin::kSet, key, "v", mcbin::SetExtras(3, 0), mcbin::kNoError);
  mcbin::Response response = Call(conn, mcbin::Request(mcbin::kGetK, key));
  EXPECT_EQ(response.status, mcbin::kNoError);
  EXPECT_EQ(response.key, key);
  EXPECT_EQ(response.value, "v");
  ExpectStatus(conn, mcbin::kGet, std::string(250, '\0'), "", "", mcbin::kKeyNotFound);
  ExpectNoop(conn);
}

TEST_F(MemcachedBinaryExchangeTest, InvalidArgumentsAreRefused) {
  {
    RawConnection conn(server_->port());
    ExpectStatus(conn, mcbin::kGet, kLongKey, "", "", mcbin::kInvalidArguments);
  }
  {
    // A set without its 8 bytes of extras.
    RawConnection conn(server_->port());
    ExpectStatus(conn, mcbin::kSet, "k", "v", "", mcbin::kInvalidArguments);
  }
  // memcached closes these connections; either way others are unaffected.
  RawConnection conn(server_->port());
  ExpectNoop(conn);
}

TEST_F(MemcachedExchangeTest, DelayedFlushHitsOlderItemsAtItsDeadlineAndSparesLaterOnes) {
  RawConnection conn(server_->port());
  Exchange(conn, "set old 0 0 1\r\na\r\n", "STORED\r\n");
  const auto sent = std::chrono::system_clock::now();
  Exchange(conn, "flush_all 1\r\n", "OK\r\n");
  // The deadline is a whole second (memcached's clock): wait until well
  // past it. The item written before it must be gone by then...
  const auto deadline = std::chrono::time_point_cast<std::chrono::seconds>(sent) +
                        std::chrono::seconds(1);
  std::this_thread::sleep_until(deadline + std::chrono::milliseconds(300));
  Exchange(conn, "get old\r\n", "END\r\n");
  // ...and one written after it must not be flushed by it later.
  Exchange(conn, "set new 0 0 1\r\nb\r\n", "STORED\r\n");
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  Exchange(conn, "get new\r\n", "VALUE new 0 1\r\nb\r\nEND\r\n");
}

}  // namespace
}  // namespace tt::testing
