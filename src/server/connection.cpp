#include "server/connection.h"

namespace hwb {

std::string header(lws* wsi, lws_token_indexes token) {
    int length = lws_hdr_total_length(wsi, token);
    if (length <= 0) return {};
    std::string value(static_cast<std::size_t>(length) + 1, '\0');
    if (lws_hdr_copy(wsi, value.data(), length + 1, token) < 0) return {};
    value.resize(static_cast<std::size_t>(length));
    return value;
}

std::string peer_address(lws* wsi) {
    char peer[64] = "?";
    lws_get_peer_simple(wsi, peer, sizeof(peer));
    return peer;
}

}  // namespace hwb
