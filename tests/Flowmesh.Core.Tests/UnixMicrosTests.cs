namespace Flowmesh.Core.Tests;

/// <summary>
/// The one microsecond clock type's conversions (issue 13), against values worked out by hand from the definition
/// (1 µs = 10 ticks, the epoch at 1970-01-01T00:00:00Z), never against another conversion of ours.
/// </summary>
public sealed class UnixMicrosTests
{
    private static readonly DateTimeOffset Epoch = new(1970, 1, 1, 0, 0, 0, TimeSpan.Zero);

    [Fact]
    public void AnInstantKeepsEveryMicrosecondDigit()
    {
        // 2026-11-23T22:43:35.123456Z: 20 780 days and 81 815 s after the epoch, plus 123 456 µs.
        var instant = new DateTimeOffset(2026, 11, 23, 22, 43, 35, TimeSpan.Zero).AddTicks(1_234_567);
        long expected = (20_780L * 86_400 + 81_815) * 1_000_000 + 123_456;
        Assert.Equal(expected, UnixMicros.FromInstant(instant));
        Assert.Equal("2026-11-23T22:43:35.123456Z", UnixMicros.Format(expected));
        // Milliseconds times 1000 would have said ...123000: the truncation this type replaces.
        Assert.NotEqual(instant.ToUnixTimeMilliseconds() * 1000, UnixMicros.FromInstant(instant));
    }

    [Fact]
    public void AnOffsetDoesNotChangeTheInstant()
    {
        var utc = Epoch.AddSeconds(3600);
        Assert.Equal(UnixMicros.FromInstant(utc), UnixMicros.FromInstant(utc.ToOffset(TimeSpan.FromHours(-7))));
        Assert.Equal(3_600_000_000L, UnixMicros.FromInstant(utc.ToOffset(TimeSpan.FromHours(5.5))));
    }

    [Theory]
    [InlineData(0, 0)]
    [InlineData(9, 0)]        // 0.9 µs after the epoch lies in microsecond 0
    [InlineData(10, 1)]
    [InlineData(-1, -1)]      // 0.1 µs before the epoch lies in microsecond -1, not 0
    [InlineData(-10, -1)]
    [InlineData(-11, -2)]
    public void AnInstantIsRoundedDownToTheMicrosecondItLiesIn(long ticksAfterEpoch, long micros) =>
        Assert.Equal(micros, UnixMicros.FromInstant(Epoch.AddTicks(ticksAfterEpoch)));

    [Theory]
    [InlineData(0L)]
    [InlineData(1L)]
    [InlineData(-1L)]
    [InlineData(1_795_999_415_123_456L)]
    [InlineData(-62_135_596_800_000_000L)] // 0001-01-01T00:00:00Z, the first instant a DateTimeOffset holds
    [InlineData(253_402_300_799_999_999L)] // 9999-12-31T23:59:59.999999Z, the last whole microsecond
    public void AnInstantRoundTrips(long micros)
    {
        Assert.True(UnixMicros.IsInstant(micros));
        var instant = UnixMicros.ToInstant(micros);
        Assert.Equal(micros * 10, (instant - Epoch).Ticks);
        Assert.Equal(micros, UnixMicros.FromInstant(instant));
    }

    [Theory]
    [InlineData(-62_135_596_800_000_001L)]
    [InlineData(253_402_300_800_000_000L)]
    [InlineData(long.MinValue)]
    [InlineData(long.MaxValue)]
    public void BeyondTheYearsADateTimeOffsetHoldsIsNoInstant(long micros)
    {
        Assert.False(UnixMicros.IsInstant(micros));
        Assert.Throws<ArgumentOutOfRangeException>(() => UnixMicros.ToInstant(micros));
    }

    [Theory]
    [InlineData(0, 0)]
    [InlineData(15, 1)]      // 1.5 µs
    [InlineData(-15, -1)]    // -1.5 µs: cut toward zero, so a duration and its negation have one size
    [InlineData(9, 0)]
    [InlineData(-9, 0)]
    [InlineData(600_000_000, 60_000_000)]
    public void ADurationIsCutTowardZero(long ticks, long micros)
    {
        Assert.Equal(micros, UnixMicros.FromDuration(TimeSpan.FromTicks(ticks)));
        Assert.Equal((long)TimeSpan.FromTicks(ticks).TotalMicroseconds, UnixMicros.FromDuration(TimeSpan.FromTicks(ticks)));
    }

    [Theory]
    [InlineData(0L)]
    [InlineData(1L)]
    [InlineData(-1L)]
    [InlineData(86_400_000_000L)]
    [InlineData(-922_337_203_685_477_580L)] // TimeSpan.MinValue in whole microseconds
    [InlineData(922_337_203_685_477_580L)]  // TimeSpan.MaxValue in whole microseconds
    public void ADurationRoundTrips(long micros)
    {
        var span = UnixMicros.ToDuration(micros);
        Assert.Equal(micros * 10, span.Ticks);
        Assert.Equal(micros, UnixMicros.FromDuration(span));
    }

    [Fact]
    public void ADurationBeyondTimeSpanIsRefused() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => UnixMicros.ToDuration(long.MaxValue));

    [Fact]
    public void NowReadsTheGivenClock()
    {
        var clock = new FixedClock(Epoch.AddTicks(12_345_678_901));
        Assert.Equal(1_234_567_890L, UnixMicros.Now(clock));
        Assert.Throws<ArgumentNullException>(() => UnixMicros.Now(null!));
    }

    [Fact]
    public void TheSystemClockAgreesWithDateTimeOffset()
    {
        long before = (DateTimeOffset.UtcNow - Epoch).Ticks / 10;
        long now = UnixMicros.Now(TimeProvider.System);
        long after = (DateTimeOffset.UtcNow - Epoch).Ticks / 10;
        Assert.InRange(now, before, after);
    }

    [Theory]
    [InlineData(1_500_000L, 1.5)]
    [InlineData(-250_000L, -0.25)]
    [InlineData(1L, 0.000001)]
    public void MicrosecondsAsSeconds(long micros, double seconds) => Assert.Equal(seconds, UnixMicros.ToSeconds(micros), 12);

    private sealed class FixedClock(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }
}
