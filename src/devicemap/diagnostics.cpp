#include "devicemap/diagnostics.h"

#include <algorithm>

namespace hwb {

std::string Diagnostic::str() const {
    // Line 0 means "the file as a whole" (unreadable, empty): no position to point at.
    if (where.line <= 0) return where.file + ": error: " + message;
    return where.str() + ": error: " + message;
}

namespace devicemap {

SourceLocation Diagnostics::location(const YAML::Mark& mark) const {
    if (mark.is_null() || mark.line < 0) return {file_, 0, 0};
    return {file_, mark.line + 1, mark.column + 1};
}

void Diagnostics::error(SourceLocation at, std::string message) {
    errors_.push_back(Diagnostic{std::move(at), std::move(message)});
}

std::vector<Diagnostic> Diagnostics::take_sorted() {
    std::stable_sort(errors_.begin(), errors_.end(), [](const Diagnostic& a, const Diagnostic& b) {
        if (a.where.line != b.where.line) return a.where.line < b.where.line;
        return a.where.column < b.where.column;
    });
    return std::move(errors_);
}

}  // namespace devicemap
}  // namespace hwb
