// TLS on the listen port (docs/security.md, "TLS"): libwebsockets serves https and wss on the
// same port from the vhost's certificate. The files are checked with OpenSSL first so a wrong
// certificate or key ends the start-up with a message that says which file and why, instead of
// libwebsockets' generic failure.
#pragma once

#include <optional>
#include <string>

#include <libwebsockets.h>

#include "core/device_map.h"

namespace hwb {

// Why `tls` cannot be served (unreadable or not PEM, key not matching the certificate), or nullopt.
std::optional<std::string> tls_problem(const TlsConfig& tls);

// Sets the context's TLS fields; `tls` must outlive the context creation.
void apply_tls(lws_context_creation_info& info, const TlsConfig& tls);

}  // namespace hwb
