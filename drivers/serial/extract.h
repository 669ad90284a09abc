// Picks a sensor's value out of a frame: by regular expression with a named field, by CSV column,
// or by JSON key; then converts it to a number (booleans: 1/0) and applies scale and offset.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "core/result.h"
#include "serial/pattern.h"

namespace hwb::serial {

enum class ExtractOutcome : std::uint8_t {
    value,        // a value was found
    no_match,     // the frame is not for this sensor (pattern did not match, no such key/column)
    bad_value,    // the frame is for this sensor but the text is not a number / boolean
};

struct ExtractSpec {
    enum class Kind : std::uint8_t { pattern, csv, json };
    Kind kind = Kind::pattern;
    std::string pattern;               // kind pattern
    std::string field;                 // named group; empty: the only named group, else group 1, else the match
    std::size_t column = 1;            // kind csv: 1 is the first column
    char separator = ',';
    std::string key;                   // kind json: "temp" or "env.temp"
    bool boolean = false;              // parse true/false/on/off/high/low/1/0
    double scale = 1;
    double offset = 0;
    std::string match;                 // non-empty: only frames matching this pattern are for the sensor
};

class ValueExtractor {
public:
    static Result<ValueExtractor> make(const ExtractSpec& spec);
    ExtractOutcome extract(std::string_view frame, double& value) const;

private:
    bool convert(std::string_view text, double& value) const;
    ExtractSpec spec_;
    std::shared_ptr<Pattern> pattern_;  // kind pattern
    std::shared_ptr<Pattern> match_;    // `match:`
    std::size_t group_ = 0;
};

// Number or boolean token to double; false if it is neither.
bool parse_number(std::string_view text, double& value);
bool parse_boolean(std::string_view text, double& value);

}  // namespace hwb::serial
