#include "common/peer_address.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>

namespace tt {
namespace {

// A listener on the loopback address of `family` and a client connected to
// it; the accepted socket's peer is the client.
class LoopbackPair {
 public:
  explicit LoopbackPair(int family) {
    listener_ = socket(family, SOCK_STREAM, 0);
    sockaddr_storage addr{};
    socklen_t len;
    if (family == AF_INET) {
      auto* in = reinterpret_cast<sockaddr_in*>(&addr);
      in->sin_family = AF_INET;
      in->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      len = sizeof *in;
    } else {
      auto* in6 = reinterpret_cast<sockaddr_in6*>(&addr);
      in6->sin6_family = AF_INET6;
      in6->sin6_addr = in6addr_loopback;
      len = sizeof *in6;
    }
    if (listener_ < 0 || bind(listener_, reinterpret_cast<sockaddr*>(&addr), len) != 0 ||
        listen(listener_, 1) != 0 ||
        getsockname(listener_, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
      return;
    }
    client_ = socket(family, SOCK_STREAM, 0);
    if (connect(client_, reinterpret_cast<sockaddr*>(&addr), len) != 0) return;
    accepted_ = accept(listener_, nullptr, nullptr);
  }
  ~LoopbackPair() {
    for (int fd : {listener_, client_, accepted_}) {
      if (fd >= 0) close(fd);
    }
  }
  bool ok() const { return accepted_ >= 0; }
  int accepted() const { return accepted_; }
  // The client's port, as the server sees it.
  int client_port() const {
    sockaddr_storage addr{};
    socklen_t len = sizeof addr;
    getsockname(client_, reinterpret_cast<sockaddr*>(&addr), &len);
    return addr.ss_family == AF_INET ? ntohs(reinterpret_cast<sockaddr_in*>(&addr)->sin_port)
                                     : ntohs(reinterpret_cast<sockaddr_in6*>(&addr)->sin6_port);
  }

 private:
  int listener_ = -1, client_ = -1, accepted_ = -1;
};

TEST(PeerAddressTest, Ipv4IsAddressColonPort) {
  LoopbackPair pair(AF_INET);
  ASSERT_TRUE(pair.ok());
  EXPECT_EQ(PeerAddress(pair.accepted()), "127.0.0.1:" + std::to_string(pair.client_port()));
}

TEST(PeerAddressTest, Ipv6IsBracketedAddressColonPort) {
  LoopbackPair pair(AF_INET6);
  if (!pair.ok()) GTEST_SKIP() << "no IPv6 loopback address on this host";
  EXPECT_EQ(PeerAddress(pair.accepted()), "[::1]:" + std::to_string(pair.client_port()));
}

TEST(PeerAddressTest, UnixSocketIsLocalAndANonSocketIsUnknown) {
  int fds[2];
  ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0);
  EXPECT_EQ(PeerAddress(fds[0]), "local");
  close(fds[0]);
  close(fds[1]);
  ASSERT_EQ(pipe(fds), 0);
  EXPECT_EQ(PeerAddress(fds[0]), "?");
  close(fds[0]);
  close(fds[1]);
}

}  // namespace
}  // namespace tt
