// Static metadata of each channel kind, as declared in the device map and sent to clients in `hello`.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace hwb {

enum class ChannelKind : std::uint8_t { sensor, relay, text };
const char* to_string(ChannelKind kind);

// An id in the map (channel, device, automation) or one made from another bridge's: 1 to `max`
// ASCII letters, digits, '_' or '-'.
bool is_identifier(std::string_view id, std::size_t max = 64);

// How the page shows a channel (docs/device-map.md, "ui"): display only, never the hardware, so a
// reload that changes it restarts nothing.
struct ChannelUi {
    std::int64_t order = 0;     // lower first; equal orders keep map order
    std::string group;          // title of the section the channel is drawn in; empty: none
    bool hidden = false;        // not on the dashboard (still in hello, still usable)
    bool compact = false;       // one line even in the card view
    friend bool operator==(const ChannelUi&, const ChannelUi&) = default;
};

// The words of a boolean sensor or a relay (device_class, on_text, off_text): the loader fills
// on_text/off_text from the class when the map does not give them; all empty: "On"/"Off".
struct ChannelWords {
    std::string device_class;
    std::string on_text;
    std::string off_text;
    friend bool operator==(const ChannelWords&, const ChannelWords&) = default;
};

enum class SensorType : std::uint8_t { number, boolean };

struct SensorInfo {
    std::string id;
    std::string label;
    std::string device;
    std::string unit;                    // empty for unitless / boolean
    SensorType type = SensorType::number;
    std::optional<double> min;           // optional display/validity range
    std::optional<double> max;
    int precision = 2;                   // decimals worth showing
    std::int64_t history_window_ms = 300000;  // recent readings kept for new clients' trend charts
    std::int64_t history_spacing_ms = 200;    // at most one kept reading per spacing
    std::string device_label;                 // the device's label (its id when the map gives none)
    std::string origin;  // the hwbridge this channel is imported from (mqtt driver, `bridge:`); empty: local
    ChannelUi ui;
    ChannelWords words;                       // boolean sensors only
};

enum class RelayState : std::uint8_t { off, on, unknown };
const char* to_string(RelayState state);
inline RelayState relay_state(bool on) { return on ? RelayState::on : RelayState::off; }

struct RelayInfo {
    std::string id;
    std::string label;
    std::string device;
    bool initial_on = false;            // state requested when the device starts
    std::optional<bool> safe_state;     // applied at shutdown; none = leave as it is
    // Policies (docs/device-map.md): 0 = not used.
    std::int64_t max_on_ms = 0;         // switched off automatically after this long on
    std::int64_t min_on_ms = 0;         // once on, requests to switch off are refused this long
    std::int64_t min_off_ms = 0;        // once off, requests to switch on are refused this long
    std::string interlock;              // group: at most one relay of a group is on
    std::string device_label;
    std::string origin;                 // as SensorInfo::origin
    ChannelUi ui;
    ChannelWords words;
};

struct TextInfo {
    std::string id;
    std::string label;
    std::string device;
    std::size_t history_lines = 200;    // lines kept for clients that open the channel later
    std::size_t max_line_bytes = 4096;  // longer lines sent by a client are refused, from the device cut
    std::string device_label;
    std::string origin;                 // as SensorInfo::origin
    ChannelUi ui;
};

}  // namespace hwb
