// The device-map file on disk: its version (a content hash) and the atomic save.
#pragma once

#include <string>

#include "core/result.h"

namespace hwb::app {

// An opaque version of a map text: equal texts have equal versions.
std::string map_version(const std::string& text);

// The file's current text; Error "io" when it cannot be read.
Result<std::string> read_map_file(const std::string& path);

// Replaces `path` with `text` so that readers see the old or the new file, never a mix: the text
// goes to a temporary file in the same folder (same mode as the old file), is fsynced and renamed
// over `path`; the folder is fsynced. The previous text is kept as `path`.bak (written the same
// way) first. A symlink is followed: its target is replaced. When an Error "io" is returned the
// file is unchanged (the backup may have been refreshed).
Status save_map_file(const std::string& path, const std::string& text);

}  // namespace hwb::app
