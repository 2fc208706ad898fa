// TLS on --tls-port, driven by real clients over loopback: curl (HTTP),
// redis-cli --tls (RESP), openssl s_client (memcached text, handshakes,
// the served certificate), with certificates the test makes with the openssl
// command. Covers client certificates (--tls-ca), certificates clients must
// refuse, refusals at start-up, and the reload on SIGHUP.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "tests/integration/protocol_support.h"
#include "tests/integration/repl_support.h"
#include "tests/integration/server_process.h"
#include "tests/integration/tls_support.h"

namespace tt::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

class TlsTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(pki_.ok()) << pki_.error(); }

  // ttserver with its TLS port on tls_port_ serving `cert`, logging to log_.
  std::unique_ptr<ServerProcess> StartTls(const CertFiles& cert,
                                          const std::vector<std::string>& extra = {}) {
    std::vector<std::string> args = {"--tls-port", std::to_string(tls_port_),
                                     "--tls-cert", cert.cert,
                                     "--tls-key",  cert.key,
                                     "-log",       log_};
    args.insert(args.end(), extra.begin(), extra.end());
    auto server = std::make_unique<ServerProcess>(args, "*");
    EXPECT_TRUE(server->started()) << ReadFile(log_);
    return server;
  }
  std::string TlsUrl(const std::string& path) const {
    return "https://127.0.0.1:" + std::to_string(tls_port_) + path;
  }
  // curl over TLS trusting the test CA: its exit status, the body in *out.
  int CurlTls(const std::vector<std::string>& args, std::string* out, std::string* err = nullptr) {
    std::vector<std::string> full = {"--cacert", pki_.ca};
    full.insert(full.end(), args.begin(), args.end());
    return Curl(full, out, err);
  }
  // The log holds `text` (waiting for it: the server writes it on its own time).
  bool LogSays(const std::string& text) {
    return Eventually(10, [&] { return ReadFile(log_).find(text) != std::string::npos; });
  }

  TempDir dir_;
  TestPki pki_{dir_.path()};
  int tls_port_ = FreePort();
  std::string log_ = dir_.Join("ttserver.log");
};

TEST_F(TlsTest, HttpPutAndGetThroughCurl) {
  auto server = StartTls(pki_.server);
  std::string out, err;
  ASSERT_EQ(CurlTls({"-X", "PUT", "--data-binary", "over tls", TlsUrl("/greeting")}, &out, &err), 0)
      << err;
  ASSERT_EQ(CurlTls({TlsUrl("/greeting")}, &out, &err), 0) << err;
  EXPECT_EQ(out, "over tls");
  // One database behind both ports.
  ASSERT_EQ(Curl({Url(server->port(), "/greeting")}, &out, &err), 0) << err;
  EXPECT_EQ(out, "over tls");
  // A value larger than the bridge buffers in either direction.
  const std::string big(3 << 20, 'x');
  const std::string body = dir_.Join("big");
  std::ofstream(body) << big;
  ASSERT_EQ(CurlTls({"-X", "PUT", "--data-binary", "@" + body, TlsUrl("/big")}, &out, &err), 0)
      << err;
  ASSERT_EQ(CurlTls({TlsUrl("/big")}, &out, &err), 0) << err;
  EXPECT_TRUE(out == big) << "got " << out.size() << " bytes";
}

TEST_F(TlsTest, RedisCliWithTls) {
  auto server = StartTls(pki_.server);
  std::string out, err;
  const std::vector<std::string> tls = {"--tls", "--cacert", pki_.ca};
  auto cli = [&](std::vector<std::string> args) {
    args.insert(args.begin(), tls.begin(), tls.end());
    EXPECT_EQ(RedisCli(tls_port_, args, &out, &err), 0) << err;
    return out;
  };
  EXPECT_EQ(cli({"SET", "colour", "blue"}), "OK\n");
  EXPECT_EQ(cli({"GET", "colour"}), "blue\n");
  EXPECT_EQ(cli({"INCR", "n"}), "1\n");
  // Commands on standard input, over one connection.
  ASSERT_EQ(RedisCli(tls_port_, tls, &out, &err, "PING\nINCR n\nGET colour\n"), 0) << err;
  EXPECT_EQ(out, "PONG\n2\nblue\n");
}

TEST_F(TlsTest, MemcachedTextThroughSClient) {
  auto server = StartTls(pki_.server);
  std::string out;
  // quit: the server closes, which ends s_client.
  ASSERT_EQ(SClient(tls_port_, pki_.ca, "set k 5 0 3\r\nabc\r\nget k\r\nquit\r\n", &out), 0);
  EXPECT_EQ(out, "STORED\r\nVALUE k 5 3\r\nabc\r\nEND\r\n");
}

