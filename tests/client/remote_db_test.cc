// RemoteDB against a scripted peer on 127.0.0.1 that checks the request bytes
// and answers with the reply bytes captured from the original server
// (spec/README.md), plus transport failures: refused, timeout, lengths over
// the limit, a server that closed an idle connection, a lost reply.
#include "client/remote_db.h"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmath>

#include "client/requests.h"
#include "tests/client/test_support.h"

namespace tt {
namespace {

using testing::Bytes;
using testing::FakeServer;
using testing::ReadExactly;
using testing::WriteAll;

// One request the peer expects and the reply it sends back.
struct Exchange {
  std::string request;
  std::string reply;
};

TEST(RemoteDBTest, CapturedVectorsDecode) {
  std::vector<Exchange> script = {
      {Bytes("C8 10 00 00 00 03 00 00 00 03 66 6F 6F 62 61 72"), Bytes("00")},
      {Bytes("C8 30 00 00 00 03 66 6F 6F"), Bytes("00 00 00 00 03 62 61 72")},
      {Bytes("C8 30 00 00 00 04 6E 6F 70 65"), Bytes("01")},
      {Bytes("C8 60 00 00 00 07 00 00 00 2A 63 6F 75 6E 74 65 72"), Bytes("00 00 00 00 2A")},
      {Bytes("C8 60 00 00 00 07 FF FF FF FE 63 6F 75 6E 74 65 72"), Bytes("00 00 00 00 28")},
      {requests::MGet({"foo", "nope", "counter"}),
       Bytes("00 00 00 00 02 00 00 00 03 00 00 00 03 66 6F 6F 62 61 72 00 00 00 07 00 00 00 04 63 "
             "6F 75 6E 74 65 72 28 00 00 00")},
      {Bytes("C8 61 00 00 00 01 00 00 00 00 00 00 00 03 00 00 00 AE 9F 7B CC 00 64"),
       Bytes("00 00 00 00 00 00 00 00 03 00 00 00 AE 9F 7B CC 00")},
      {Bytes("C8 61 00 00 00 01 FF FF FF FF FF FF FF FB FF FF FF 8B 95 AD 78 00 64"),
       Bytes("00 FF FF FF FF FF FF FF FF FF FF FF 51 60 84 34 00")},
      {Bytes("C8 80"), Bytes("00 00 00 00 00 00 00 00 03")},
  };
  std::vector<std::string> received;
  {
    FakeServer server(1, [&](int, int fd) {
      for (const Exchange& e : script) {
        received.push_back(ReadExactly(fd, e.request.size()));
        WriteAll(fd, e.reply);
      }
      char c;
      recv(fd, &c, 1, 0);  // until the client closes
    });
    RemoteDB db;
    ASSERT_TRUE(db.Open("127.0.0.1", server.port(), 5).ok());
    EXPECT_TRUE(db.Put("foo", "bar").ok());
    std::string value;
    EXPECT_TRUE(db.Get("foo", &value).ok());
    EXPECT_EQ(value, "bar");
    EXPECT_TRUE(db.Get("nope", &value).IsNotFound());
    int32_t sum = 0;
    EXPECT_TRUE(db.AddInt("counter", 42, &sum).ok());
    EXPECT_EQ(sum, 42);
    EXPECT_TRUE(db.AddInt("counter", -2, &sum).ok());
    EXPECT_EQ(sum, 40);
    std::vector<std::pair<std::string, std::string>> found;
    EXPECT_TRUE(db.MGet({"foo", "nope", "counter"}, &found).ok());
    ASSERT_EQ(found.size(), 2u);
    EXPECT_EQ(found[0], std::make_pair(std::string("foo"), std::string("bar")));
    EXPECT_EQ(found[1], std::make_pair(std::string("counter"), Bytes("28 00 00 00")));
    double dsum = 0;
    EXPECT_TRUE(db.AddDouble("d", 3.75, &dsum).ok());
    EXPECT_DOUBLE_EQ(dsum, 3.75);
    EXPECT_TRUE(db.AddDouble("d", -5.5, &dsum).ok());
    EXPECT_DOUBLE_EQ(dsum, -1.75);
    uint64_t rnum = 0;
    EXPECT_TRUE(db.Rnum(&rnum).ok());
    EXPECT_EQ(rnum, 3u);
    db.Close();
  }
  ASSERT_EQ(received.size(), script.size());
  for (size_t i = 0; i < script.size(); ++i) {
    EXPECT_EQ(received[i], script[i].request) << "request " << i;
  }
}

// Runs `body` against a peer answering one request with `reply`.
template <typename Body>
void WithReply(const std::string& request, const std::string& reply, Body body) {
  std::string got;
  {
    FakeServer server(1, [&](int, int fd) {
      got = ReadExactly(fd, request.size());
      WriteAll(fd, reply);
      char c;
      recv(fd, &c, 1, 0);
    });
    RemoteDB db;
    ASSERT_TRUE(db.Open("127.0.0.1", server.port(), 5).ok());
    body(db);
    db.Close();
  }
  EXPECT_EQ(got, request);
}

TEST(RemoteDBTest, StatusBytesMapToStatuses) {
  WithReply(requests::KeyValue(kCmdPutKeep, "k", "v"), Bytes("01"),
            [](RemoteDB& db) { EXPECT_EQ(db.PutKeep("k", "v").code(), Status::Code::kExists); });
  WithReply(requests::Key(kCmdOut, "k"), Bytes("01"),
            [](RemoteDB& db) { EXPECT_TRUE(db.Out("k").IsNotFound()); });
  WithReply(requests::KeyValue(kCmdPut, "k", "v"), Bytes("01"),
            [](RemoteDB& db) { EXPECT_EQ(db.Put("k", "v").code(), Status::Code::kFailed); });
  WithReply(requests::Bare(kCmdIterNext), Bytes("01"), [](RemoteDB& db) {
    std::string key;
    EXPECT_TRUE(db.IterNext(&key).IsNotFound());
  });
  WithReply(requests::KeyValue(kCmdPut, "k", "v"), Bytes("07"),
            [](RemoteDB& db) { EXPECT_EQ(db.Put("k", "v").code(), Status::Code::kProtocol); });
}

TEST(RemoteDBTest, MiscFailureConsumesTheCountField) {
  WithReply(requests::Misc("range", {}, 0), Bytes("01 00 00 00 00"), [](RemoteDB& db) {
    std::vector<std::string> out;
    EXPECT_EQ(db.Misc("range", {}, 0, &out).code(), Status::Code::kFailed);
  });
}

TEST(RemoteDBTest, MiscReturnsElementsInOrder) {
  WithReply(requests::Misc("getlist", {"p1", "p2"}, 1),
            Bytes("00 00000004 00000002 7031 00000002 7631 00000002 7032 00000002 7632"),
            [](RemoteDB& db) {
              std::vector<std::string> out;
              ASSERT_TRUE(db.Misc("getlist", {"p1", "p2"}, 1, &out).ok());
              EXPECT_EQ(out, (std::vector<std::string>{"p1", "v1", "p2", "v2"}));
            });
}

TEST(RemoteDBTest, FwmKeysVsizStatSizeIterate) {
  WithReply(requests::FwmKeys("a", -1), Bytes("00 00000002 00000002 6131 00000002 6132"),
            [](RemoteDB& db) {
              std::vector<std::string> keys;
              ASSERT_TRUE(db.FwmKeys("a", -1, &keys).ok());
              EXPECT_EQ(keys, (std::vector<std::string>{"a1", "a2"}));
            });
  WithReply(requests::Key(kCmdVsiz, "k"), Bytes("00 00000010"), [](RemoteDB& db) {
    uint32_t size = 0;
    ASSERT_TRUE(db.Vsiz("k", &size).ok());
    EXPECT_EQ(size, 16u);
  });
  WithReply(requests::Bare(kCmdStat), Bytes("00 0000000C") + "version\t1.0\n", [](RemoteDB& db) {
    std::string text;
    ASSERT_TRUE(db.Stat(&text).ok());
    EXPECT_EQ(text, "version\t1.0\n");
  });
  WithReply(requests::Bare(kCmdSize), Bytes("00 0000000000001000"), [](RemoteDB& db) {
    uint64_t size = 0;
    ASSERT_TRUE(db.Size(&size).ok());
    EXPECT_EQ(size, 4096u);
  });
  WithReply(requests::Ext("fn", 2, "k", "v"), Bytes("00 00000002 6F6B"), [](RemoteDB& db) {
    std::string result;
    ASSERT_TRUE(db.Ext("fn", 2, "k", "v", &result).ok());
    EXPECT_EQ(result, "ok");
  });
}

TEST(RemoteDBTest, OversizedLengthIsRejectedAndConnectionDropped) {
  // A get reply claiming a 4 GiB value: refused before anything is allocated.
  WithReply(requests::Key(kCmdGet, "k"), Bytes("00 FFFFFFFF"), [](RemoteDB& db) {
    std::string value;
    Status s = db.Get("k", &value);
    EXPECT_EQ(s.code(), Status::Code::kProtocol);
    EXPECT_NE(s.message().find("limit"), std::string::npos) << s.message();
  });
  WithReply(requests::Bare(kCmdStat), Bytes("00 7FFFFFFF"), [](RemoteDB& db) {
    std::string text;
    EXPECT_EQ(db.Stat(&text).code(), Status::Code::kProtocol);
  });
}

TEST(RemoteDBTest, ReplyBudgetLimitsLists) {
  WithReply(requests::FwmKeys("", -1), Bytes("00 00000002 00000004 61616161 00000004 62626262"),
            [](RemoteDB& db) {
              db.set_max_reply_bytes(10);
              std::vector<std::string> keys;
              EXPECT_EQ(db.FwmKeys("", -1, &keys).code(), Status::Code::kProtocol);
            });
}

TEST(RemoteDBTest, MoreMgetRecordsThanKeysIsProtocolError) {
  WithReply(requests::MGet({"a"}), Bytes("00 00000002"), [](RemoteDB& db) {
    std::vector<std::pair<std::string, std::string>> found;
    EXPECT_EQ(db.MGet({"a"}, &found).code(), Status::Code::kProtocol);
  });
}

TEST(RemoteDBTest, ConnectionRefusedSaysSo) {
  RemoteDB db;
  int port = testing::FreePort();
  Status s = db.Open("127.0.0.1", port, 2);
  EXPECT_EQ(s.code(), Status::Code::kNetwork);
  EXPECT_EQ(s.message(),
            "connection to 127.0.0.1:" + std::to_string(port) + " refused; is ttserver running?");
  EXPECT_FALSE(db.is_open());
  std::string v;
  EXPECT_EQ(db.Get("k", &v).code(), Status::Code::kInvalidArgument);
}

TEST(RemoteDBTest, SilentServerTimesOut) {
  FakeServer server(1, [](int, int fd) {
    char c;
    recv(fd, &c, 1, 0);  // hold the connection until the client gives up
  });
  RemoteDB db;
  ASSERT_TRUE(db.Open("127.0.0.1", server.port(), 0.3).ok());
  std::string v;
  Status s = db.Get("k", &v);
  EXPECT_EQ(s.code(), Status::Code::kTimeout) << s.ToString();
  db.Close();
}

TEST(RemoteDBTest, ReconnectsOnceWhenIdleConnectionWasClosed) {
  std::string second_request;
  FakeServer server(2, [&](int index, int fd) {
    if (index == 0) return;  // close the first connection straight away
    second_request = ReadExactly(fd, 9);
    WriteAll(fd, Bytes("00 00 00 00 03 62 61 72"));
    char c;
    recv(fd, &c, 1, 0);
  });
  RemoteDB db;
  ASSERT_TRUE(db.Open("127.0.0.1", server.port(), 5).ok());
  usleep(100 * 1000);  // let the close arrive
  std::string value;
  Status s = db.Get("foo", &value);
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(value, "bar");
  db.Close();
  EXPECT_EQ(second_request, Bytes("C8 30 00 00 00 03 66 6F 6F"));
}

TEST(RemoteDBTest, WriteWhoseReplyWasLostIsNotResent) {
  // The server reads the whole addint, then closes without answering: the
  // client cannot know whether it was applied, so it must not send it again.
  std::string request = requests::AddInt("c", 1);
  FakeServer server(2, [&](int index, int fd) {
    if (index == 0) ReadExactly(fd, request.size());
  });
  RemoteDB db;
  ASSERT_TRUE(db.Open("127.0.0.1", server.port(), 5).ok());
  int32_t sum;
  Status s = db.AddInt("c", 1, &sum);
  EXPECT_EQ(s.code(), Status::Code::kNetwork) << s.ToString();
  usleep(100 * 1000);
  EXPECT_EQ(server.accepted(), 1);
  db.Close();
  // Unblock the fake server's second accept.
  RemoteDB poke;
  poke.Open("127.0.0.1", server.port(), 1);
}

TEST(RemoteDBTest, ReadWhoseReplyWasLostIsResentOnce) {
  std::string request = requests::Key(kCmdGet, "foo");
  FakeServer server(2, [&](int index, int fd) {
    ReadExactly(fd, request.size());
    if (index == 0) return;  // lose the reply
    WriteAll(fd, Bytes("00 00 00 00 03 62 61 72"));
    char c;
    recv(fd, &c, 1, 0);
  });
  RemoteDB db;
  ASSERT_TRUE(db.Open("127.0.0.1", server.port(), 5).ok());
  std::string value;
  Status s = db.Get("foo", &value);
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(value, "bar");
  db.Close();
}

TEST(RemoteDBTest, PutnrExpectsNoReply) {
  std::string got;
  std::string request = requests::KeyValue(kCmdPutNr, "k", "v");
  FakeServer server(1, [&](int, int fd) {
    got = ReadExactly(fd, request.size() + 2);  // putnr, then the stat
    WriteAll(fd, Bytes("00 00000000"));
    char c;
    recv(fd, &c, 1, 0);
  });
  RemoteDB db;
  ASSERT_TRUE(db.Open("127.0.0.1", server.port(), 5).ok());
  EXPECT_TRUE(db.PutNr("k", "v").ok());
  std::string text;
  EXPECT_TRUE(db.Stat(&text).ok());
  db.Close();
  EXPECT_EQ(got, request + Bytes("C8 88"));
}

TEST(RemoteDBTest, ReplHandshakeThenNopThenRecord) {
  const std::string record = Bytes(
      "C9 00 06 60 C5 B4 45 2C C2 00 00 00 07 00 00 00 11 "
      "C8 10 00 00 00 03 00 00 00 03 66 6F 6F 62 61 72 00");
  std::string got;
  FakeServer server(1, [&](int, int fd) {
    got = ReadExactly(fd, 14);
    WriteAll(fd, Bytes("00 00 00 01 CA") + record);
    WriteAll(fd, Bytes("C9 0000000000000001 00000001 7FFFFFFF"));
    char c;
    recv(fd, &c, 1, 0);
  });
  RemoteDB db;
  ASSERT_TRUE(db.Open("127.0.0.1", server.port(), 5).ok());
  uint32_t mid = 0;
  ASSERT_TRUE(db.ReplStart(0, 0, &mid).ok());
  EXPECT_EQ(mid, 1u);
  // ts 0 -> 1 and sid 0 -> 2147483647, as the original client sends them.
  EXPECT_EQ(got, Bytes("C8 A0 0000000000000001 7FFFFFFF"));
  UlogRecord r;
  bool nop = false;
  ASSERT_TRUE(db.ReplNext(&r, &nop, 5).ok());
  EXPECT_TRUE(nop);
  ASSERT_TRUE(db.ReplNext(&r, &nop, 5).ok());
  EXPECT_FALSE(nop);
  EXPECT_EQ(r.ts, 1795252109520066u);
  EXPECT_EQ(r.sid, 7u);
  EXPECT_EQ(r.body, Bytes("C8 10 00 00 00 03 00 00 00 03 66 6F 6F 62 61 72 00"));
  // The next record announces a body over the limit.
  EXPECT_EQ(db.ReplNext(&r, &nop, 5).code(), Status::Code::kProtocol);
  // Other commands are refused on a stream connection.
  std::string v;
  EXPECT_EQ(db.Get("k", &v).code(), Status::Code::kInvalidArgument);
  db.Close();
}

TEST(RemoteDBTest, ReplRecordJustOverTheBodyLimitIsRefusedBeforeReading) {
  FakeServer server(1, [&](int, int fd) {
    ReadExactly(fd, 14);
    // 512 MiB + 65: one byte over the largest logged putshl/ext body.
    WriteAll(fd, Bytes("00 00 00 01 C9 0000000000000001 00000001 20000041"));
    char c;
    recv(fd, &c, 1, 0);
  });
  RemoteDB db;
  ASSERT_TRUE(db.Open("127.0.0.1", server.port(), 5).ok());
  uint32_t mid = 0;
  ASSERT_TRUE(db.ReplStart(1, 2, &mid).ok());
  UlogRecord r;
  bool nop = true;
  Status s = db.ReplNext(&r, &nop, 5);
  EXPECT_EQ(s.code(), Status::Code::kProtocol);
  EXPECT_NE(s.message().find("536870977 bytes exceeds the limit of 536870976"), std::string::npos)
      << s.message();
  db.Close();
}

TEST(RemoteDBTest, ReplRefusalIsNetworkError) {
  FakeServer server(1, [&](int, int fd) { ReadExactly(fd, 14); });
  RemoteDB db;
  ASSERT_TRUE(db.Open("127.0.0.1", server.port(), 5).ok());
  uint32_t mid;
  Status s = db.ReplStart(5, 9, &mid);
  EXPECT_EQ(s.code(), Status::Code::kNetwork);
  EXPECT_NE(s.message().find("refused replication"), std::string::npos) << s.message();
}

TEST(RemoteDBTest, OversizedArgumentsAreRefusedLocally) {
  RemoteDB db;
  std::string v;
  EXPECT_EQ(db.Put("k", "v").code(), Status::Code::kInvalidArgument);  // not open
  FakeServer server(1, [](int, int fd) {
    char c;
    recv(fd, &c, 1, 0);
  });
  ASSERT_TRUE(db.Open("127.0.0.1", server.port(), 5).ok());
  std::vector<std::string> out;
  EXPECT_EQ(db.Misc(std::string(1024, 'n'), {}, 0, &out).code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(db.PutShl("k", "v", -1).code(), Status::Code::kInvalidArgument);
  db.Close();
}

}  // namespace
}  // namespace tt
