#include "serial/escapes.h"

#include "core/text.h"

namespace hwb::serial {

namespace {

int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

void append_hex_escape(unsigned char byte, std::string& out) {
    out += "\\x";
    append_hex_byte(out, byte, true);
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
        std::size_t n = utf8_sequence_length(bytes, i);
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
