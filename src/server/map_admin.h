// What the server needs to let the page edit the device map (docs/protocol.md, "Device map"):
// read the running map, validate a draft, apply it (hot reload) and save it. Implemented by the
// app, which owns the map, the drivers and the reload; the server only speaks HTTP for it.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "core/result.h"

namespace hwb {

// One problem in a draft map, at its 1-based line and column (0: the whole file).
struct MapProblem {
    int line = 0;
    int column = 0;
    std::string message;
};

struct MapDocument {
    std::string path;     // the file the running map was loaded from
    std::string text;     // its text as loaded
    std::string version;  // opaque; changes whenever the running map or the file changes
};

struct MapApplyResult {
    // Error codes: invalid (see problems), stale (base_version is not the running version, or the
    // file changed on disk since), busy (another reload in progress), io (the file could not be
    // written; nothing was applied).
    std::optional<Error> error;
    std::vector<MapProblem> problems;  // for `invalid`
    std::string version;               // the running version afterwards
    std::vector<std::string> summary;  // human-readable: "device pumps: reopened", "relay fan: removed (safe state off)"
};

class MapAdmin {
public:
    virtual ~MapAdmin() = default;
    virtual MapDocument current() const = 0;
    // `admin`: the requester may apply (HttpRouter::admin_check). Only then are the files the draft names
    // looked at (TLS files, the secret file): for anyone else the answer must not depend on which
    // files exist on the bridge (docs/security.md, "Validating a hostile map").
    virtual std::vector<MapProblem> validate(const std::string& text, bool admin) const = 0;
    // Validates `text`; refuses unless `base_version` is the running version; with `save`, writes
    // the file atomically (temporary file, fsync, rename; the previous one kept as FILE.bak) before
    // reloading. `done` runs once on the loop thread when the reload finished (relays that had to
    // go to their safe state confirmed it), possibly before apply returns.
    virtual void apply(const std::string& text, const std::string& base_version, bool save,
                       std::function<void(MapApplyResult)> done) = 0;
    // The device map's JSON Schema (`hwbridge --schema`, compact), served as GET /api/map/schema
    // for the editor's completion. Static per binary: asked once, when the admin is set. Empty:
    // not served (404).
    virtual std::string schema() const { return {}; }
};

}  // namespace hwb
