// The device-map file: atomic save with a backup, symlinks kept, and versions.
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "app/map_file.h"

namespace hwb::app {
namespace {

namespace fs = std::filesystem;

class MapFileTest : public ::testing::Test {
protected:
    void SetUp() override {
        std::string pattern = (fs::temp_directory_path() / "hwb-mapfile-XXXXXX").string();
        ASSERT_NE(mkdtemp(pattern.data()), nullptr);
        dir = pattern;
    }
    void TearDown() override { fs::remove_all(dir); }
    std::string read(const fs::path& p) {
        std::ifstream in(p);
        return std::string(std::istreambuf_iterator<char>(in), {});
    }
    void write(const fs::path& p, const std::string& text) { std::ofstream(p) << text; }
    fs::path dir;
};

TEST_F(MapFileTest, SaveReplacesTheFileKeepsTheOldOneAsBackupAndItsMode) {
    auto map = dir / "map.yaml";
    write(map, "old: 1\n");
    ASSERT_EQ(chmod(map.c_str(), 0640), 0);
    ASSERT_TRUE(save_map_file(map.string(), "new: 2\n").ok());
    EXPECT_EQ(read(map), "new: 2\n");
    EXPECT_EQ(read(dir / "map.yaml.bak"), "old: 1\n");
    struct stat st {};
    ASSERT_EQ(stat(map.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0640u);
    // No temporary files left behind.
    std::size_t files = 0;
    for ([[maybe_unused]] const auto& entry : fs::directory_iterator(dir)) ++files;
    EXPECT_EQ(files, 2u);
}

TEST_F(MapFileTest, SymlinkedMapKeepsItsLink) {
    auto target = dir / "real.yaml";
    auto link = dir / "map.yaml";
    write(target, "a: 1\n");
    fs::create_symlink(target, link);
    ASSERT_TRUE(save_map_file(link.string(), "a: 2\n").ok());
    EXPECT_TRUE(fs::is_symlink(link));
    EXPECT_EQ(read(target), "a: 2\n");
}

TEST_F(MapFileTest, FailedBackupIsAnIoErrorAndTheFileIsUnchanged) {
    auto map = dir / "map.yaml";
    write(map, "a: 1\n");
    fs::create_directory(dir / "map.yaml.bak");  // a backup cannot be renamed over a folder, even by root
    auto saved = save_map_file(map.string(), "a: 2\n");
    ASSERT_FALSE(saved.ok());
    EXPECT_EQ(saved.error().code, "io");
    EXPECT_EQ(read(map), "a: 1\n");
}

TEST_F(MapFileTest, MissingFolderIsAnIoErrorNamingThePath) {
    auto saved = save_map_file((dir / "nowhere" / "map.yaml").string(), "a: 1\n");
    ASSERT_FALSE(saved.ok());
    EXPECT_EQ(saved.error().code, "io");
    EXPECT_NE(saved.error().message.find("nowhere"), std::string::npos) << saved.error().message;
}

TEST(MapVersion, EqualTextsEqualVersionsAndAnyChangeChangesIt) {
    EXPECT_EQ(map_version("a: 1\n"), map_version("a: 1\n"));
    EXPECT_NE(map_version("a: 1\n"), map_version("a: 2\n"));
    EXPECT_EQ(map_version("").size(), 16u);
}

}  // namespace
}  // namespace hwb::app
