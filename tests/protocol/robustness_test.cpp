// Frames a careless or hostile client can send: none may crash, throw or go unanswered.
#include <gtest/gtest.h>

#include "protocol/auth.h"
#include "protocol/messages.h"
#include "test_channels.h"

namespace hwb::protocol {
namespace {

using test::expect_rejected;
using test::expect_request;

template <class Parse>
void expect_all_reject(Parse parse, std::string_view frame, const std::string& code, const Json& id = nullptr) {
    const auto bad = expect_rejected(parse(frame));
    EXPECT_EQ(bad.error.code, code) << frame.substr(0, 80);
    EXPECT_EQ(bad.id, id) << frame.substr(0, 80);
    EXPECT_FALSE(bad.error.message.empty());
}

void expect_rejected_by_every_subprotocol(std::string_view frame, const std::string& code, const Json& id = nullptr) {
    expect_all_reject(&parse_sensor_request, frame, code, id);
    expect_all_reject(&parse_relay_request, frame, code, id);
    expect_all_reject(&parse_text_request, frame, code, id);
}

std::string nested_arrays(std::size_t depth) { return std::string(depth, '[') + std::string(depth, ']'); }

// The frame a client may send before it has a role gets the same guard as every request: a deep
// `auth` look-alike is left to the subprotocol's parser, which refuses it with the reason.
TEST(Robustness, DeeplyNestedAuthFrameIsNotParsedAndIsRefusedByTheSubprotocol) {
    const std::string deep = R"({"type":"auth","token":"t","x":)" + nested_arrays(100000) + "}";
    EXPECT_FALSE(parse_auth_request(deep).has_value());
    const auto bad = expect_rejected(parse_relay_request(deep));
    EXPECT_NE(bad.error.message.find("nests deeper than 64 levels"), std::string::npos) << bad.error.message;
    const std::string shallow = R"({"type":"auth","token":"t","x":)" + nested_arrays(10) + "}";
    ASSERT_TRUE(parse_auth_request(shallow).has_value());
    EXPECT_EQ(std::get<AuthRequest>(*parse_auth_request(shallow)).token, "t");
}

TEST(Robustness, EmptyFrameIsBadJson) {
    expect_rejected_by_every_subprotocol("", "bad_json");
    expect_rejected_by_every_subprotocol("   \n", "bad_json");
}

TEST(Robustness, MalformedJsonIsBadJson) {
    for (const char* frame : {"{", "}", "{\"type\":", "{'type':'subscribe'}", "{\"id\":1,}", "{\"id\":1} trailing",
                              "{\"id\":01}", "nul", "{\"id\":1}{\"id\":2}", "/* comment */ {}", "{\"id\":NaN}"}) {
        expect_rejected_by_every_subprotocol(frame, "bad_json");
    }
}

TEST(Robustness, InvalidUtf8IsBadJson) {
    for (const char* frame : {
             "{\"type\":\"toggle\",\"id\":1,\"channel\":\"pu\xFFmp\"}",      // byte never valid in UTF-8
             "{\"type\":\"toggle\",\"id\":1,\"channel\":\"\xC0\xAF\"}",        // overlong '/'
             "{\"type\":\"toggle\",\"id\":1,\"channel\":\"\xED\xA0\x80\"}",    // encoded surrogate
             "{\"type\":\"toggle\",\"id\":1,\"channel\":\"\xF4\x90\x80\x80\"}",  // above U+10FFFF
             "{\"type\":\"toggle\",\"id\":1,\"channel\":\"\xE2\x82\"}",        // truncated sequence
             "{\"type\":\"toggle\",\"id\":1,\"channel\":\"\\ud800\"}",         // lone surrogate escape
             "\xEF\xBB\xBF\xFF",
         }) {
        expect_rejected_by_every_subprotocol(frame, "bad_json");
    }
}

TEST(Robustness, NonObjectsAreBadRequests) {
    for (const char* frame : {"[]", "[{\"type\":\"toggle\",\"id\":1,\"channel\":\"p\"}]", "\"toggle\"", "42", "null", "true"}) {
        expect_rejected_by_every_subprotocol(frame, "bad_request");
    }
}

TEST(Robustness, MissingOrWrongTypedTypeIsBadRequestWithIdEchoed) {
    expect_rejected_by_every_subprotocol(R"({"id":"a"})", "bad_request", "a");
    expect_rejected_by_every_subprotocol(R"({"id":5,"type":null})", "bad_request", 5);
    expect_rejected_by_every_subprotocol(R"({"id":5,"type":["set"]})", "bad_request", 5);
    expect_rejected_by_every_subprotocol(R"({})", "bad_request");
}

TEST(Robustness, MissingIdIsBadRequestWithNullId) {
    const auto bad = expect_rejected(parse_relay_request(R"({"type":"toggle","channel":"pump"})"));
    EXPECT_EQ(bad.error.code, "bad_request");
    EXPECT_TRUE(bad.id.is_null());
    EXPECT_EQ(bad.error.message, "missing 'id' (a string or a number)");
}

TEST(Robustness, IdThatIsNotAStringOrNumberIsBadRequestWithNullId) {
    for (const char* id : {"null", "true", "[1]", "{\"n\":1}"}) {
        const auto bad =
            expect_rejected(parse_relay_request(std::string(R"({"type":"toggle","channel":"pump","id":)") + id + "}"));
        EXPECT_EQ(bad.error.code, "bad_request") << id;
        EXPECT_TRUE(bad.id.is_null()) << id;
        EXPECT_EQ(bad.error.message, "'id' must be a string or a number");
    }
}

TEST(Robustness, AnyStringOrNumberIdIsEchoedAsSent) {
    for (const char* id : {"0", "-3", "1.5", "\"\"", "\"r-1\"", "18446744073709551615", "\"\\u00e9\""}) {
        const auto& toggle = expect_request<RelayToggle>(
            parse_relay_request(std::string(R"({"type":"toggle","channel":"pump","id":)") + id + "}"));
        EXPECT_EQ(toggle.id, Json::parse(id)) << id;
    }
}

TEST(Robustness, IdIsEchoedWhenTheRestIsBad) {
    expect_all_reject(&parse_relay_request, R"({"type":"pulse","id":"keep-me","channel":"d","duration_ms":0})",
                      "bad_request", "keep-me");
    expect_all_reject(&parse_relay_request, R"({"type":"nope","id":12})", "unknown_type", 12);
    expect_all_reject(&parse_text_request, R"({"id":"t","type":"send","channel":""})", "bad_request", "t");
}

TEST(Robustness, HugeNumbersNeitherCrashNorPassValidation) {
    expect_all_reject(&parse_relay_request, R"({"type":"pulse","id":1,"channel":"d","duration_ms":1e300})",
                      "bad_request", 1);
    expect_all_reject(&parse_relay_request,
                      R"({"type":"pulse","id":1,"channel":"d","duration_ms":)" + std::string(300, '9') + "}",
                      "bad_request", 1);
    expect_all_reject(&parse_sensor_request, R"({"type":"subscribe","id":1,"max_rate_hz":1e308})", "bad_request", 1);
    // An integer id too big for 64 bits is kept as a double and echoed as a number.
    const auto toggle = expect_request<RelayToggle>(parse_relay_request(R"({"type":"toggle","channel":"p","id":1)" +
                                                                           std::string(30, '0') + "}"));
    EXPECT_EQ(Json::parse(text_ack(toggle.id, "p"))["id"].get<double>(), 1e30);
}

TEST(Robustness, NumbersBeyondTheRangeOfADoubleAreBadJson) {
    // JSON sets no limit, but the parser cannot represent them (RFC 8259 section 6 allows that).
    expect_rejected_by_every_subprotocol(R"({"type":"toggle","channel":"p","id":1e400})", "bad_json");
    expect_rejected_by_every_subprotocol(R"({"type":"pulse","id":1,"channel":"d","duration_ms":1)" + std::string(400, '0') + "}",
                                         "bad_json");
}

TEST(Robustness, BadJsonMessageSaysWhereAndStaysShort) {
    const auto bad = expect_rejected(parse_text_request(R"({"type":"send","id":1,"channel":"c","line":")" +
                                                         std::string(10000, 'x')));
    EXPECT_EQ(bad.error.code, "bad_json");
    EXPECT_EQ(bad.error.message.rfind("frame is not valid JSON: ", 0), 0u) << bad.error.message;
    EXPECT_NE(bad.error.message.find("line 1"), std::string::npos) << bad.error.message;
    EXPECT_EQ(bad.error.message.find("json.exception"), std::string::npos) << bad.error.message;
    EXPECT_LT(bad.error.message.size(), 240u);
}

TEST(Robustness, DeeplyNestedFrameIsRejectedWithoutCrashing) {
    const std::string deep = nested_arrays(100000);
    expect_rejected_by_every_subprotocol(deep, "bad_request");
    expect_rejected_by_every_subprotocol(std::string(100000, '{'), "bad_request");
    expect_rejected_by_every_subprotocol(std::string(100000, '['), "bad_request");
    const auto bad = expect_rejected(parse_sensor_request(deep));
    EXPECT_NE(bad.error.message.find("64"), std::string::npos) << bad.error.message;
}

TEST(Robustness, NestingUpTo64LevelsIsParsedAndDeeperIsRejected) {
    // The request object is level 1, so an extra field may hold 63 levels.
    auto frame = [](std::size_t extra) {
        return R"({"type":"toggle","id":1,"channel":"pump","future":)" + nested_arrays(extra) + "}";
    };
    expect_request<RelayToggle>(parse_relay_request(frame(63)));
    EXPECT_EQ(expect_rejected(parse_relay_request(frame(64))).error.code, "bad_request");
}

TEST(Robustness, BracketsInsideStringsDoNotCountAsNesting) {
    const std::string brackets(1000, '[');
    const auto& send = expect_request<TextSend>(
        parse_text_request(R"({"type":"send","id":1,"channel":"console","line":")" + brackets + R"(\"{{{{"})"));
    EXPECT_EQ(send.line, brackets + "\"{{{{");
}

TEST(Robustness, LongUnknownTypeIsQuotedShortened) {
    const std::string type(100000, 't');
    const auto bad = expect_rejected(parse_sensor_request(R"({"type":")" + type + R"(","id":1})"));
    EXPECT_EQ(bad.error.code, "unknown_type");
    EXPECT_LT(bad.error.message.size(), 200u);
}

TEST(Robustness, EveryPrefixAndByteFlipOfValidFramesIsAnsweredWithoutThrowing) {
    const std::string frames[] = {
        R"({"type":"subscribe","id":1,"channels":["temperature","humidity"],"max_rate_hz":2})",
        R"({"type":"pulse","id":"r3","channel":"door_opener","duration_ms":500,"client":"gé"})",
        R"({"type":"send","id":3,"channel":"console","line":"st\"a\\tus","client":"bench-laptop"})",
    };
    std::size_t answered = 0;
    for (const auto& frame : frames) {
        for (std::size_t n = 0; n <= frame.size(); ++n) {
            const std::string_view prefix(frame.data(), n);
            (void)parse_sensor_request(prefix);
            (void)parse_relay_request(prefix);
            (void)parse_text_request(prefix);
            ++answered;
        }
        for (std::size_t i = 0; i < frame.size(); ++i) {
            for (unsigned char b : {0x00, 0x22, 0x5B, 0x5C, 0x7B, 0x7D, 0x80, 0xC3, 0xFF}) {
                std::string flipped = frame;
                flipped[i] = static_cast<char>(b);
                (void)parse_sensor_request(flipped);
                (void)parse_relay_request(flipped);
                (void)parse_text_request(flipped);
                ++answered;
            }
        }
    }
    EXPECT_GT(answered, 1000u);
}

TEST(Robustness, LeadingWhitespaceBeforeTheObjectIsAllowed) {
    std::string frame(70000, ' ');
    frame += R"({"type":"toggle","id":1,"channel":"pump"})";
    EXPECT_NO_THROW(expect_request<RelayToggle>(parse_relay_request(frame)));
}

TEST(Robustness, RejectionEncodesAsAnErrorMessage) {
    const auto bad = expect_rejected(parse_relay_request(R"({"type":"pulse","id":"r9","channel":"d","duration_ms":-5})"));
    const Json j = Json::parse(error(bad.id, "", bad.error));
    EXPECT_EQ(j["type"], "error");
    EXPECT_EQ(j["id"], "r9");
    EXPECT_EQ(j["code"], "bad_request");
    EXPECT_EQ(j["message"], "'duration_ms' must be an integer between 1 and 86400000");
    EXPECT_FALSE(j.contains("channel"));
}

}  // namespace
}  // namespace hwb::protocol
