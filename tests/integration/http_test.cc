// HTTP/1.1 on the data port, through curl: the original's key-value mapping
// (PUT / GET / HEAD / DELETE on /url-encoded-key, X-TT-PDMODE), keep-alive,
// big and chunked bodies with Expect: 100-continue, and the error statuses,
// with raw bytes where curl would hide what the server sent.
#include <gtest/gtest.h>

#include <random>
#include <utility>

#include "tests/integration/protocol_support.h"

namespace tt::testing {
namespace {

class HttpTest : public ::testing::Test {
 protected:
  void SetUp() override {
    SKIP_UNLESS_TTSERVER();
    server_ = StartTtserver(dir_, {"--max-value", "64m"});
    ASSERT_TRUE(server_->started());
  }

  // curl `args` on `path` of the server: the HTTP status, the body in *body.
  int Request(const std::vector<std::string>& args, const std::string& path,
              std::string* body = nullptr) {
    return CurlStatus(args, Url(server_->port(), path), dir_.Join("body"), body);
  }

  // Whole responses, one at a time, from a raw connection: bytes past the
  // current response (pipelined answers) stay buffered for the next call.
  class ResponseReader {
   public:
    explicit ResponseReader(RawConnection& conn) : conn_(conn) {}
    // The status line and headers, then as many body bytes as Content-Length
    // says; what arrived if that much did not.
    std::string Next() {
      size_t end;
      while ((end = buffer_.find("\r\n\r\n")) == std::string::npos) {
        std::string more = conn_.ReceiveUntil("\n");
        if (more.empty()) return std::exchange(buffer_, "");
        buffer_ += more;
      }
      size_t length = 0;
      const size_t at = buffer_.find("Content-Length: ");
      if (at != std::string::npos && at < end) length = std::stoul(buffer_.substr(at + 16));
      const size_t total = end + 4 + length;
      if (buffer_.size() < total) buffer_ += conn_.Receive(total - buffer_.size());
      std::string response = buffer_.substr(0, total);
      buffer_.erase(0, total);
      return response;
    }

   private:
    RawConnection& conn_;
    std::string buffer_;
  };

