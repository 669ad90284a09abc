#pragma once

#include <string>

namespace hwb {

// 1-based position in the device map file, kept so late errors still point at file:line:col.
struct SourceLocation {
    std::string file;
    int line = 0;
    int column = 0;
    std::string str() const { return file + ":" + std::to_string(line) + ":" + std::to_string(column); }
};

}  // namespace hwb
