// What the server reads of a libwebsockets connection, in one place for HTTP and WebSocket alike.
#pragma once

#include <libwebsockets.h>

#include <string>

namespace hwb {

// A request header's value ("" when absent).
std::string header(lws* wsi, lws_token_indexes token);
// The peer's address as lws prints it ("127.0.0.1", "::1"; "?" when unknown), for logs and limits.
std::string peer_address(lws* wsi);

}  // namespace hwb
