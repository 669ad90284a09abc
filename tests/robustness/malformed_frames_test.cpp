// A thousand connections that each send something a WebSocket client must not: protocol
// violations, truncated frames, invalid UTF-8 and JSON. Afterwards the daemon still serves
// everyone, no relay changed state, and no connection was left behind.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <map>
#include <random>

#include "robustness/robustness.h"

namespace hwb::test {
namespace {

// What the daemon must do with a case: answer with an error and stay open, end the connection
// (close frame or TCP close), or either (the client drops first, so there is nothing to see).
enum class Expect { error_answer, connection_ends, nothing };

struct Case {
    std::string name;
    std::string bytes;  // sent after the handshake
    Expect expect;
    std::string error_code;  // for error_answer
    int close_code = 0;      // for connection_ends, when the code is certain
};

const char* const subprotocols[] = {"sensor", "relay", "text"};

std::string random_bytes(std::mt19937& rng, std::size_t n) {
    std::string s(n, '\0');
    for (auto& c : s) c = static_cast<char>(rng() & 0xFF);
    return s;
}

// Requests that are valid JSON but must not switch anything.
const char* const bad_requests[] = {
    R"({"type":"set","id":1,"channel":"pump","state":"maybe"})",
    R"({"type":"set","id":2,"channel":"pump"})",
    R"({"type":"set","channel":"heater","state":"off"})",
    R"({"type":"toggle","id":[3],"channel":"lamp"})",
    R"({"type":"pulse","id":4,"channel":"pump","duration_ms":0})",
    R"({"type":"pulse","id":5,"channel":"pump","duration_ms":1.5})",
    R"({"type":"set","id":6,"channel":"pump","state":"on","lease_ms":10})",
    R"({"type":"set","id":7,"channel":{"id":"pump"},"state":"on"})",
    R"({"type":"set","id":8,"channel":"pump","state":"on","client":"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"})",
    R"(["set","pump","on"])",
};

Case make_case(std::mt19937& rng) {
    auto pick = [&](int n) { return static_cast<int>(rng() % static_cast<unsigned>(n)); };
    const std::string json_ok = R"({"type":"history","id":1,"channel":"temperature"})";
    switch (pick(14)) {
        case 0: {  // opcodes 3-7 and 0xB-0xF are reserved
            const int reserved[] = {3, 4, 5, 6, 7, 0xB, 0xC, 0xD, 0xE, 0xF};
            const auto op = static_cast<std::uint8_t>(reserved[pick(10)]);
            return {"reserved opcode", raw_frame(0x80 | op, json_ok), Expect::connection_ends, ""};
        }
        case 1: {  // RSV1-3 without a negotiated extension
            const std::uint8_t rsv[] = {0x40, 0x20, 0x10, 0x70};
            return {"reserved bits", raw_frame(0x81 | rsv[pick(4)], json_ok), Expect::connection_ends, ""};
        }
        case 2:
            // RFC 6455 wants the server to close here; libwebsockets 4.1.6 reads the frame as if it
            // were masked. Whatever it does, the checks after the run must hold.
            return {"unmasked frame", raw_frame(0x81, json_ok, false), Expect::nothing, ""};
        case 3:  // control frames carry at most 125 bytes and are never fragmented
            return pick(2) == 0 ? Case{"oversized ping", raw_frame(0x89, std::string(126 + pick(200), 'p')),
                                       Expect::connection_ends, ""}
                                : Case{"fragmented ping", raw_frame(0x09, "ping"), Expect::connection_ends, ""};
        case 4:
            return {"continuation without a start", raw_frame(0x80, json_ok), Expect::connection_ends, ""};
        case 5:  // a 64-bit length with the top bit set
            return {"length with the top bit set", std::string("\x81\xFF\x80\x00\x00\x00\x00\x00\x00\x10", 10) + "abcd",
                    Expect::connection_ends, ""};
        case 6:  // declares more than max_message_bytes (4096) and sends a bit more than that
            return {"oversized frame", raw_frame(0x81, std::string(6000 + pick(100000), 'x')).substr(0, 4200 + pick(1000)),
                    Expect::connection_ends, "", 1009};
        case 7: {  // the header stops early; the client then closes
            std::string full = raw_frame(0x81, std::string(300, 'a'));
            return {"truncated header", full.substr(0, 1 + pick(6)), Expect::nothing, ""};
        }
        case 8: {  // invalid UTF-8 in a text frame
            std::string text = R"({"type":"history","id":1,"channel":")" + random_bytes(rng, 1 + pick(8)) + "\xC3\x28\xFF\"}";
            return {"invalid UTF-8", raw_frame(0x81, text), Expect::error_answer, "bad_json"};
        }
        case 9: {  // not JSON
            const char* junk[] = {"{", "}", "{\"type\":", "nul", "[1,2", "{\"a\" 1}", "\"\\uD800\"x", "1e999999"};
            return {"invalid JSON", raw_frame(0x81, junk[pick(8)]), Expect::error_answer, "bad_json"};
        }
        case 10: {  // JSON, but not a valid request: never switches anything
            std::string text = bad_requests[pick(static_cast<int>(std::size(bad_requests)))];
            // The code depends on the subprotocol (unknown_type outside relay) and the field.
            return {"bad request", raw_frame(0x81, text), Expect::error_answer, ""};
        }
        case 11:
            return {"random bytes", random_bytes(rng, 1 + pick(64)), Expect::nothing, ""};
        case 12: {  // a close frame whose payload is one byte or an invalid code
            const std::string payloads[] = {std::string("\x03", 1), std::string("\x03\xED", 2) /* 1005 */,
                                            std::string("\x00\x00", 2), std::string("\x03\xE8\xC3\x28", 4)};
            return {"bad close frame", raw_frame(0x88, payloads[pick(4)]), Expect::connection_ends, ""};
        }
        default: {  // a new text frame while a fragmented one is unfinished
            return {"interleaved data frames", raw_frame(0x01, "{\"type\":") + raw_frame(0x81, json_ok),
                    Expect::connection_ends, ""};
        }
    }
}

struct RelaySnapshot {
    std::map<std::string, std::string> states;
};

RelaySnapshot relay_states(std::uint16_t port) {
    WsClient c(port, "relay");
    RelaySnapshot s;
    auto hello = c.wait_type("hello");
    if (!hello) return s;
    for (const auto& ch : (*hello)["channels"]) s.states[ch["id"]] = ch["state"];
    return s;
}

TEST(MalformedFrames, ThousandBadConnectionsLeaveTheDaemonServingAndRelaysUntouched) {
    Daemon daemon(robustness_map());
    const unsigned seed = robustness_seed(20240607);
    std::mt19937 rng(seed);
    SCOPED_TRACE("seed " + std::to_string(seed) + " (HWB_ROBUSTNESS_SEED reproduces a run)");

    const RelaySnapshot before = relay_states(daemon.port());
    ASSERT_EQ(before.states.size(), 3u);
    // Watches the whole run: any relay change would be broadcast to it.
    WsClient watcher(daemon.port(), "relay");
    ASSERT_TRUE(watcher.wait_type("hello"));

    std::map<std::string, int> seen;
    std::map<std::string, int> codes;  // how each kind of violation ended, for the log
    int answered = 0, ended = 0;
    for (int i = 0; i < 1000; ++i) {
        const std::string subprotocol = subprotocols[rng() % 3];
        Case c = make_case(rng);
        ++seen[c.name];
        WsClient client(daemon.port(), subprotocol);
        ASSERT_TRUE(client.ok()) << "connection " << i << " (" << c.name << ") refused: " << client.refusal().head;
        ASSERT_TRUE(client.wait_type("hello")) << "connection " << i << ": no hello";
        try {
            client.send_raw(c.bytes);
        } catch (const std::exception&) {
            // The daemon may close before all bytes were written; that is an answer too.
        }
        switch (c.expect) {
            case Expect::error_answer: {
                auto error = client.wait_type("error", std::chrono::seconds(5));
                ASSERT_TRUE(error) << "connection " << i << " (" << c.name << "): no error answer";
                if (!c.error_code.empty()) { EXPECT_EQ((*error)["code"], c.error_code) << c.name; }
                EXPECT_FALSE(client.closed()) << c.name << " closed the connection";
                ++answered;
                break;
            }
            case Expect::connection_ends: {
                auto code = client.wait_close(std::chrono::seconds(5));
                ASSERT_TRUE(code) << "connection " << i << " (" << c.name << ") still open after 5 s";
                if (c.close_code != 0) { EXPECT_EQ(*code, c.close_code) << c.name; }
                ++codes[c.name + " " + std::to_string(*code)];
                ++ended;
                break;
            }
            case Expect::nothing:
                break;
        }
        // Half the connections linger until the client closes, the others are reset.
        client.drop(rng() % 2 == 0);
    }
    for (const auto& [what, n] : codes) std::printf("%s: %d\n", what.c_str(), n);
    RecordProperty("answered", answered);
    RecordProperty("ended", ended);
    for (const auto& [name, n] : seen) EXPECT_GT(n, 15) << name << " was hardly exercised";

    // Every one of the 1000 connections is gone: only the watcher is left.
    EXPECT_TRUE(wait_for_clients(daemon.port(), 1, std::chrono::seconds(10)))
        << "clients still connected: " << health_clients(daemon.port());
    // No relay moved: a new client sees the same states, and no state was broadcast.
    EXPECT_EQ(relay_states(daemon.port()).states, before.states);
    expect_relays_untouched_and_serving(watcher, daemon);
}

}  // namespace
}  // namespace hwb::test

