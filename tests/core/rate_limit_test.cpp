// Token buckets, the per-address table and the log throttle on a manual clock.
#include <gtest/gtest.h>

#include <string>

#include "core/rate_limit.h"
#include "support/manual_loop.h"

namespace hwb {
namespace {

using namespace std::chrono_literals;

int takes(TokenBucket& bucket, Clock::time_point now, int attempts) {
    int allowed = 0;
    for (int i = 0; i < attempts; ++i) allowed += bucket.take(now) ? 1 : 0;
    return allowed;
}

TEST(TokenBucket, AllowsTheBurstAtOnceThenTheRate) {
    test::ManualLoop loop;
    TokenBucket bucket(RateLimit{10, 20}, loop.now());
    EXPECT_EQ(takes(bucket, loop.now(), 50), 20);
    loop.advance(1s);
    EXPECT_EQ(takes(bucket, loop.now(), 50), 10);
    loop.advance(100ms);
    EXPECT_EQ(takes(bucket, loop.now(), 50), 1);
}

TEST(TokenBucket, RefillsNoHigherThanTheBurst) {
    test::ManualLoop loop;
    TokenBucket bucket(RateLimit{10, 5}, loop.now());
    EXPECT_EQ(takes(bucket, loop.now(), 5), 5);
    EXPECT_FALSE(bucket.full(loop.now()));
    loop.advance(1h);
    EXPECT_TRUE(bucket.full(loop.now()));
    EXPECT_EQ(takes(bucket, loop.now(), 50), 5);
}

TEST(TokenBucket, SlowRatesAccumulateFractions) {
    test::ManualLoop loop;
    TokenBucket bucket(RateLimit{0.5, 1}, loop.now());
    EXPECT_TRUE(bucket.take(loop.now()));
    loop.advance(1s);
    EXPECT_FALSE(bucket.take(loop.now()));  // half a token
    loop.advance(1s);
    EXPECT_TRUE(bucket.take(loop.now()));
}

TEST(TokenBucket, RateZeroMeansNoLimit) {
    test::ManualLoop loop;
    TokenBucket bucket(RateLimit{0, 1}, loop.now());
    EXPECT_EQ(takes(bucket, loop.now(), 10000), 10000);
    TokenBucket unset;
    EXPECT_EQ(takes(unset, loop.now(), 100), 100);
}

TEST(KeyedRateLimiter, EachAddressHasItsOwnBucket) {
    test::ManualLoop loop;
    KeyedRateLimiter limiter(RateLimit{1, 3}, 100);
    int a = 0, b = 0;
    for (int i = 0; i < 10; ++i) {
        a += limiter.take("10.0.0.1", loop.now()) ? 1 : 0;
        b += limiter.take("10.0.0.2", loop.now()) ? 1 : 0;
    }
    EXPECT_EQ(a, 3);
    EXPECT_EQ(b, 3);
    loop.advance(1s);
    EXPECT_TRUE(limiter.take("10.0.0.1", loop.now()));
    EXPECT_FALSE(limiter.take("10.0.0.1", loop.now()));
}

TEST(KeyedRateLimiter, TableStaysBoundedAndRefilledEntriesExpire) {
    test::ManualLoop loop;
    KeyedRateLimiter limiter(RateLimit{1, 2}, 8);
    for (int i = 0; i < 1000; ++i) limiter.take("10.0.0." + std::to_string(i), loop.now());
    EXPECT_LE(limiter.size(), 8u);
    // Once the buckets have refilled, the entries carry nothing and make room for new addresses.
    loop.advance(10s);
    for (int i = 0; i < 8; ++i) EXPECT_TRUE(limiter.take("192.168.1." + std::to_string(i), loop.now()));
    EXPECT_LE(limiter.size(), 8u);
}

TEST(KeyedRateLimiter, AFullTableOfBusyAddressesSharesOneOverflowBucket) {
    test::ManualLoop loop;
    KeyedRateLimiter limiter(RateLimit{1, 2}, 4);
    for (int i = 0; i < 4; ++i) limiter.take("busy" + std::to_string(i), loop.now());
    int allowed = 0;
    for (int i = 0; i < 100; ++i) allowed += limiter.take("new" + std::to_string(i), loop.now()) ? 1 : 0;
    EXPECT_EQ(allowed, 2);  // the overflow bucket's burst, not 2 per new address
    EXPECT_EQ(limiter.size(), 4u);
    // The busy addresses keep their own (half-used) buckets: one token each is left.
    EXPECT_TRUE(limiter.take("busy0", loop.now()));
    EXPECT_FALSE(limiter.take("busy0", loop.now()));
}

TEST(LogThrottle, PrintsABurstThenCountsWhatItSkipped) {
    test::ManualLoop loop;
    LogThrottle throttle(RateLimit{1, 3});
    int printed = 0;
    for (int i = 0; i < 100; ++i) printed += throttle.allow(loop.now()) ? 1 : 0;
    EXPECT_EQ(printed, 3);
    loop.advance(1s);
    auto next = throttle.allow(loop.now());
    ASSERT_TRUE(next.has_value());
    EXPECT_EQ(*next, 97u);
    loop.advance(1s);
    next = throttle.allow(loop.now());
    ASSERT_TRUE(next.has_value());
    EXPECT_EQ(*next, 0u);
}

}  // namespace
}  // namespace hwb
