#include "ksensors/w1.h"

#include <cctype>
#include <sstream>

namespace hwb::ksensors {
namespace {

constexpr const char* w1_devices = "bus/w1/devices";

class W1Source final : public Source {
public:
    W1Source(std::shared_ptr<SysfsFiles> files, std::vector<std::string> addresses)
        : files_(std::move(files)), addresses_(std::move(addresses)) {}

    // One after another: the thermometers share the bus, which the kernel holds for each conversion.
    std::vector<Result<double>> read_all() override {
        std::vector<Result<double>> out;
        for (const auto& a : addresses_) out.push_back(read_w1_thermometer(*files_, a));
        return out;
    }

private:
    std::shared_ptr<SysfsFiles> files_;
    std::vector<std::string> addresses_;
};

}  // namespace

bool valid_w1_address(const std::string& address) {
    if (address.size() != 15 || address[2] != '-') return false;
    for (std::size_t i = 0; i < address.size(); ++i) {
        if (i == 2) continue;
        char c = address[i];
        if (!std::isdigit(static_cast<unsigned char>(c)) && !(c >= 'a' && c <= 'f')) return false;
    }
    return true;
}

bool w1_thermometer_family(const std::string& address) {
    std::string family = address.substr(0, 2);
    return family == "10" || family == "22" || family == "28" || family == "3b" || family == "42";
}

Result<double> parse_w1_slave(const std::string& text) {
    std::istringstream in(text);
    std::string crc_line, data_line;
    std::getline(in, crc_line);
    std::getline(in, data_line);
    while (!crc_line.empty() && std::isspace(static_cast<unsigned char>(crc_line.back()))) crc_line.pop_back();
    auto shape = [&] { return Error{"parse", "w1_slave has an unexpected shape: '" + crc_line.substr(0, 60) + "'"}; };
    if (crc_line.find("crc=") == std::string::npos) return shape();
    if (crc_line.size() >= 2 && crc_line.compare(crc_line.size() - 2, 2, "NO") == 0)
        return Error{"crc", "CRC error on the 1-Wire bus (w1_slave says NO)"};
    if (crc_line.size() < 3 || crc_line.compare(crc_line.size() - 3, 3, "YES") != 0) return shape();
    auto t = data_line.find("t=");
    if (t == std::string::npos) return shape();
    auto value = parse_number(data_line.substr(t + 2));
    if (!value) return shape();
    // The scratchpad's bytes: all zero means a data line held low (its CRC is zero too).
    std::string bytes = crc_line.substr(0, crc_line.find(':'));
    bool zeros = true;
    for (char c : bytes)
        if (!std::isspace(static_cast<unsigned char>(c)) && c != '0') zeros = false;
    if (zeros) return Error{"zeros", "the thermometer's scratchpad reads all zeros (data line shorted?)"};
    // 85 °C with the reset scratchpad (50 05): the sensor lost power and never converted.
    if (*value == 85000 && bytes.rfind("50 05", 0) == 0)
        return Error{"power_on", "the thermometer reports its power-on value 85 °C (power dropped during conversion?)"};
    return *value;
}

std::vector<std::string> list_w1_thermometers(const SysfsFiles& files) {
    std::vector<std::string> out;
    for (const auto& name : files.list(w1_devices))
        if (valid_w1_address(name) && w1_thermometer_family(name)) out.push_back(name);
    return out;
}

Result<double> read_w1_thermometer(const SysfsFiles& files, const std::string& address) {
    std::string dir = std::string(w1_devices) + "/" + address;
    if (!files.exists(dir)) return Error{"missing", "1-Wire thermometer " + address + " is not on the bus"};
    auto text = files.read(dir + "/w1_slave");
    if (text.ok()) return parse_w1_slave(text.value());
    if (text.error().code != "missing") return text.error();
    // Kernels that offer only the newer attribute: m°C, CRC checked by the kernel (EIO otherwise).
    auto temperature = files.read(dir + "/temperature");
    if (!temperature.ok()) return temperature.error();
    auto v = parse_number(temperature.value());
    if (!v) return Error{"parse", dir + "/temperature: not a number"};
    return *v;
}

std::unique_ptr<Source> make_w1_source(std::shared_ptr<SysfsFiles> files, std::vector<std::string> addresses) {
    return std::make_unique<W1Source>(std::move(files), std::move(addresses));
}

}  // namespace hwb::ksensors