namespace hwb::test {
namespace {

// RFC 6455 wants a server to close on an unmasked client frame (1002). libwebsockets 4.1.6 hands
// such a frame to the bridge like any other and exposes no mask bit, so the bridge cannot tell;
// docs/security.md says so. This pins what happens, so a library that changes it is noticed:
// the frame is read as it was sent and goes through the door like any request (role check, rate
// limits, audit). A browser always masks; a non-browser client could as well send a masked frame,
// so an unmasked one gives it no power it did not have.
TEST(MalformedFrames, AnUnmaskedFrameIsHandledLikeAnyRequestNotBypassingTheDoor) {
    Daemon daemon(robustness_map());
    WsClient client(daemon.port(), "relay");
    ASSERT_TRUE(client.wait_type("hello"));
    client.send_raw(raw_frame(0x81, R"({"type":"set","id":"u","channel":"lamp","state":"on"})", false));
    auto answer = client.wait_for([](const nlohmann::json& m) { return m.value("id", "") == "u"; });
    ASSERT_TRUE(answer) << "closed: " << client.closed() << " code " << client.close_code();
    EXPECT_EQ((*answer)["type"], "ack") << *answer;
    EXPECT_NE(daemon.log().find("audit: relay set lamp on by anonymous from 127.0.0.1"), std::string::npos) << daemon.log();
}

}  // namespace
}  // namespace hwb::test
