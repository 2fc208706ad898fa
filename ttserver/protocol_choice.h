// The choice of protocol by the first byte a connection sends: the factory
// of sessions the server gives its workers (net/worker.h SessionFactory).
#pragma once

#include <cstdint>
#include <memory>

#include "ttserver/net/protocol_session.h"
#include "ttserver/server_context.h"

namespace tt {

// The protocol of a connection whose first byte is `first_byte`: 0xC8 = Tokyo
// Tyrant binary, 0x80 = memcached binary, 'A'..'Z' = HTTP (methods are upper
// case), any other byte = memcached text (its commands are lower case).
// nullptr for '*', reserved for RESP (the connection is then closed).
std::unique_ptr<ProtocolSession> NewProtocolSession(uint8_t first_byte, ServerContext* context,
                                                    int fd);

}  // namespace tt
