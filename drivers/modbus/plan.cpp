#include "modbus/plan.h"

#include <algorithm>
#include <map>
#include <tuple>

namespace hwb::modbus {

const char* to_string(Table table) {
    switch (table) {
        case Table::coil: return "coil";
        case Table::discrete: return "discrete input";
        case Table::holding: return "holding register";
        case Table::input: return "input register";
    }
    return "?";
}

int read_function(Table table) {
    switch (table) {
        case Table::coil: return 1;
        case Table::discrete: return 2;
        case Table::holding: return 3;
        case Table::input: return 4;
    }
    return 0;
}

bool is_bit(Table table) { return table == Table::coil || table == Table::discrete; }
std::uint16_t max_read(Table table) { return is_bit(table) ? 2000 : 125; }

std::vector<PlannedRead> plan_reads(const std::vector<PlanItem>& items, std::uint16_t max_gap) {
    using Key = std::tuple<int, int, long long>;
    std::map<Key, std::vector<const PlanItem*>> groups;
    for (const auto& item : items)
        groups[{item.unit, static_cast<int>(item.table), static_cast<long long>(item.interval.count())}].push_back(&item);
    std::vector<PlannedRead> out;
    for (auto& [key, group] : groups) {
        std::stable_sort(group.begin(), group.end(), [](const PlanItem* a, const PlanItem* b) { return a->address < b->address; });
        PlannedRead* current = nullptr;
        for (const PlanItem* item : group) {
            unsigned end = item->address + item->count;  // one past the item
            if (current != nullptr) {
                unsigned cur_end = current->address + current->count;
                unsigned new_end = std::max(cur_end, end);
                bool close = item->address <= cur_end || item->address - cur_end <= max_gap;
                if (close && new_end - current->address <= max_read(item->table)) {
                    current->count = static_cast<std::uint16_t>(new_end - current->address);
                    current->items.push_back(item->index);
                    continue;
                }
            }
            out.push_back(PlannedRead{item->unit, item->table, item->address, item->count, item->interval, {item->index}});
            current = &out.back();
        }
    }
    return out;
}

double requests_per_second(const std::vector<PlannedRead>& reads) {
    double total = 0;
    for (const auto& r : reads) total += 1000.0 / static_cast<double>(std::max<long long>(r.interval.count(), 1));
    return total;
}

}  // namespace hwb::modbus
