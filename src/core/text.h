// Small text helpers shared by the layers (ASCII only: names, headers, keys; never user prose).
#pragma once

#include <cstddef>
#include <initializer_list>
#include <string>
#include <string_view>

namespace hwb {

// "Content-Type" -> "content-type"; bytes outside A-Z are left as they are.
std::string ascii_lower(std::string_view text);

// Length of the well-formed UTF-8 sequence starting at text[i], or 0 if it is not one (overlong
// forms, surrogates and code points above U+10FFFF are not well-formed).
std::size_t utf8_sequence_length(std::string_view text, std::size_t i);

// Two hex digits of `byte`, lower or upper case, appended to `out`.
void append_hex_byte(std::string& out, unsigned char byte, bool upper = false);

// The words of `words` (any range of things a string can be appended with) with `separator`
// between them: join({"a", "b"}) == "a, b".
template <typename Range>
std::string join(const Range& words, std::string_view separator = ", ") {
    std::string out;
    for (const auto& word : words) {
        if (!out.empty()) out += separator;
        out += word;
    }
    return out;
}
inline std::string join(std::initializer_list<const char*> words, std::string_view separator = ", ") {
    return join<std::initializer_list<const char*>>(words, separator);
}

}  // namespace hwb
