// Appends one flat JSON object to a string without building a DOM: the encoders of the hot-path
// messages (reading, state, line) use it so a reading costs one allocation, and `type` comes first
// as in docs/protocol.md. Strings are escaped; invalid UTF-8 becomes U+FFFD, non-finite numbers
// become null, so the output is always valid JSON.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace hwb::protocol {

// Appends `text` as a JSON string literal (quotes included).
void append_json_string(std::string& out, std::string_view text);
// Appends `value` in shortest round-trip form, or null when it is NaN or infinite.
void append_json_number(std::string& out, double value);
// Serialises a DOM value; never throws on invalid UTF-8 (replaced with U+FFFD).
std::string dump(const nlohmann::json& value);

class ObjectWriter {
public:
    explicit ObjectWriter(std::size_t reserve = 128) {
        out_.reserve(reserve);
        out_ += '{';
    }

    ObjectWriter& str(std::string_view key, std::string_view value) {
        this->key(key);
        append_json_string(out_, value);
        return *this;
    }
    ObjectWriter& number(std::string_view key, double value) {
        this->key(key);
        append_json_number(out_, value);
        return *this;
    }
    ObjectWriter& integer(std::string_view key, std::int64_t value);
    ObjectWriter& integer(std::string_view key, std::uint64_t value);
    ObjectWriter& boolean(std::string_view key, bool value) {
        this->key(key);
        out_ += value ? "true" : "false";
        return *this;
    }
    ObjectWriter& null(std::string_view key) {
        this->key(key);
        out_ += "null";
        return *this;
    }
    ObjectWriter& json(std::string_view key, const nlohmann::json& value);
    // `value` must already be valid JSON.
    ObjectWriter& raw(std::string_view key, std::string_view value) {
        this->key(key);
        out_ += value;
        return *this;
    }

    // Closes the object and hands over the text; the writer is spent afterwards.
    std::string finish() {
        out_ += '}';
        return std::move(out_);
    }

private:
    void key(std::string_view key) {
        if (!first_) out_ += ',';
        first_ = false;
        append_json_string(out_, key);
        out_ += ':';
    }

    std::string out_;
    bool first_ = true;
};

}  // namespace hwb::protocol
