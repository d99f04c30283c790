using Flowmesh.Agent.Cli;

namespace Flowmesh.Agent.Tests.Cli;

public sealed class SummarizeCommandTests
{
    [Theory]
    [InlineData("10s", 10_000_000)]
    [InlineData("1m", 60_000_000)]
    [InlineData("1h", 3_600_000_000)]
    [InlineData("500ms", 500_000)]
    [InlineData("2.5", 2_500_000)]
    public void EpochLengthsParse(string text, long micros)
    {
        Assert.Equal(TimeSpan.FromMicroseconds(micros), SummarizeCommand.SummarizeEpochLength(text, out string? error));
        Assert.Null(error);
    }

    [Theory]
    [InlineData("0s")]
    [InlineData("-1s")]
    [InlineData("ten")]
    [InlineData("5d")]
    public void BadEpochLengthsAreUsageErrors(string text)
    {
        Assert.Null(SummarizeCommand.SummarizeEpochLength(text, out string? error));
        Assert.Contains("--epoch", error);
    }
}
