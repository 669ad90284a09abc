#include "core/metrics.h"

#include <charconv>
#include <cmath>
#include <stdexcept>

namespace hwb {

namespace {

void append_value(std::string& out, double value) {
    if (std::isnan(value)) {
        out += "NaN";
    } else if (std::isinf(value)) {
        out += value > 0 ? "+Inf" : "-Inf";
    } else {
        char buffer[64];
        auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, value);
        out.append(buffer, ec == std::errc() ? end : buffer);
    }
}

// Label values escape backslash, double quote and line feed; HELP text backslash and line feed.
void append_escaped(std::string& out, std::string_view text, bool quote) {
    for (char c : text) {
        if (c == '\\') {
            out += "\\\\";
        } else if (c == '\n') {
            out += "\\n";
        } else if (quote && c == '"') {
            out += "\\\"";
        } else {
            out += c;
        }
    }
}

}  // namespace

MetricsWriter& MetricsWriter::family(std::string_view name, std::string_view type, std::string_view help) {
    if (!families_.emplace(name).second) throw std::logic_error("metrics: family " + std::string(name) + " written twice");
    out_ += "# HELP ";
    out_ += name;
    out_ += ' ';
    append_escaped(out_, help, false);
    out_ += "\n# TYPE ";
    out_ += name;
    out_ += ' ';
    out_ += type;
    out_ += '\n';
    return *this;
}

MetricsWriter& MetricsWriter::sample(std::string_view name, const MetricLabels& labels, double value) {
    out_ += name;
    if (!labels.empty()) {
        out_ += '{';
        bool first = true;
        for (const auto& [label, text] : labels) {
            if (!first) out_ += ',';
            first = false;
            out_ += label;
            out_ += "=\"";
            append_escaped(out_, text, true);
            out_ += '"';
        }
        out_ += '}';
    }
    out_ += ' ';
    append_value(out_, value);
    out_ += '\n';
    return *this;
}

void Histogram::observe(double value) {
    for (std::size_t i = 0; i < bounds_.size(); ++i) {
        if (value <= bounds_[i]) {
            ++counts_[i];
            break;
        }
    }
    ++count_;
    sum_ += value;
}

void Histogram::write(MetricsWriter& out, std::string_view name, std::string_view help) const {
    out.family(name, "histogram", help);
    const std::string bucket = std::string(name) + "_bucket";
    std::uint64_t cumulative = 0;
    for (std::size_t i = 0; i < bounds_.size(); ++i) {
        cumulative += counts_[i];
        char le[64];
        auto [end, ec] = std::to_chars(le, le + sizeof le, bounds_[i]);
        out.sample(bucket, {{"le", std::string_view(le, static_cast<std::size_t>((ec == std::errc() ? end : le) - le))}},
                   static_cast<double>(cumulative));
    }
    out.sample(bucket, {{"le", "+Inf"}}, static_cast<double>(count_));
    out.sample(std::string(name) + "_sum", sum_);
    out.sample(std::string(name) + "_count", static_cast<double>(count_));
}

}  // namespace hwb
