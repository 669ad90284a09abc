#include <gtest/gtest.h>

#include "protocol/messages.h"
#include "test_channels.h"

namespace hwb::protocol {
namespace {

using test::expect_rejected;
using test::expect_request;

Parsed<TextRequest> parse_text(std::string_view frame) { return parse_text_request(frame); }

TEST(TextRequest, OpenAndCloseName1Channel) {
    const auto& open = expect_request<TextOpen>(parse_text(R"({"type":"open","id":1,"channel":"console"})"));
    EXPECT_EQ(open.id, 1);
    EXPECT_EQ(open.channel, "console");
    const auto& close = expect_request<TextClose>(parse_text(R"({"type":"close","id":2,"channel":"console"})"));
    EXPECT_EQ(close.id, 2);
    EXPECT_EQ(close.channel, "console");
}

TEST(TextRequest, SendCarriesLineAndClient) {
    const auto& send = expect_request<TextSend>(
        parse_text(R"({"type":"send","id":3,"channel":"console","line":"status","client":"bench-laptop"})"));
    EXPECT_EQ(send.id, 3);
    EXPECT_EQ(send.channel, "console");
    EXPECT_EQ(send.line, "status");
    EXPECT_EQ(send.client, "bench-laptop");
}

TEST(TextRequest, SendKeepsUnicodeAndEscapesOfTheLine) {
    const auto& send = expect_request<TextSend>(
        parse_text(R"({"type":"send","id":3,"channel":"console","line":"t\u00e9st \"q\" \\ \t 😀"})"));
    EXPECT_EQ(send.line, "té" "st \"q\" \\ \t \xF0\x9F\x98\x80");
    EXPECT_EQ(send.client, "");
}

TEST(TextRequest, EmptyLineIsAccepted) {
    EXPECT_EQ(expect_request<TextSend>(parse_text(R"({"type":"send","id":3,"channel":"console","line":""})")).line, "");
}

TEST(TextRequest, LineMustBeAString) {
    for (const char* line : {"", R"(,"line":null)", R"(,"line":42)", R"(,"line":["a"])"}) {
        const auto bad = expect_rejected(parse_text(std::string(R"({"type":"send","id":"s","channel":"console")") + line + "}"));
        EXPECT_EQ(bad.error.code, "bad_request") << line;
        EXPECT_EQ(bad.id, "s");
        EXPECT_EQ(bad.error.message, "'line' must be a string");
    }
}

TEST(TextRequest, LineWithLineBreaksIsRejected) {
    for (const char* line : {R"("a\nb")", R"("a\r")", R"("\r\n")"}) {
        const auto bad = expect_rejected(parse_text(std::string(R"({"type":"send","id":"s","channel":"console","line":)") + line + "}"));
        EXPECT_EQ(bad.error.code, "bad_request") << line;
        EXPECT_NE(bad.error.message.find("line breaks"), std::string::npos);
    }
}

TEST(TextRequest, SendClientNameOver64CharactersIsRejected) {
    const auto bad = expect_rejected(
        parse_text(R"({"type":"send","id":1,"channel":"console","line":"x","client":")" + std::string(65, 'c') + "\"}"));
    EXPECT_EQ(bad.error.code, "bad_request");
    EXPECT_NE(bad.error.message.find("'client'"), std::string::npos);
}

TEST(TextRequest, OpenWithoutChannelIsRejected) {
    const auto bad = expect_rejected(parse_text(R"({"type":"open","id":1})"));
    EXPECT_EQ(bad.error.code, "bad_request");
    EXPECT_EQ(bad.id, 1);
    EXPECT_NE(bad.error.message.find("'channel'"), std::string::npos);
}

TEST(TextRequest, UnknownTypeListsTheTextMessages) {
    const auto bad = expect_rejected(parse_text(R"({"type":"write","id":1,"channel":"console"})"));
    EXPECT_EQ(bad.error.code, "unknown_type");
    EXPECT_NE(bad.error.message.find("open, close, send"), std::string::npos) << bad.error.message;
}

}  // namespace
}  // namespace hwb::protocol
