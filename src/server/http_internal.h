// Shared by the HTTP handlers of the server (http.cpp, http_auth.cpp): the per-request state and
// the helpers that read headers and queue JSON answers.
#pragma once

#include <libwebsockets.h>

#include <cstdint>
#include <string>

#include "server/connection.h"
#include "server/map_api.h"
#include "server/server.h"

namespace hwb {

// Per-request state in lws' per-session memory (plain data: lws zeroes it and frees it).
struct HttpSlot {
    const char* data;      // answer body being sent
    std::size_t size;
    std::size_t sent;
    std::string* owned;    // body built for this request (JSON), freed when the transaction ends
    std::string* request;  // POST body being collected
    std::uint64_t pending;  // id in Server::map_requests_ while an apply/save waits for its result
    unsigned status;       // of a deferred answer (headers written in WRITEABLE)
    map_api::Action action;
    bool headers_pending;
    bool close_after;      // the request body was not read: close instead of keeping the connection
    bool login;            // the body is a POST /api/login
};
static_assert(sizeof(HttpSlot) <= http_slot_size, "http_slot_size is too small");

constexpr std::size_t max_login_body_bytes = 4096;

// A JSON answer whose headers are written in the next WRITEABLE: usable from any callback on the
// loop thread, including results that arrive after the request callback returned. `close_after`:
// close the connection afterwards (its request body was not read).
void defer_json(lws* wsi, HttpSlot* slot, unsigned status, std::string body, bool close_after = false);

}  // namespace hwb
