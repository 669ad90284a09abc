#include "devicemap/diagnostics.h"

#include <algorithm>

namespace hwb {

std::string Diagnostic::str() const {
    // Line 0 means "the file as a whole" (unreadable, empty): no position to point at.
    if (where.line <= 0) return where.file + ": error: " + message;
    return where.str() + ": error: " + message;
}

namespace devicemap {

namespace {

std::string visible(std::string_view text) {
    std::string out;
    for (char c : text) {
        const auto u = static_cast<unsigned char>(c);
        if (u < 0x20 || u == 0x7f) {
            static constexpr char hex[] = "0123456789abcdef";
            out += "\\x";
            out += hex[u >> 4];
            out += hex[u & 0xf];
        } else {
            out += c;
        }
    }
    return out;
}

// Bytes of `text` in a JSON string, at most: a control byte is \u00XX, and a byte of a non-ASCII
// character may be an invalid one that the answer writes as U+FFFD (3 bytes).
std::size_t json_bytes(std::string_view text) {
    std::size_t n = 0;
    for (char c : text) {
        const auto u = static_cast<unsigned char>(c);
        n += u < 0x20 ? 6 : u >= 0x80 ? 3 : (c == '"' || c == '\\') ? 2 : 1;
    }
    return n;
}

}  // namespace

std::string excerpt(std::string_view text) {
    if (text.size() <= max_quoted_bytes) return visible(text);
    std::size_t cut = max_quoted_bytes;
    while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;  // not inside a character
    return visible(text.substr(0, cut)) + "... (" + std::to_string(text.size()) + " bytes)";
}

SourceLocation Diagnostics::location(const YAML::Mark& mark) const {
    if (mark.is_null() || mark.line < 0) return {file_, 0, 0};
    return {file_, mark.line + 1, mark.column + 1};
}

void Diagnostics::error(SourceLocation at, std::string message) {
    ++count_;
    if (errors_.size() >= max_reported_errors || answer_bytes_ >= max_answer_bytes) return;
    if (message.size() > max_message_bytes) {
        const std::size_t left_out = message.size() - max_message_bytes;
        std::size_t cut = max_message_bytes;
        while (cut > 0 && (static_cast<unsigned char>(message[cut]) & 0xC0) == 0x80) --cut;
        message.resize(cut);
        message += "... [" + std::to_string(left_out) + " more bytes]";
    }
    answer_bytes_ += json_bytes(message) + 40;
    errors_.push_back(Diagnostic{std::move(at), std::move(message)});
}

std::vector<Diagnostic> Diagnostics::take_sorted() {
    std::stable_sort(errors_.begin(), errors_.end(), [](const Diagnostic& a, const Diagnostic& b) {
        if (a.where.line != b.where.line) return a.where.line < b.where.line;
        return a.where.column < b.where.column;
    });
    if (count_ > errors_.size()) {
        errors_.push_back(Diagnostic{SourceLocation{file_, 0, 0},
                                     std::to_string(count_ - errors_.size()) + " more errors not listed (only the first " +
                                         std::to_string(errors_.size()) + " found are)"});
    }
    return std::move(errors_);
}

}  // namespace devicemap
}  // namespace hwb
