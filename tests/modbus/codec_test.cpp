// The pure parts of the modbus driver: decoding registers, and merging reads (what a map costs).
// The same decoding is checked end to end against pymodbus' own encoding in modbus_daemon_test.
#include <gtest/gtest.h>

#include <array>
#include <cstdint>

#include "modbus/codec.h"
#include "modbus/plan.h"

namespace hwb::modbus {
namespace {

using std::chrono::milliseconds;

TEST(ModbusCodec, Float32InTheFourWordOrdersFromAVendorStyleTable) {
    // -12.5f is C1 48 00 00 (bytes A B C D).
    std::array<std::uint16_t, 2> abcd{0xC148, 0x0000}, cdab{0x0000, 0xC148}, badc{0x48C1, 0x0000}, dcba{0x0000, 0x48C1};
    EXPECT_EQ(decode(abcd, DataType::float32, WordOrder::abcd), -12.5);
    EXPECT_EQ(decode(cdab, DataType::float32, WordOrder::cdab), -12.5);
    EXPECT_EQ(decode(badc, DataType::float32, WordOrder::badc), -12.5);
    EXPECT_EQ(decode(dcba, DataType::float32, WordOrder::dcba), -12.5);
    EXPECT_NE(decode(abcd, DataType::float32, WordOrder::cdab), -12.5);
}

TEST(ModbusCodec, SignedAndUnsignedIntegers) {
    std::array<std::uint16_t, 1> minus_one{0xFFFF};
    EXPECT_EQ(decode(minus_one, DataType::int16, WordOrder::abcd), -1);
    EXPECT_EQ(decode(minus_one, DataType::uint16, WordOrder::abcd), 65535);
    std::array<std::uint16_t, 1> swapped{0x3412};
    EXPECT_EQ(decode(swapped, DataType::uint16, WordOrder::badc), 0x1234);
    std::array<std::uint16_t, 2> big{0x0001, 0x0002};
    EXPECT_EQ(decode(big, DataType::uint32, WordOrder::abcd), 65538);
    EXPECT_EQ(decode(big, DataType::uint32, WordOrder::cdab), 0x00020001);
    std::array<std::uint16_t, 2> neg{0xFFFF, 0xFFFE};
    EXPECT_EQ(decode(neg, DataType::int32, WordOrder::abcd), -2);
    std::array<std::uint16_t, 4> i64{0xFFFF, 0xFFFF, 0xFFFF, 0xFFFD};
    EXPECT_EQ(decode(i64, DataType::int64, WordOrder::abcd), -3);
}

TEST(ModbusCodec, EncodeIsTheInverseForEveryTypeAndOrder) {
    for (auto type : {DataType::int16, DataType::uint16, DataType::int32, DataType::uint32, DataType::float32, DataType::int64,
                      DataType::uint64, DataType::float64}) {
        for (auto order : {WordOrder::abcd, WordOrder::cdab, WordOrder::badc, WordOrder::dcba}) {
            std::array<std::uint16_t, 4> regs{};
            std::span<std::uint16_t> used(regs.data(), static_cast<std::size_t>(register_count(type)));
            double value = type == DataType::uint16 || type == DataType::uint32 || type == DataType::uint64 ? 4660 : -4660;
            encode(value, type, order, used);
            EXPECT_EQ(decode(used, type, order), value) << to_string(type) << " order " << static_cast<int>(order);
        }
    }
}

PlanItem item(int unit, Table table, std::uint16_t address, std::uint16_t count, long interval_ms, std::size_t index) {
    return PlanItem{unit, table, address, count, milliseconds(interval_ms), index};
}

TEST(ModbusPlan, RegistersOfOneUnitTableAndIntervalMergeAcrossSmallGapsOnly) {
    // An SDM120-like meter: float32 at 0x00, 0x06, 0x0C, 0x46, 0x48, 0x156.
    std::vector<PlanItem> items{item(1, Table::input, 0x00, 2, 1000, 0), item(1, Table::input, 0x06, 2, 1000, 1),
                                item(1, Table::input, 0x0C, 2, 1000, 2), item(1, Table::input, 0x46, 2, 1000, 3),
                                item(1, Table::input, 0x48, 2, 1000, 4), item(1, Table::input, 0x156, 2, 1000, 5)};
    auto reads = plan_reads(items, 8);
    ASSERT_EQ(reads.size(), 3u);
    EXPECT_EQ(reads[0].address, 0x00);
    EXPECT_EQ(reads[0].count, 14);  // 0x00..0x0D: gaps of 4 registers filled
    EXPECT_EQ(reads[0].items, (std::vector<std::size_t>{0, 1, 2}));
    EXPECT_EQ(reads[1].address, 0x46);
    EXPECT_EQ(reads[1].count, 4);
    EXPECT_EQ(reads[2].address, 0x156);
    EXPECT_DOUBLE_EQ(requests_per_second(reads), 3.0);
    // With max_gap 0 only adjacent registers share a read.
    EXPECT_EQ(plan_reads(items, 0).size(), 5u);
}

TEST(ModbusPlan, ReadsNeverExceedTheProtocolLimitAndKeysSeparate) {
    std::vector<PlanItem> items;
    for (std::size_t i = 0; i < 100; ++i) items.push_back(item(1, Table::holding, static_cast<std::uint16_t>(i * 2), 2, 500, i));
    auto reads = plan_reads(items, 8);
    ASSERT_EQ(reads.size(), 2u);  // 200 registers: 124 + 76 (a float never split)
    EXPECT_LE(reads[0].count, 125);
    EXPECT_EQ(reads[0].count + reads[1].count, 200);
    // Different unit, table or interval: never one read.
    std::vector<PlanItem> mixed{item(1, Table::holding, 0, 1, 500, 0), item(2, Table::holding, 1, 1, 500, 1),
                                item(1, Table::input, 2, 1, 500, 2), item(1, Table::holding, 3, 1, 1000, 3)};
    EXPECT_EQ(plan_reads(mixed, 8).size(), 4u);
    // Coils: up to 2000 bits per read.
    std::vector<PlanItem> coils{item(1, Table::coil, 0, 1, 1000, 0), item(1, Table::coil, 1999, 1, 1000, 1)};
    EXPECT_EQ(plan_reads(coils, 2000).size(), 1u);
}

}  // namespace
}  // namespace hwb::modbus
