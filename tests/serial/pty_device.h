// A pseudo-terminal standing in for a serial device: the test holds the device (master) side,
// hwbridge opens `path()`, a symlink in a temp folder that keeps its name across unplug/replug.
#pragma once

#include <chrono>
#include <string>

namespace hwb::test {

class PtyDevice {
public:
    PtyDevice();
    ~PtyDevice();
    PtyDevice(const PtyDevice&) = delete;
    PtyDevice& operator=(const PtyDevice&) = delete;

    const std::string& path() const { return link_; }
    int fd() const { return master_; }  // the device side, for tests that play a board in a thread
    bool plugged() const { return master_ >= 0; }
    void unplug();  // closes the device side: hwbridge's reads fail with EIO / hang-up
    void plug();    // a new pty behind the same path

    void write(const std::string& bytes);  // all of it (blocks while the pty buffer is full)
    // Bytes the bridge wrote, read until `expected` bytes came or the timeout passed.
    std::string read(std::size_t expected, std::chrono::milliseconds timeout);
    // Reads until `text` appeared in what was read (returns all of it) or the timeout passed.
    std::string read_until(const std::string& text, std::chrono::milliseconds timeout);

private:
    std::string dir_;
    std::string link_;
    int master_ = -1;
};

}  // namespace hwb::test
