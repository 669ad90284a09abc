#include "devicemap/entry_name.h"

#include "devicemap/schema.h"

namespace hwb::devicemap {

std::string entry_name(const YAML::Node& entry, const std::string& noun, std::size_t index) {
    // Const lookup: does not add the key. With duplicate 'id' keys the first wins, as in reading.
    const YAML::Node id = entry["id"];
    if (id.IsDefined() && id.IsScalar() && schema::is_identifier(id.Scalar())) return noun + " '" + id.Scalar() + "'";
    return noun + " #" + std::to_string(index + 1);
}

}  // namespace hwb::devicemap
