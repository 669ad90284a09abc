// A pseudo-terminal in raw mode standing in for a serial device: the generator holds the
// device (master) side, the daemon opens `path()`.
#pragma once

#include <string>

namespace hwb::bench {

class PtyPair {
public:
    explicit PtyPair(bool keep_slave = false);
    ~PtyPair();
    PtyPair(const PtyPair&) = delete;
    PtyPair& operator=(const PtyPair&) = delete;

    int master() const { return master_; }  // non-blocking
    int slave() const { return slave_; }    // -1 unless kept
    const std::string& path() const { return path_; }

private:
    int master_ = -1;
    int slave_ = -1;
    std::string path_;
};

}  // namespace hwb::bench
