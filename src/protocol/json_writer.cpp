#include "protocol/json_writer.h"

#include <charconv>
#include <cmath>

#include "core/text.h"

namespace hwb::protocol {

namespace {

template <class Int>
void append_integer(std::string& out, Int value) {
    char buf[24];
    auto [end, ec] = std::to_chars(buf, buf + sizeof buf, value);
    (void)ec;  // 24 bytes hold any 64-bit integer
    out.append(buf, end);
}

}  // namespace

void append_json_string(std::string& out, std::string_view text) {
    out += '"';
    std::size_t i = 0;
    while (i < text.size()) {
        // Copy the longest run that needs no escaping in one go.
        std::size_t run = i;
        while (run < text.size()) {
            const auto c = static_cast<unsigned char>(text[run]);
            if (c < 0x20 || c == '"' || c == '\\' || c >= 0x80) break;
            ++run;
        }
        out.append(text.data() + i, run - i);
        i = run;
        if (i == text.size()) break;

        const auto c = static_cast<unsigned char>(text[i]);
        if (c >= 0x80) {
            if (const auto n = utf8_sequence_length(text, i)) {
                out.append(text.data() + i, n);
                i += n;
            } else {
                out += "\xEF\xBF\xBD";  // U+FFFD REPLACEMENT CHARACTER
                ++i;
            }
            continue;
        }
        switch (c) {
            case '"': out += "\\\""; break;
            case '\\': out += "\\\\"; break;
            case '\b': out += "\\b"; break;
            case '\f': out += "\\f"; break;
            case '\n': out += "\\n"; break;
            case '\r': out += "\\r"; break;
            case '\t': out += "\\t"; break;
            default:
                out += "\\u00";
                append_hex_byte(out, c);
        }
        ++i;
    }
    out += '"';
}

void append_json_number(std::string& out, double value) {
    if (!std::isfinite(value)) {
        out += "null";
        return;
    }
    char buf[32];
    auto [end, ec] = std::to_chars(buf, buf + sizeof buf, value);  // shortest round-trip form
    (void)ec;  // 32 bytes hold any double in shortest form
    out.append(buf, end);
}

std::string dump(const nlohmann::json& value) {
    return value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

ObjectWriter& ObjectWriter::integer(std::string_view key, std::int64_t value) {
    this->key(key);
    append_integer(out_, value);
    return *this;
}

ObjectWriter& ObjectWriter::integer(std::string_view key, std::uint64_t value) {
    this->key(key);
    append_integer(out_, value);
    return *this;
}

ObjectWriter& ObjectWriter::json(std::string_view key, const nlohmann::json& value) {
    this->key(key);
    if (value.is_string()) {
        append_json_string(out_, value.get_ref<const std::string&>());
    } else {
        out_ += dump(value);
    }
    return *this;
}

}  // namespace hwb::protocol
