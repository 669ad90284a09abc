// Framing and escapes: what reaches the channels from a byte stream.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "serial/escapes.h"
#include "serial/framer.h"

namespace hwb::serial {
namespace {

struct Collect {
    std::vector<std::string> frames;
    Framer::OnFrame sink() {
        return [this](std::string_view f) { frames.emplace_back(f); };
    }
};

TEST(Framer, LinesSplitAcrossReadsArriveWhole) {
    Collect c;
    auto f = Framer::lines("\n", 64, c.sink());
    f.feed("T=2");
    f.feed("1.5\nT=22");
    f.feed(".0\n");
    EXPECT_EQ(c.frames, (std::vector<std::string>{"T=21.5", "T=22.0"}));
}

TEST(Framer, CrLfIsStrippedWithTheDefaultDelimiter) {
    Collect c;
    auto f = Framer::lines("\n", 64, c.sink());
    f.feed("a\r\nb\n\r\n");
    EXPECT_EQ(c.frames, (std::vector<std::string>{"a", "b", ""}));
}

TEST(Framer, MultiByteDelimiterStraddlingTwoReads) {
    Collect c;
    auto f = Framer::lines("\r\n", 64, c.sink());
    f.feed("one\r");
    f.feed("\ntwo\r\nthree\r");
    f.feed("x\r\n");
    EXPECT_EQ(c.frames, (std::vector<std::string>{"one", "two", "three\rx"}));
}

TEST(Framer, OverlongFramesAreDroppedAndCountedAndNextFrameSurvives) {
    Collect c;
    auto f = Framer::lines("\n", 8, c.sink());
    f.feed("ok\n");
    f.feed(std::string(5, 'x'));
    f.feed(std::string(50, 'y'));  // over the limit while still incomplete
    f.feed(std::string(1000, 'z'));
    f.feed("tail\nnext\n");
    f.feed("123456789\nfine\n");  // complete but too long
    EXPECT_EQ(c.frames, (std::vector<std::string>{"ok", "next", "fine"}));
    EXPECT_EQ(f.counters().overlong, 2u);
    EXPECT_EQ(f.counters().frames, 3u);
}

TEST(Framer, ResetDropsAPartialFrameAndCountsIt) {
    Collect c;
    auto f = Framer::lines("\n", 64, c.sink());
    f.feed("T=21");
    f.reset();
    f.feed(".5\nT=3\n");
    EXPECT_EQ(c.frames, (std::vector<std::string>{".5", "T=3"}));
    EXPECT_EQ(f.counters().partial, 1u);
}

TEST(Framer, FixedLengthFrames) {
    Collect c;
    auto f = Framer::fixed(4, c.sink());
    f.feed("abcdef");
    f.feed("gh");
    f.feed("ijklmnop");
    EXPECT_EQ(c.frames, (std::vector<std::string>{"abcd", "efgh", "ijkl", "mnop"}));
}

TEST(Framer, BinaryBytesIncludingNulPassThrough) {
    Collect c;
    auto f = Framer::lines("\n", 64, c.sink());
    f.feed(std::string("a\0b\n", 4));
    ASSERT_EQ(c.frames.size(), 1u);
    EXPECT_EQ(c.frames[0], std::string("a\0b", 3));
}

TEST(Escapes, CommandStringsUnderstandCommonEscapes) {
    EXPECT_EQ(unescape("R1 ON\\r\\n").value(), "R1 ON\r\n");
    EXPECT_EQ(unescape("\\x41\\x0d\\t\\\\\\0").value(), std::string("A\r\t\\\0", 5));
    EXPECT_FALSE(unescape("bad\\q").ok());
    EXPECT_FALSE(unescape("bad\\x4").ok());
    EXPECT_FALSE(unescape("end\\").ok());
}

TEST(Escapes, InvalidUtf8AndControlBytesAreShownEscapedNotDropped) {
    EXPECT_EQ(printable("héllo °C"), "héllo °C");
    EXPECT_EQ(printable("\xff\xfe" "ab"), "\\xFF\\xFEab");
    EXPECT_EQ(printable(std::string("a\0b\x1b[0m", 7)), "a\\x00b\\x1B[0m");
    EXPECT_EQ(printable("\xc3"), "\\xC3");            // truncated sequence
    EXPECT_EQ(printable("\xed\xa0\x80"), "\\xED\\xA0\\x80");  // surrogate
    EXPECT_EQ(printable("tab\there"), "tab\there");
}

TEST(Framer, AfterAnOpenTheTailOfACutLineIsSkippedUpToTheFirstDelimiter) {
    Collect c;
    auto f = Framer::lines("\r\n", 64, c.sink());
    f.skip_to_line_start();
    f.feed(".35,5");
    EXPECT_TRUE(f.skipping());
    f.feed("47\r");
    f.feed("\n20.36,548\r\n20.3");
    EXPECT_FALSE(f.skipping());
    f.feed("7,549\r\n");
    EXPECT_EQ(c.frames, (std::vector<std::string>{"20.36,548", "20.37,549"}));
    EXPECT_EQ(f.counters().skipped, 9u);  // ".35,547\r\n"
}

TEST(Framer, SkippingEndsOnRequestOrAfterMaxFrameBytesAsAnOverlongFrame) {
    Collect c;
    auto f = Framer::lines("\n", 8, c.sink());
    f.skip_to_line_start();
    f.feed("abc");
    f.stop_skipping();  // the line was quiet: the next byte starts a frame
    f.feed("T=1\n");
    f.skip_to_line_start();
    f.feed("0123456789");  // no delimiter within max_frame: over-long, skipped to the next one
    EXPECT_FALSE(f.skipping());
    f.feed("more\nT=2\n");
    EXPECT_EQ(c.frames, (std::vector<std::string>{"T=1", "T=2"}));
    EXPECT_EQ(f.counters().overlong, 1u);
}

TEST(Framer, AConsumerThatResetsTheFramerStopsTheFeed) {
    std::vector<std::string> frames;
    Framer* self = nullptr;
    auto f = Framer::lines("\n", 64, [&](std::string_view frame) {
        frames.emplace_back(frame);
        self->reset();  // the port closed while this frame was handled
    });
    self = &f;
    f.feed("a\nb\nc");
    f.feed("d\n");
    EXPECT_EQ(frames, (std::vector<std::string>{"a", "d"}));
}

}  // namespace
}  // namespace hwb::serial
