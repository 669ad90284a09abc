// Collects device-map errors with their file:line:col so the loader can report all of them at once.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "devicemap/bounds.h"
#include "devicemap/loader.h"

namespace hwb::devicemap {

class Diagnostics {
public:
    explicit Diagnostics(std::string file) : file_(std::move(file)) {}

    // yaml-cpp marks are 0-based; a null mark (nodes without a position) becomes line 0, which
    // Diagnostic::str() prints as a file-level error.
    SourceLocation location(const YAML::Mark& mark) const;

    void error(const YAML::Mark& at, std::string message) { error(location(at), std::move(message)); }
    void error(SourceLocation at, std::string message);

    bool empty() const { return count_ == 0; }
    std::size_t count() const { return count_; }
    const std::string& file() const { return file_; }

    // The errors in file order (stable, so errors at one position keep the order they were found in):
    // the first max_reported_errors found, then one without a position saying how many were left out.
    std::vector<Diagnostic> take_sorted();

private:
    std::string file_;
    std::vector<Diagnostic> errors_;
    std::size_t count_ = 0;
    std::size_t answer_bytes_ = 0;
};

}  // namespace hwb::devicemap
