#include "serial/extract.h"

#include <charconv>
#include <cmath>
#include <strings.h>

#include <nlohmann/json.hpp>

namespace hwb::serial {

namespace {

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
    return s;
}

bool equals_nocase(std::string_view a, const char* b) {
    std::size_t n = std::char_traits<char>::length(b);
    return a.size() == n && ::strncasecmp(a.data(), b, n) == 0;
}

}  // namespace

bool parse_number(std::string_view text, double& value) {
    text = trim(text);
    if (!text.empty() && text.front() == '+') text.remove_prefix(1);
    if (text.empty()) return false;
    double v = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (ec != std::errc() || end != text.data() + text.size() || !std::isfinite(v)) return false;
    value = v;
    return true;
}

bool parse_boolean(std::string_view text, double& value) {
    text = trim(text);
    for (const char* t : {"1", "true", "on", "high", "yes"})
        if (equals_nocase(text, t)) return value = 1, true;
    for (const char* f : {"0", "false", "off", "low", "no"})
        if (equals_nocase(text, f)) return value = 0, true;
    return false;
}

Result<ValueExtractor> ValueExtractor::make(const ExtractSpec& spec) {
    ValueExtractor e;
    e.spec_ = spec;
    if (!spec.match.empty()) {
        auto compiled = Pattern::compile(spec.match);
        if (!compiled.ok()) return Error{"bad_match", compiled.error().message};
        e.match_ = std::make_shared<Pattern>(std::move(compiled).value());
    }
    if (spec.kind == ExtractSpec::Kind::pattern) {
        auto compiled = Pattern::compile(spec.pattern);
        if (!compiled.ok()) return compiled.error();
        e.pattern_ = std::make_shared<Pattern>(std::move(compiled).value());
        const auto& names = e.pattern_->names();
        if (!spec.field.empty()) {
            e.group_ = e.pattern_->group(spec.field);
            if (e.group_ == 0) return Error{"bad_field", "the pattern has no group named '" + spec.field + "'"};
        } else {
            std::size_t named = 0;
            for (std::size_t i = 0; i < names.size(); ++i)
                if (!names[i].empty()) {
                    ++named;
                    e.group_ = i + 1;
                }
            if (named > 1) return Error{"bad_field", "the pattern has several named groups; say which with 'field'"};
            if (named == 0) e.group_ = names.empty() ? 0 : 1;
        }
    }
    return e;
}

bool ValueExtractor::convert(std::string_view text, double& value) const {
    double v = 0;
    if (!(spec_.boolean ? parse_boolean(text, v) || parse_number(text, v) : parse_number(text, v))) return false;
    value = v * spec_.scale + spec_.offset;
    return true;
}

ExtractOutcome ValueExtractor::extract(std::string_view frame, double& value) const {
    if (match_ && !match_->matches(frame)) return ExtractOutcome::no_match;
    switch (spec_.kind) {
        case ExtractSpec::Kind::pattern: {
            std::string_view text;
            if (!pattern_->search(frame, group_, text)) return ExtractOutcome::no_match;
            return convert(text, value) ? ExtractOutcome::value : ExtractOutcome::bad_value;
        }
        case ExtractSpec::Kind::csv: {
            std::size_t col = 1;
            std::size_t start = 0;
            while (col < spec_.column) {
                std::size_t sep = frame.find(spec_.separator, start);
                if (sep == std::string_view::npos) return ExtractOutcome::no_match;
                start = sep + 1;
                ++col;
            }
            std::size_t end = frame.find(spec_.separator, start);
            std::string_view cell = frame.substr(start, end == std::string_view::npos ? frame.size() - start : end - start);
            return convert(cell, value) ? ExtractOutcome::value : ExtractOutcome::bad_value;
        }
        case ExtractSpec::Kind::json: {
            std::string_view t = trim(frame);
            if (t.empty() || t.front() != '{') return ExtractOutcome::no_match;
            auto doc = nlohmann::json::parse(t.begin(), t.end(), nullptr, false);
            if (doc.is_discarded()) return ExtractOutcome::bad_value;
            const nlohmann::json* node = &doc;
            std::string_view path = spec_.key;
            while (!path.empty()) {
                std::size_t dot = path.find('.');
                std::string part(path.substr(0, dot));
                if (!node->is_object()) return ExtractOutcome::no_match;
                auto it = node->find(part);
                if (it == node->end()) return ExtractOutcome::no_match;
                node = &*it;
                path = dot == std::string_view::npos ? std::string_view() : path.substr(dot + 1);
            }
            double v = 0;
            if (node->is_boolean()) {
                v = node->get<bool>() ? 1 : 0;
            } else if (node->is_number()) {
                v = node->get<double>();
            } else if (node->is_string()) {
                if (!convert(node->get_ref<const std::string&>(), value)) return ExtractOutcome::bad_value;
                return ExtractOutcome::value;
            } else {
                return ExtractOutcome::bad_value;
            }
            value = v * spec_.scale + spec_.offset;
            return ExtractOutcome::value;
        }
    }
    return ExtractOutcome::no_match;
}

}  // namespace hwb::serial
