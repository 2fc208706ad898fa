// The addresses of a connected TCP socket, as text.
#pragma once

#include <string>

namespace tt {

// "ip:port" of the peer of socket `fd` ("[ip]:port" for IPv6), or "" when
// it has none (not a TCP/IP socket, or not connected).
std::string PeerAddress(int fd);
// The same for the socket's own end.
std::string LocalAddress(int fd);

}  // namespace tt
