#include "modbus/codec.h"

#include <array>
#include <bit>
#include <cstring>

namespace hwb::modbus {

int register_count(DataType type) {
    switch (type) {
        case DataType::int16:
        case DataType::uint16: return 1;
        case DataType::int32:
        case DataType::uint32:
        case DataType::float32: return 2;
        case DataType::int64:
        case DataType::uint64:
        case DataType::float64: return 4;
    }
    return 1;
}

std::optional<DataType> parse_data_type(const std::string& t) {
    if (t == "int16") return DataType::int16;
    if (t == "uint16") return DataType::uint16;
    if (t == "int32") return DataType::int32;
    if (t == "uint32") return DataType::uint32;
    if (t == "float32") return DataType::float32;
    if (t == "int64") return DataType::int64;
    if (t == "uint64") return DataType::uint64;
    if (t == "float64") return DataType::float64;
    return std::nullopt;
}

std::optional<WordOrder> parse_word_order(const std::string& t) {
    if (t == "ABCD") return WordOrder::abcd;
    if (t == "CDAB") return WordOrder::cdab;
    if (t == "BADC") return WordOrder::badc;
    if (t == "DCBA") return WordOrder::dcba;
    return std::nullopt;
}

const char* to_string(DataType type) {
    switch (type) {
        case DataType::int16: return "int16";
        case DataType::uint16: return "uint16";
        case DataType::int32: return "int32";
        case DataType::uint32: return "uint32";
        case DataType::float32: return "float32";
        case DataType::int64: return "int64";
        case DataType::uint64: return "uint64";
        case DataType::float64: return "float64";
    }
    return "?";
}

namespace {

bool words_swapped(WordOrder o) { return o == WordOrder::cdab || o == WordOrder::dcba; }
bool bytes_swapped(WordOrder o) { return o == WordOrder::badc || o == WordOrder::dcba; }

std::uint16_t swap_bytes(std::uint16_t r) { return static_cast<std::uint16_t>((r << 8) | (r >> 8)); }

// The value's bits, most significant register first, after undoing the device's order.
std::uint64_t assemble(std::span<const std::uint16_t> regs, WordOrder order) {
    std::uint64_t bits = 0;
    std::size_t n = regs.size();
    for (std::size_t i = 0; i < n; ++i) {
        std::uint16_t r = regs[words_swapped(order) ? n - 1 - i : i];
        if (bytes_swapped(order)) r = swap_bytes(r);
        bits = (bits << 16) | r;
    }
    return bits;
}

}  // namespace

double decode(std::span<const std::uint16_t> regs, DataType type, WordOrder order) {
    std::uint64_t bits = assemble(regs, order);
    switch (type) {
        case DataType::int16: return static_cast<std::int16_t>(static_cast<std::uint16_t>(bits));
        case DataType::uint16: return static_cast<std::uint16_t>(bits);
        case DataType::int32: return static_cast<std::int32_t>(static_cast<std::uint32_t>(bits));
        case DataType::uint32: return static_cast<std::uint32_t>(bits);
        case DataType::float32: return std::bit_cast<float>(static_cast<std::uint32_t>(bits));
        case DataType::int64: return static_cast<double>(static_cast<std::int64_t>(bits));
        case DataType::uint64: return static_cast<double>(bits);
        case DataType::float64: return std::bit_cast<double>(bits);
    }
    return 0;
}

void encode(double value, DataType type, WordOrder order, std::span<std::uint16_t> regs) {
    std::uint64_t bits = 0;
    switch (type) {
        case DataType::int16: bits = static_cast<std::uint16_t>(static_cast<std::int16_t>(value)); break;
        case DataType::uint16: bits = static_cast<std::uint16_t>(value); break;
        case DataType::int32: bits = static_cast<std::uint32_t>(static_cast<std::int32_t>(value)); break;
        case DataType::uint32: bits = static_cast<std::uint32_t>(value); break;
        case DataType::float32: bits = std::bit_cast<std::uint32_t>(static_cast<float>(value)); break;
        case DataType::int64: bits = static_cast<std::uint64_t>(static_cast<std::int64_t>(value)); break;
        case DataType::uint64: bits = static_cast<std::uint64_t>(value); break;
        case DataType::float64: bits = std::bit_cast<std::uint64_t>(value); break;
    }
    std::size_t n = regs.size();
    for (std::size_t i = 0; i < n; ++i) {
        auto r = static_cast<std::uint16_t>(bits >> (16 * (n - 1 - i)));
        if (bytes_swapped(order)) r = swap_bytes(r);
        regs[words_swapped(order) ? n - 1 - i : i] = r;
    }
}

}  // namespace hwb::modbus
