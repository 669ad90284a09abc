// Request merging: the reads a map costs. Items of one unit, table and poll interval are sorted
// by address and joined into as few reads as the protocol allows: a read spans at most 125
// registers (2000 coils or discrete inputs), and two items are joined across a gap only when the
// gap is at most `max_gap` registers (bits), since a gap may hold addresses the device refuses.
#pragma once

#include <chrono>
#include <cstdint>
#include <vector>

namespace hwb::modbus {

enum class Table : std::uint8_t { coil, discrete, holding, input };
const char* to_string(Table table);
int read_function(Table table);  // 01, 02, 03, 04
bool is_bit(Table table);
std::uint16_t max_read(Table table);  // 2000 bits or 125 registers per read

struct PlanItem {
    int unit = 1;
    Table table = Table::holding;
    std::uint16_t address = 0;
    std::uint16_t count = 1;  // registers (bits) the item occupies
    std::chrono::milliseconds interval{1000};
    std::size_t index = 0;  // the caller's, e.g. the sensor's position
};

struct PlannedRead {
    int unit = 1;
    Table table = Table::holding;
    std::uint16_t address = 0;
    std::uint16_t count = 0;
    std::chrono::milliseconds interval{1000};
    std::vector<std::size_t> items;  // indexes of the PlanItems it serves
};

std::vector<PlannedRead> plan_reads(const std::vector<PlanItem>& items, std::uint16_t max_gap);
// Requests per second the plan costs when every unit answers.
double requests_per_second(const std::vector<PlannedRead>& reads);

}  // namespace hwb::modbus
