// The printable addresses of a socket's ends, for logs and reports.
#pragma once

#include <string>

namespace tt {

// "address:port" of the peer of socket `fd` ("[address]:port" for IPv6),
// "local" for a UNIX-domain peer (a socket pair included), "?" when it
// cannot be known (the peer is gone, `fd` is not a socket).
std::string PeerAddress(int fd);
// The same for the socket's own end.
std::string LocalAddress(int fd);

}  // namespace tt