  TempDir dir_;
  std::unique_ptr<ServerProcess> server_;
};

TEST_F(HttpTest, PutGetHeadDelete) {
  std::string body;
  EXPECT_EQ(Request({"-X", "PUT", "--data-binary", "hello"}, "/hkey"), 201);
  EXPECT_EQ(Request({}, "/hkey", &body), 200);
  EXPECT_EQ(body, "hello");
  // The key is URL-decoded: %C3%A9 is one two-byte character, + a space.
  EXPECT_EQ(Request({"-X", "PUT", "--data-binary", "v2"}, "/caf%C3%A9+x"), 201);
  EXPECT_EQ(Request({}, "/caf%C3%A9%20x", &body), 200);
  EXPECT_EQ(body, "v2");

  std::string headers, err;
  ASSERT_EQ(Curl({"-I", Url(server_->port(), "/hkey")}, &headers, &err), 0) << err;
  EXPECT_TRUE(headers.starts_with("HTTP/1.1 200 ")) << headers;
  EXPECT_NE(headers.find("Content-Length: 5\r\n"), std::string::npos) << headers;

  EXPECT_EQ(Request({"-X", "DELETE"}, "/hkey"), 200);
  EXPECT_EQ(Request({}, "/hkey"), 404);
  EXPECT_EQ(Request({"-X", "DELETE"}, "/hkey"), 404);
  EXPECT_EQ(Request({"-I"}, "/hkey"), 404);
}

TEST_F(HttpTest, PdmodeOneIsPutkeepAndConflictsOnAnExistingKey) {
  EXPECT_EQ(Request({"-X", "PUT", "-H", "X-TT-PDMODE: 1", "--data-binary", "first"}, "/pk"), 201);
  std::string body;
  EXPECT_EQ(Request({"-X", "PUT", "-H", "X-TT-PDMODE: 1", "--data-binary", "second"}, "/pk"), 409);
  EXPECT_EQ(Request({}, "/pk", &body), 200);
  EXPECT_EQ(body, "first");
  // 2 = putcat.
  EXPECT_EQ(Request({"-X", "PUT", "-H", "X-TT-PDMODE: 2", "--data-binary", "+more"}, "/pk"), 201);
  EXPECT_EQ(Request({}, "/pk", &body), 200);
  EXPECT_EQ(body, "first+more");
}

TEST_F(HttpTest, SeveralRequestsShareOneKeepAliveConnection) {
  const long before = std::stol(McStats(server_->port())["total_connections"]);
  // One curl invocation, several URLs (--next starts each one's options):
  // curl reuses its connection when the server keeps it alive, and says so
  // with -v. Each prints its status; the GET's body goes to a file.
  std::vector<std::string> args;
  auto add = [&](std::vector<std::string> options, const std::string& path) {
    if (!args.empty()) args.push_back("--next");
    args.insert(args.end(), {"-v", "-w", "%{http_code}\n"});
    args.insert(args.end(), options.begin(), options.end());
    args.push_back(Url(server_->port(), path));
  };
  add({"-X", "PUT", "--data-binary", "one", "-o", "/dev/null"}, "/ka1");
  add({"-o", dir_.Join("ka1")}, "/ka1");
  add({"-o", "/dev/null"}, "/missing");
  add({"-X", "DELETE", "-o", "/dev/null"}, "/ka1");
  std::string out, err;
  ASSERT_EQ(Curl(args, &out, &err), 0) << err;
  EXPECT_EQ(out, "201\n200\n404\n200\n");
  EXPECT_EQ(ReadWholeFile(dir_.Join("ka1")), "one");
  EXPECT_NE(err.find("Re-using existing connection"), std::string::npos) << err;
  // The server saw curl's one connection and this second stats connection.
  const long after = std::stol(McStats(server_->port())["total_connections"]);
  EXPECT_EQ(after - before, 2);
}

TEST_F(HttpTest, TenMebibyteBodyRoundTripsByteIdentical) {
  std::mt19937 rng(10);
  const std::string value = RandomBytes(rng, 10 << 20);
  const std::string file = dir_.Join("big.bin");
  WriteWholeFile(file, value);
  // -T sends a PUT with "Expect: 100-continue" for a body this size; the
  // server must answer it before curl sends the body (-v shows the exchange).
  std::string out, err;
  ASSERT_EQ(Curl({"-v", "-o", "/dev/null", "-w", "%{http_code}", "-T", file,
                  Url(server_->port(), "/big")},
                 &out, &err),
            0)
      << err;
  EXPECT_EQ(out, "201");
  EXPECT_NE(err.find("> Expect: 100-continue"), std::string::npos) << err;
  EXPECT_NE(err.find("< HTTP/1.1 100 Continue"), std::string::npos) << err;
  std::string body;
  EXPECT_EQ(Request({}, "/big", &body), 200);
  EXPECT_TRUE(body == value) << body.size() << " bytes back";
  // And as a chunked request body.
  EXPECT_EQ(Request({"-T", file, "-H", "Transfer-Encoding: chunked"}, "/big-chunked"), 201);
  EXPECT_EQ(Request({}, "/big-chunked", &body), 200);
  EXPECT_TRUE(body == value) << body.size() << " bytes back";
}

TEST_F(HttpTest, PipelinedRequestsAreAnsweredInOrder) {
  RawConnection conn(server_->port());
  ASSERT_TRUE(
      conn.Send("PUT /p HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc"
                "GET /p HTTP/1.1\r\nHost: x\r\n\r\n"
                "GET /nothing HTTP/1.1\r\nHost: x\r\n\r\n"));
  ResponseReader responses(conn);
  EXPECT_TRUE(responses.Next().starts_with("HTTP/1.1 201 "));
  std::string get = responses.Next();
  EXPECT_TRUE(get.starts_with("HTTP/1.1 200 ") && get.ends_with("\r\n\r\nabc")) << get;
  EXPECT_TRUE(responses.Next().starts_with("HTTP/1.1 404 "));
}

TEST_F(HttpTest, ConnectionCloseAndHttp10AreHonoured) {
  {
    RawConnection conn(server_->port());
    ASSERT_TRUE(conn.Send("GET /k HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"));
    EXPECT_TRUE(ResponseReader(conn).Next().starts_with("HTTP/1.1 404 "));
    EXPECT_TRUE(conn.ClosedByPeer());
  }
  {
    RawConnection conn(server_->port());
    ASSERT_TRUE(conn.Send("GET /k HTTP/1.0\r\n\r\n"));
    EXPECT_NE(ResponseReader(conn).Next().find(" 404 "), std::string::npos);
    EXPECT_TRUE(conn.ClosedByPeer());
  }
}

// Malformed requests: a status with a short body, then the connection is
// closed (after a parse error the server cannot know where the next request
// would start).
TEST_F(HttpTest, MalformedRequestsGet400AndAClose) {
  for (const std::string& request : {
           std::string("GET /k HTTP/1.1\r\nno colon in this header\r\n\r\n"),
           std::string("GET /k HTTP/1.1\r\nContent-Length: abc\r\n\r\n"),
           // Two lengths: which one frames the body is ambiguous (smuggling).
           std::string("PUT /k HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab"),
           std::string("GET /k HTTP/x.y\r\n\r\n"),
           std::string("XYZZY /k HTTP/1.1\r\n\r\n"),
           std::string("PUT /k HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n"),
           std::string("G\x01T /k HTTP/1.1\r\n\r\n"),
       }) {
    RawConnection conn(server_->port());
    ASSERT_TRUE(conn.Send(request));
    std::string extra;
    EXPECT_TRUE(conn.ClosedByPeer(3000, &extra)) << request;
    EXPECT_TRUE(extra.starts_with("HTTP/1.1 400 ")) << request << "\n-> " << extra;
  }
}

TEST_F(HttpTest, LimitsHaveTheirStatusCodes) {
  struct Case {
    std::string request;
    const char* status;
  };
  const Case cases[] = {
      // Content-Length over --max-value (64 MiB): refused before the body.
      {"PUT /k HTTP/1.1\r\nContent-Length: 100000000\r\n\r\n", "HTTP/1.1 413 "},
      // 100 KiB: over any sane limit, and small enough to sit in the socket
      // buffers whole, so that the server's early answer is not lost to a
      // reset for unread data.
      {"GET /" + std::string(100 << 10, 'u') + " HTTP/1.1\r\n\r\n", "HTTP/1.1 414 "},
      {"GET /k HTTP/1.1\r\nX-Big: " + std::string(100 << 10, 'h') + "\r\n\r\n", "HTTP/1.1 431 "},
      {"PATCH /k HTTP/1.1\r\nContent-Length: 0\r\n\r\n", "HTTP/1.1 405 "},
  };
  for (const Case& c : cases) {
    RawConnection conn(server_->port());
    conn.Send(c.request);  // the server may answer and close before the end
    std::string reply = conn.ReceiveUntil("\r\n");
    EXPECT_TRUE(reply.starts_with(c.status)) << c.request.substr(0, 60) << "\n-> " << reply;
  }
  // None of it cost the server anything.
  EXPECT_EQ(Request({}, "/k"), 404);
}

}  // namespace
}  // namespace tt::testing
