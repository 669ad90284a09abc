// Where the tests find the sources and the daemon: the environment (CTest sets both), else the
// paths of the build that compiled this file. Kept alone in this file: the paths differ from one
// clone to another, and only this object then misses the shared compiler cache (docs/ci.md).
#include <cstdlib>
#include <string>

#include "support/daemon.h"

namespace hwb::test {

namespace {

std::string env_or(const char* name, const char* built_in) {
    const char* v = std::getenv(name);
    return v == nullptr || *v == '\0' ? built_in : v;
}

}  // namespace

std::string source_dir() { return env_or("HWB_SOURCE_DIR", HWB_TEST_SOURCE_DIR); }
std::string binary_path() { return env_or("HWB_BINARY", HWB_TEST_BINARY); }

}  // namespace hwb::test
