#include "serial/escapes.h"

namespace hwb::serial {

namespace {

int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

void append_hex_escape(unsigned char byte, std::string& out) {
    static constexpr char digits[] = "0123456789ABCDEF";
    out += "\\x";
    out += digits[byte >> 4];
    out += digits[byte & 0xf];
}

// Length of the valid UTF-8 sequence starting at `s[i]`, or 0 if it is not one.
std::size_t utf8_sequence(std::string_view s, std::size_t i) {
    auto b = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
    unsigned char c = b(i);
    std::size_t n = 0;
    unsigned char lo = 0x80;
    unsigned char hi = 0xBF;
    if (c >= 0xC2 && c <= 0xDF) {
        n = 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
        n = 3;
        if (c == 0xE0) lo = 0xA0;   // no overlong forms
        if (c == 0xED) hi = 0x9F;   // no surrogates
    } else if (c >= 0xF0 && c <= 0xF4) {
        n = 4;
        if (c == 0xF0) lo = 0x90;
        if (c == 0xF4) hi = 0x8F;   // nothing above U+10FFFF
    } else {
        return 0;
    }
    if (i + n > s.size()) return 0;
    if (b(i + 1) < lo || b(i + 1) > hi) return 0;
    for (std::size_t k = 2; k < n; ++k)
        if (b(i + k) < 0x80 || b(i + k) > 0xBF) return 0;
    return n;
}

}  // namespace

Result<std::string> unescape(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (std::size_t i = 0; i < text.size(); ++i) {
        char c = text[i];
        if (c != '\\') {
            out += c;
            continue;
        }
        if (i + 1 == text.size()) return Error{"bad_escape", "a lone backslash ends the string; write \\\\ for a backslash"};
        char e = text[++i];
        switch (e) {
            case 'r': out += '\r'; break;
            case 'n': out += '\n'; break;
            case 't': out += '\t'; break;
            case '0': out += '\0'; break;
            case 'e': out += '\x1b'; break;
            case '\\': out += '\\'; break;
            case 'x': {
                int hi = i + 1 < text.size() ? hex_value(text[i + 1]) : -1;
                int lo = i + 2 < text.size() ? hex_value(text[i + 2]) : -1;
                if (hi < 0 || lo < 0) return Error{"bad_escape", "\\x needs two hex digits, e.g. \\x0D"};
                out += static_cast<char>(hi * 16 + lo);
                i += 2;
                break;
            }
            default:
                return Error{"bad_escape", std::string("unknown escape \\") + e +
                                               " (known: \\r \\n \\t \\0 \\e \\\\ \\xHH)"};
        }
    }
    return out;
}

void append_printable(std::string_view bytes, std::string& out) {
    for (std::size_t i = 0; i < bytes.size();) {
        auto c = static_cast<unsigned char>(bytes[i]);
        if (c < 0x80) {
            if ((c < 0x20 && c != '\t') || c == 0x7f) {
                append_hex_escape(c, out);
            } else {
                out += static_cast<char>(c);
            }
            ++i;
            continue;
        }
        std::size_t n = utf8_sequence(bytes, i);
        if (n == 0) {
            append_hex_escape(c, out);
            ++i;
        } else {
            out.append(bytes.data() + i, n);
            i += n;
        }
    }
}

std::string printable(std::string_view bytes) {
    std::string out;
    out.reserve(bytes.size());
    append_printable(bytes, out);
    return out;
}

}  // namespace hwb::serial
