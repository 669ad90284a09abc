// What the loader relies on in yaml-cpp itself, pinned so that a new yaml-cpp that changes it is
// noticed here rather than in a user's error message. Checked the same on yaml-cpp 0.7.0 (Debian 12)
// and 0.8.0 (Debian 13), see docs/debian-releases.md.
#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <csignal>
#include <sys/wait.h>
#include <unistd.h>

namespace hwb::test {
namespace {

struct At {
    int line;
    int column;
    bool operator==(const At&) const = default;
};
At at(const YAML::Node& node) { return {node.Mark().line, node.Mark().column}; }
std::ostream& operator<<(std::ostream& os, const At& a) { return os << a.line << ":" << a.column; }

TEST(YamlCppContract, MarksAreZeroBasedLineAndColumnOfKeysValuesAndFlowItems) {
    YAML::Node root = YAML::Load("a: 1\nb:\n  - x\n  - [y, z]\nd: {e: f}\n");
    EXPECT_EQ(at(root["a"]), (At{0, 3}));
    EXPECT_EQ(at(root["b"]), (At{2, 2}));
    EXPECT_EQ(at(root["b"][1]), (At{3, 4}));
    EXPECT_EQ(at(root["b"][1][1]), (At{3, 8}));
    EXPECT_EQ(at(root["d"]["e"]), (At{4, 7}));
    std::vector<At> keys;
    for (const auto& entry : root) keys.push_back(at(entry.first));
    EXPECT_EQ(keys, (std::vector<At>{{0, 0}, {1, 0}, {4, 0}}));
}

TEST(YamlCppContract, EmptyValueIsMarkedAtTheNextTokenSoTheLoaderReportsItsKey) {
    // mapping_reader.h's value_mark(): a null value is reported at its key for this reason.
    YAML::Node root = YAML::Load("c:\nd: 1\n");
    EXPECT_TRUE(root["c"].IsNull());
    EXPECT_EQ(at(root["c"]), (At{1, 0}));
}

TEST(YamlCppContract, DuplicateKeysAreAcceptedSilentlySoTheLoaderChecksThem) {
    YAML::Node root = YAML::Load("k: 1\nk: 2\n");
    EXPECT_EQ(root.size(), 2u);
    EXPECT_EQ(root["k"].as<std::string>(), "1");
}

TEST(YamlCppContract, LoadAllNeverReturnsOnAStrayCommaSoTheLoaderCountsDocumentsFirst) {
    // yaml_document.cpp counts the documents with the event parser before YAML::LoadAll. If this
    // test fails, yaml-cpp returns now: the count may go (and this test with it).
    pid_t child = fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
        alarm(1);
        try {
            YAML::LoadAll(",");
        } catch (...) {
            _exit(3);  // threw: returned, in a way
        }
        _exit(0);  // returned
    }
    int status = 0;
    ASSERT_EQ(waitpid(child, &status, 0), child);
    EXPECT_TRUE(WIFSIGNALED(status)) << "LoadAll(\",\") returned (exit " << WEXITSTATUS(status) << ")";
    if (WIFSIGNALED(status)) {
        EXPECT_EQ(WTERMSIG(status), SIGALRM);
    }
}

}  // namespace
}  // namespace hwb::test
