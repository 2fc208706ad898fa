// Replication over TLS: a slave with -mtls following its master's
// --tls-port, the master requiring a client certificate (--tls-ca), under a
// write load, until both hold the same; and a slave that refuses a master
// whose certificate its --tls-ca did not sign.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>

#include <fstream>
#include <sstream>

#include "tests/integration/repl_support.h"
#include "tests/integration/tls_support.h"

namespace tt::testing {
namespace {

using ::testing::HasSubstr;

class TlsReplTest : public ReplTest {
 protected:
  void SetUp() override { ASSERT_TRUE(pki_.ok()) << pki_.error(); }

  std::string Log(const std::string& name) {
    std::ifstream in(dir_.Join(name + ".log"));
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
  }
  // A master serving TLS on master_tls_port_ and asking its clients for a
  // certificate of the test CA.
  std::unique_ptr<ServerProcess> StartTlsMaster() {
    return StartServer("master", 1, 0, 0,
                       {"--tls-port", std::to_string(master_tls_port_), "--tls-cert",
                        pki_.server.cert, "--tls-key", pki_.server.key, "--tls-ca", pki_.ca});
  }

  TestPki pki_{dir_.path()};
  int master_tls_port_ = FreePort();
};

TEST_F(TlsReplTest, TlsSlaveConvergesWithItsTlsMaster) {
  auto master = StartTlsMaster();
  auto slave = StartServer(
      "slave", 2, master_tls_port_, 0,
      {"-mtls", "--tls-ca", pki_.ca, "--tls-cert", pki_.client.cert, "--tls-key", pki_.client.key});
  WaitStreaming(slave->port());
  std::atomic<bool> stop{false};
  EXPECT_EQ(WriteLoad(master->port(), "w", 4, &stop, 200), 4u * 200);
  ExpectCaughtUp("master", master->port(), slave->port());
  EXPECT_GT(Dump(slave->port()).size(), 0u);
  EXPECT_THAT(Log("slave"),
              HasSubstr("replicating from 127.0.0.1:" + std::to_string(master_tls_port_)));
  // The master names the slave by its address, not by the socket pair
  // behind its TLS connection.
  EXPECT_THAT(StatField(master->port(), "repl_slave1"), HasSubstr("addr=127.0.0.1:"));
  EXPECT_THAT(Log("master"), HasSubstr("streaming to slave 2 at 127.0.0.1:"));
  // The master shuts down cleanly with a TLS slave attached.
  EXPECT_EQ(master->Stop(SIGTERM), 0);
  EXPECT_EQ(slave->Stop(SIGTERM), 0);
}

TEST_F(TlsReplTest, SlaveRefusesAMasterItsCaDidNotSign) {
  auto master = StartTlsMaster();
  ASSERT_TRUE(PutValue(master->port(), "secret"));
  auto slave = StartServer("slave", 2, master_tls_port_, 0,
                           {"-mtls", "--tls-ca", pki_.other_ca, "--tls-cert", pki_.client.cert,
                            "--tls-key", pki_.client.key});
  EXPECT_TRUE(Eventually(15, [&] {
    return Log("slave").find("TLS handshake with 127.0.0.1:" + std::to_string(master_tls_port_) +
                             " failed") != std::string::npos;
  })) << Log("slave");
  EXPECT_THAT(Log("slave"), HasSubstr("certificate verify failed"));
  EXPECT_EQ(Dump(slave->port()).size(), 0u);
}

TEST_F(TlsReplTest, MasterRefusesASlaveWithoutClientCertificate) {
  auto master = StartTlsMaster();
  ASSERT_TRUE(PutValue(master->port(), "secret"));
  auto slave = StartServer("slave", 2, master_tls_port_, 0, {"-mtls", "--tls-ca", pki_.ca});
  EXPECT_TRUE(Eventually(15, [&] {
    return Log("master").find("TLS handshake with 127.0.0.1:") != std::string::npos;
  })) << Log("master");
  EXPECT_EQ(Dump(slave->port()).size(), 0u);
}

TEST_F(TlsReplTest, TttailOverTls) {
  auto master = StartTlsMaster();
  ASSERT_TRUE(PutValue(master->port(), "alpha"));
  ASSERT_TRUE(PutValue(master->port(), "beta"));
  std::string out, err;
  ASSERT_EQ(RunProgram({TttailPath(), "--tls", "--tls-ca", pki_.ca, "--tls-cert", pki_.client.cert,
                        "--tls-key", pki_.client.key, "--port", std::to_string(master_tls_port_),
                        "--stop-at-end", "127.0.0.1"},
                       &out, &err),
            0)
      << err;
  EXPECT_THAT(out, HasSubstr("\"key\":\"alpha\""));
  EXPECT_THAT(out, HasSubstr("\"key\":\"beta\""));
}

}  // namespace
}  // namespace tt::testing
