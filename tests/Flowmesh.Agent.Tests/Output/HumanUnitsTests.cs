using Flowmesh.Agent.Output;

namespace Flowmesh.Agent.Tests.Output;

public sealed class HumanUnitsTests
{
    [Theory]
    [InlineData(0L, "0 B")]
    [InlineData(999L, "999 B")]
    [InlineData(1_000L, "1.00 kB")]
    [InlineData(1_210_000_000L, "1.21 GB")]
    [InlineData(45_600_000L, "45.6 MB")]
    [InlineData(456_000_000L, "456 MB")]
    public void BytesUseDecimalPrefixes(long bytes, string expected) => Assert.Equal(expected, HumanUnits.Bytes(bytes));

    [Fact]
    public void APrefixStandsApartFromAWordUnit() => Assert.Equal("2.46 M packets/s", HumanUnits.Scaled(2_460_000, "packets/s"));

    [Theory]
    [InlineData(9_999L, "9999")]
    [InlineData(12_345L, "12.3 k")]
    public void CountsStayExactWhileShort(long count, string expected) => Assert.Equal(expected, HumanUnits.Count(count));
}
