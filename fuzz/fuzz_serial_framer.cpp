// Fuzzes the serial framer and value extraction with arbitrary device bytes. The first bytes choose
// the framing (a delimiter of 1-3 bytes and a frame limit, or fixed-length records), the chunk
// sizes the port's reads come in and the extraction (patterns like the shipped maps', patterns a
// backtracking matcher needs exponential time for, a pattern made of the input's own bytes, a CSV
// column, a JSON key). Checked: frames do not depend on how the bytes were split into reads, match a
// straightforward model of the whole stream, respect the limit, and extraction yields finite values.
#include <fuzzer/FuzzedDataProvider.h>

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "serial/extract.h"
#include "serial/framer.h"

namespace {

using hwb::serial::ExtractOutcome;
using hwb::serial::ExtractSpec;
using hwb::serial::Framer;
using hwb::serial::ValueExtractor;

[[noreturn]] void fail() { __builtin_trap(); }

struct Framing {
    bool fixed = false;
    std::string delimiter;
    std::size_t max_frame = 0;
};

Framer make(const Framing& f, std::vector<std::string>& out) {
    auto sink = [&out](std::string_view frame) { out.emplace_back(frame); };
    return f.fixed ? Framer::fixed(f.max_frame, sink) : Framer::lines(f.delimiter, f.max_frame, sink);
}

// What the framer should deliver for the whole stream: complete frames only.
std::vector<std::string> model(const Framing& f, const std::string& stream) {
    std::vector<std::string> frames;
    if (f.fixed) {
        for (std::size_t i = 0; i + f.max_frame <= stream.size(); i += f.max_frame)
            frames.push_back(stream.substr(i, f.max_frame));
        return frames;
    }
    std::size_t start = 0;
    for (std::size_t pos; (pos = stream.find(f.delimiter, start)) != std::string::npos;
         start = pos + f.delimiter.size()) {
        std::string frame = stream.substr(start, pos - start);
        if (frame.size() > f.max_frame) continue;
        if (f.delimiter == "\n" && !frame.empty() && frame.back() == '\r') frame.pop_back();
        frames.push_back(std::move(frame));
    }
    return frames;
}

// nullopt: the input's own pattern does not compile, or has several named groups and no field.
std::optional<ValueExtractor> make_extractor(FuzzedDataProvider& in) {
    // The last ones made std::regex backtrack exponentially (562 bytes of 'x' took > 10 s on
    // "(x+)+y"); on RE2 every one is linear in the frame (-timeout catches a stall).
    static const char* const patterns[] = {"T=(?<temp>-?[0-9.]+)", "H=(?<hum>[0-9.]+)", "^(?P<v>\\S+)$",
                                           "([0-9]+),([0-9]+)", "value: (.*)", "(x+)+y", "(a|[ab])+c",
                                           ".*.*.*.*x", "^(\\d+\\.?)+$", "(a|a)*b"};
    ExtractSpec spec;
    switch (in.ConsumeIntegralInRange(0, 3)) {
        case 0:
            spec.kind = ExtractSpec::Kind::pattern;
            spec.pattern = in.PickValueInArray(patterns);
            break;
        case 3: {
            spec.kind = ExtractSpec::Kind::pattern;
            spec.pattern = in.ConsumeRandomLengthString(64);
            auto made = ValueExtractor::make(spec);
            if (!made.ok()) {
                if (made.error().code != "bad_pattern" && made.error().code != "bad_field") fail();
                if (made.error().message.empty()) fail();
                return std::nullopt;
            }
            return std::move(made).value();
        }
        case 1:
            spec.kind = ExtractSpec::Kind::csv;
            spec.column = in.ConsumeIntegralInRange<std::size_t>(1, 8);
            spec.separator = in.ConsumeBool() ? ',' : ';';
            break;
        default:
            spec.kind = ExtractSpec::Kind::json;
            spec.key = in.ConsumeBool() ? "temp" : "env.temp";
            break;
    }
    spec.boolean = in.ConsumeBool();
    auto made = ValueExtractor::make(spec);
    if (!made.ok()) fail();  // every spec above is valid
    return std::move(made).value();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    FuzzedDataProvider in(data, size);
    Framing framing;
    framing.fixed = in.ConsumeIntegralInRange(0, 3) == 0;
    if (framing.fixed) {
        framing.max_frame = in.ConsumeIntegralInRange<std::size_t>(1, 64);
    } else {
        framing.delimiter = in.ConsumeBool() ? std::string("\n") : in.ConsumeBytesAsString(in.ConsumeIntegralInRange(1, 3));
        if (framing.delimiter.empty()) framing.delimiter = "\n";
        framing.max_frame = in.ConsumeIntegralInRange<std::size_t>(1, 300);
    }
    const std::optional<ValueExtractor> extractor = make_extractor(in);
    std::vector<std::size_t> chunks;
    for (int n = in.ConsumeIntegralInRange(0, 16); n > 0; --n) chunks.push_back(in.ConsumeIntegralInRange<std::size_t>(1, 512));
    const std::string stream = in.ConsumeRemainingBytesAsString();

    std::vector<std::string> whole;
    Framer one = make(framing, whole);
    one.feed(stream);

    std::vector<std::string> pieces;
    Framer many = make(framing, pieces);
    std::size_t at = 0;
    for (std::size_t i = 0; at < stream.size(); ++i) {
        const std::size_t n = chunks.empty() ? 1 : chunks[i % chunks.size()];
        many.feed(std::string_view(stream).substr(at, n));
        at += n;
    }

    if (whole != pieces || whole != model(framing, stream)) fail();
    if (one.counters().frames != whole.size() || many.counters().frames != pieces.size()) fail();
    for (const auto& frame : whole) {
        if (frame.size() > framing.max_frame) fail();
        double value = 0;
        if (extractor && extractor->extract(frame, value) == ExtractOutcome::value && !std::isfinite(value)) fail();
    }
    many.reset();
    return 0;
}