TEST_F(TlsTest, ClientCertificateRequiredWithTlsCa) {
  auto server = StartTls(pki_.server, {"--tls-ca", pki_.ca});
  std::string out, err;
  ASSERT_EQ(CurlTls({"--cert", pki_.client.cert, "--key", pki_.client.key, "-X", "PUT",
                     "--data-binary", "v", TlsUrl("/k")},
                    &out, &err),
            0)
      << err;
  EXPECT_NE(CurlTls({TlsUrl("/k")}, &out, &err), 0) << "no client certificate, yet served";
  EXPECT_TRUE(LogSays("TLS handshake with 127.0.0.1:")) << ReadFile(log_);
  // The plain port asks for no certificate; the TLS port still serves.
  ASSERT_EQ(Curl({Url(server->port(), "/k")}, &out, &err), 0) << err;
  EXPECT_EQ(out, "v");
  ASSERT_EQ(
      CurlTls({"--cert", pki_.client.cert, "--key", pki_.client.key, TlsUrl("/k")}, &out, &err), 0)
      << err;
  EXPECT_EQ(out, "v");
}

TEST_F(TlsTest, ClientCertificateOfAnotherCaIsRefused) {
  auto server = StartTls(pki_.server, {"--tls-ca", pki_.ca});
  std::string out, err;
  EXPECT_NE(
      CurlTls({"--cert", pki_.stranger.cert, "--key", pki_.stranger.key, TlsUrl("/k")}, &out, &err),
      0);
  EXPECT_TRUE(LogSays("peer certificate: unable to get local issuer certificate"))
      << ReadFile(log_);
}

TEST_F(TlsTest, ExpiredClientCertificateIsRefusedWithAClearLogLine) {
  auto server = StartTls(pki_.server, {"--tls-ca", pki_.ca});
  std::string out, err;
  EXPECT_NE(
      CurlTls({"--cert", pki_.expired_client.cert, "--key", pki_.expired_client.key, TlsUrl("/k")},
              &out, &err),
      0);
  EXPECT_TRUE(LogSays("peer certificate: certificate has expired")) << ReadFile(log_);
}

TEST_F(TlsTest, ClientsRefuseAServerCertificateOfAnotherCaOrExpired) {
  {
    auto server = StartTls(pki_.server);
    std::string out, err;
    EXPECT_NE(Curl({"--cacert", pki_.other_ca, TlsUrl("/k")}, &out, &err), 0);
    EXPECT_THAT(err, HasSubstr("certificate"));
  }
  std::filesystem::remove(log_);
  tls_port_ = FreePort();
  auto server = StartTls(pki_.expired_server);
  EXPECT_TRUE(LogSays("has expired: clients will refuse it")) << ReadFile(log_);
  std::string out, err;
  EXPECT_NE(CurlTls({TlsUrl("/k")}, &out, &err), 0);
  EXPECT_THAT(err, HasSubstr("expired"));
  EXPECT_NE(SClient(tls_port_, pki_.ca, "get k\r\nquit\r\n", &out), 0);
}

TEST_F(TlsTest, PlainTextOnTheTlsPortClosesOnlyThatConnection) {
  auto server = StartTls(pki_.server);
  RawConnection plain(tls_port_);
  ASSERT_TRUE(plain.connected());
  ASSERT_TRUE(plain.Send("GET /k HTTP/1.1\r\nHost: x\r\n\r\n"));
  std::string extra;
  EXPECT_TRUE(plain.ClosedByPeer(5000, &extra));
  EXPECT_TRUE(LogSays("TLS handshake with 127.0.0.1:")) << ReadFile(log_);
  EXPECT_THAT(ReadFile(log_), HasSubstr("http request"));
  std::string out;
  ASSERT_EQ(SClient(tls_port_, pki_.ca, "version\r\nquit\r\n", &out), 0);
  EXPECT_THAT(out, HasSubstr("VERSION"));
}

// The first 6 bytes of a ClientHello (record header and message type): a
// handshake begun and never finished.
const std::string kPartialClientHello("\x16\x03\x01\x00\xc8\x01", 6);

TEST_F(TlsTest, StalledHandshakeIsClosedAtTheRequestDeadline) {
  auto server = StartTls(pki_.server, {"-tout", "1"});
  RawConnection stalled(tls_port_);
  ASSERT_TRUE(stalled.connected());
  ASSERT_TRUE(stalled.Send(kPartialClientHello));
  // A hang check: the deadline is 1 s.
  EXPECT_TRUE(stalled.ClosedByPeer(15000));
  EXPECT_TRUE(LogSays("TLS handshake with 127.0.0.1:")) << ReadFile(log_);
  EXPECT_THAT(ReadFile(log_), HasSubstr("the client did not complete it within 1 s"));
  std::string out;
  ASSERT_EQ(SClient(tls_port_, pki_.ca, "version\r\nquit\r\n", &out), 0);
  EXPECT_THAT(out, HasSubstr("VERSION"));
}

