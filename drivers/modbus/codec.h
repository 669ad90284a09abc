// Turning Modbus registers into numbers: the data types and word/byte orders of the map's
// `type:` and `word_order:` keys (docs/modbus.md, "Word order"). Pure functions, no I/O.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>

namespace hwb::modbus {

enum class DataType : std::uint8_t { int16, uint16, int32, uint32, float32, int64, uint64, float64 };
// The four orders of a 32-bit value's bytes A B C D (A most significant) in two registers:
// ABCD big-endian (the Modbus norm), CDAB word-swapped, BADC byte-swapped, DCBA little-endian.
// For 16- and 64-bit values the same two swaps apply: registers reversed (CDAB, DCBA) and
// bytes within each register swapped (BADC, DCBA).
enum class WordOrder : std::uint8_t { abcd, cdab, badc, dcba };

int register_count(DataType type);
std::optional<DataType> parse_data_type(const std::string& text);
std::optional<WordOrder> parse_word_order(const std::string& text);
const char* to_string(DataType type);

// `registers` holds exactly register_count(type) registers as read from the device.
double decode(std::span<const std::uint16_t> registers, DataType type, WordOrder order);
// The inverse (for tests and the read command's sanity checks).
void encode(double value, DataType type, WordOrder order, std::span<std::uint16_t> registers);

}  // namespace hwb::modbus
