// One operator cannot lock everyone out of a console: a history of lines that are large as JSON
// (control bytes: six bytes each) is bounded by its encoded size, and a client that opens the
// console gets it whole instead of being closed as "too slow" for an answer it asked for.
#include <gtest/gtest.h>

#include "robustness/robustness.h"

namespace hwb::test {
namespace {

TEST(TextHistory, HeavyLinesDoNotLockOthersOutOfAConsole) {
    Daemon daemon(R"(bridge:
  name: Console bench
  max_message_bytes: 65536
  limits: {text_rate: 0}
devices:
  - {id: bench, driver: sim}
texts:
  - {id: console, device: bench, reply_prefix: "echo: "}
)");
    WsClient writer(daemon.port(), "text");
    ASSERT_TRUE(writer.wait_type("hello"));
    writer.send_json({{"type", "open"}, {"id", "o"}, {"channel", "console"}});
    ASSERT_TRUE(writer.wait_for([](const nlohmann::json& m) { return m.value("id", "") == "o"; }));
    const std::string heavy(4096, '\x01');
    for (int i = 0; i < 100; ++i) {
        writer.send_json({{"type", "send"}, {"id", i}, {"channel", "console"}, {"line", heavy}});
        auto ack = writer.wait_for([&](const nlohmann::json& m) { return m.value("id", -1) == i; }, std::chrono::seconds(10));
        ASSERT_TRUE(ack) << i;
        ASSERT_EQ((*ack)["type"], "ack") << *ack;
    }
    // Several new viewers open the console: each gets the history, none is closed.
    for (int k = 0; k < 3; ++k) {
        WsClient viewer(daemon.port(), "text");
        ASSERT_TRUE(viewer.wait_type("hello"));
        viewer.send_json({{"type", "open"}, {"id", "v"}, {"channel", "console"}});
        auto opened = viewer.wait_for([](const nlohmann::json& m) { return m.value("id", "") == "v"; }, std::chrono::seconds(10));
        ASSERT_TRUE(opened) << "viewer " << k << " got no answer; closed: " << viewer.closed() << " " << viewer.close_code();
        EXPECT_EQ((*opened)["type"], "ack") << opened->dump().substr(0, 200);
        EXPECT_FALSE(viewer.closed());
        ASSERT_TRUE(opened->contains("history"));
        EXPECT_GT((*opened)["history"].size(), 0u);
        EXPECT_LE(opened->dump().size(), 512u * 1024) << "the history is bounded by its encoded size";
    }
    EXPECT_EQ(daemon.log().find("client too slow"), std::string::npos) << daemon.log().substr(0, 4000);
    EXPECT_EQ(daemon.log().find("not reading"), std::string::npos);
}

}  // namespace
}  // namespace hwb::test