TEST_F(TlsTest, StalledHandshakeIsClosedAfterTenSecondsWithoutTout) {
  auto server = StartTls(pki_.server);
  RawConnection stalled(tls_port_);
  ASSERT_TRUE(stalled.connected());
  ASSERT_TRUE(stalled.Send(kPartialClientHello));
  // A hang check: the deadline is 10 s.
  EXPECT_TRUE(stalled.ClosedByPeer(40000));
  EXPECT_TRUE(LogSays("the client did not complete it within 10 s")) << ReadFile(log_);
}

TEST_F(TlsTest, SighupReloadsTheCertificate) {
  // The server reads the files at these paths; the test replaces them.
  const CertFiles live{dir_.Join("live.pem"), dir_.Join("live.key")};
  std::filesystem::copy_file(pki_.server.cert, live.cert);
  std::filesystem::copy_file(pki_.server.key, live.key);
  auto server = StartTls(live);
  EXPECT_EQ(ServedSerial(tls_port_, pki_.ca), "serial=1001");

  std::filesystem::copy_file(pki_.server2.cert, live.cert,
                             std::filesystem::copy_options::overwrite_existing);
  std::filesystem::copy_file(pki_.server2.key, live.key,
                             std::filesystem::copy_options::overwrite_existing);
  ASSERT_EQ(kill(server->pid(), SIGHUP), 0);
  ASSERT_TRUE(LogSays("TLS certificate reloaded")) << ReadFile(log_);
  EXPECT_EQ(ServedSerial(tls_port_, pki_.ca), "serial=2002");

  // A broken certificate file: the reload fails, the last good one stays.
  std::ofstream(live.cert) << "not a certificate\n";
  ASSERT_EQ(kill(server->pid(), SIGHUP), 0);
  ASSERT_TRUE(
      LogSays("TLS certificate not reloaded, the old one stays in use: --tls-cert " + live.cert))
      << ReadFile(log_);
  EXPECT_EQ(ServedSerial(tls_port_, pki_.ca), "serial=2002");
  std::string out;
  ASSERT_EQ(SClient(tls_port_, pki_.ca, "version\r\nquit\r\n", &out), 0);
  EXPECT_THAT(out, HasSubstr("VERSION"));
}

// Start-up with certificate files that cannot serve: exit status 1 and a
// message naming the file.
class TlsStartupTest : public TlsTest {
 protected:
  std::string Refusal(const std::string& cert, const std::string& key,
                      const std::vector<std::string>& extra = {}) {
    std::vector<std::string> argv = {TtserverPath(),
                                     "-port",
                                     std::to_string(FreePort()),
                                     "--tls-port",
                                     std::to_string(tls_port_),
                                     "--tls-cert",
                                     cert,
                                     "--tls-key",
                                     key};
    argv.insert(argv.end(), extra.begin(), extra.end());
    argv.push_back("*");
    std::string out, err;
    EXPECT_EQ(RunProgram(argv, &out, &err), 1) << out << err;
    return out + err;
  }
};

TEST_F(TlsStartupTest, MissingCertificate) {
  const std::string missing = dir_.Join("nope.pem");
  EXPECT_THAT(Refusal(missing, pki_.server.key),
              HasSubstr("--tls-cert " + missing + ": cannot read it (No such file or directory)"));
}

TEST_F(TlsStartupTest, NotACertificate) {
  EXPECT_THAT(Refusal(pki_.server.key, pki_.server.key),
              HasSubstr("--tls-cert " + pki_.server.key + ": no PEM certificate could be read"));
}

TEST_F(TlsStartupTest, KeyOfAnotherCertificate) {
  EXPECT_THAT(Refusal(pki_.server.cert, pki_.server2.key),
              HasSubstr("--tls-key " + pki_.server2.key + " does not match the certificate in " +
                        "--tls-cert " + pki_.server.cert));
}

TEST_F(TlsStartupTest, UnreadableCa) {
  const std::string missing = dir_.Join("no-ca.pem");
  EXPECT_THAT(Refusal(pki_.server.cert, pki_.server.key, {"--tls-ca", missing}),
              HasSubstr("--tls-ca " + missing + ": cannot read it"));
}

TEST_F(TlsStartupTest, TlsPortWithoutCertificate) {
  std::string out, err;
  EXPECT_EQ(RunProgram({TtserverPath(), "--tls-port", std::to_string(tls_port_), "*"}, &out, &err),
            1);
  EXPECT_THAT(err, HasSubstr("--tls-port needs --tls-cert and --tls-key"));
}

}  // namespace
}  // namespace tt::testing
