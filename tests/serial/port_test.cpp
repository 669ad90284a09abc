// The termios backend against real pseudo-terminals.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <unistd.h>

#include <thread>

#include "pty_device.h"
#include "serial/port_finder.h"
#include "serial/termios_port.h"

namespace hwb::serial {
namespace {

using namespace std::chrono_literals;

TermiosPort port_at(const std::string& path) {
    return TermiosPort(path, [path]() -> Result<std::string> { return path; }, LineSettings{});
}

TEST(TermiosPort, OpensAPtyNonBlockingCloseOnExecAndMovesBytesBothWays) {
    test::PtyDevice dev;
    auto port = port_at(dev.path());
    ASSERT_TRUE(port.open().ok());
    EXPECT_TRUE(fcntl(port.fd(), F_GETFD) & FD_CLOEXEC);
    EXPECT_TRUE(fcntl(port.fd(), F_GETFL) & O_NONBLOCK);
    char buf[64];
    EXPECT_EQ(port.read(buf).kind, IoResult::Kind::would_block);  // nothing there: no blocking
    std::string cmd = "R1 ON\r\n\xff";
    auto w = port.write(cmd);
    EXPECT_EQ(w.bytes, cmd.size());
    EXPECT_EQ(dev.read(cmd.size(), 2000ms), cmd);  // raw: no \r\n translation
    dev.write("T=1\r\n");
    std::this_thread::sleep_for(50ms);
    auto r = port.read(buf);
    ASSERT_EQ(r.kind, IoResult::Kind::ok);
    EXPECT_EQ(std::string(buf, r.bytes), "T=1\r\n");
}

TEST(TermiosPort, SecondOpenOfTheSamePortIsRefusedAsInUse) {
    test::PtyDevice dev;
    auto first = port_at(dev.path());
    ASSERT_TRUE(first.open().ok());
    auto second = port_at(dev.path());
    auto refused = second.open();
    ASSERT_FALSE(refused.ok());
    EXPECT_EQ(refused.error().code, "busy");
    EXPECT_EQ(refused.error().message, "port " + dev.path() + " is in use by another program");
    first.close();
    EXPECT_TRUE(second.open().ok()) << "the lock is released on close";
}

TEST(TermiosPort, MissingPortSaysSo) {
    auto port = port_at("/dev/hwb-no-such-port");
    auto r = port.open();
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, "missing");
    EXPECT_EQ(r.error().message, "port /dev/hwb-no-such-port missing");
}

TEST(TermiosPort, UnplugIsSeenAsDisconnected) {
    test::PtyDevice dev;
    auto port = port_at(dev.path());
    ASSERT_TRUE(port.open().ok());
    dev.unplug();
    char buf[16];
    EXPECT_EQ(port.read(buf).kind, IoResult::Kind::disconnected);
}

TEST(PortFinder, UsbMatchSelectsByVendorProductAndSerial) {
    std::vector<PortEntry> ports = {
        {"/dev/ttyUSB0", "FT232R", "usb", 0x0403, 0x6001, "A1", ""},
        {"/dev/ttyACM0", "Uno", "usb", 0x2341, 0x0043, "95530", ""},
        {"/dev/ttyACM1", "Uno", "usb", 0x2341, 0x0043, "77777", ""},
        {"/dev/ttyS0", "", "native", std::nullopt, std::nullopt, "", ""},
    };
    EXPECT_EQ(select_port(ports, {0x0403, std::nullopt, std::nullopt}).value(), "/dev/ttyUSB0");
    EXPECT_EQ(select_port(ports, {0x2341, 0x0043, std::string("77777")}).value(), "/dev/ttyACM1");
    auto ambiguous = select_port(ports, {0x2341, 0x0043, std::nullopt});
    ASSERT_FALSE(ambiguous.ok());
    EXPECT_NE(ambiguous.error().message.find("ambiguous"), std::string::npos);
    EXPECT_EQ(select_port(ports, {0x1a86, std::nullopt, std::nullopt}).error().code, "missing");
    auto listed = format_port_list(ports);
    EXPECT_NE(listed.find("/dev/ttyACM0  usb_vendor: \"2341\"  usb_product: \"0043\"  usb_serial: \"95530\""), std::string::npos)
        << listed;
}

}  // namespace
}  // namespace hwb::serial
