using System.Text.Json;
using Flowmesh.Agent.Cli;
using Flowmesh.Agent.Output;

namespace Flowmesh.Agent.Tests.Cli;

public sealed class QueryOutputTests
{
    private static readonly List<QueryRow> Rows =
    [
        new("10.0.0.1", "B", 1_210_000_000, 3_630_000) { Extra = [new("lower", 1_206_370_000), new("upper", 1_213_630_000)] },
        new("a,b \"c\"", "B", 0, 0) { Extra = [new("lower", 0), new("upper", 0)] },
    ];

    [Fact]
    public void JsonRowsCarryKeyEstimateAndAbsoluteErrorBound()
    {
        var text = new StringWriter();
        QueryOutput.Write(text, OutputFormat.Json, Rows, "Bytes");
        var lines = text.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(2, lines.Length);
        using var first = JsonDocument.Parse(lines[0]);
        Assert.Equal("10.0.0.1", first.RootElement.GetProperty("key").GetString());
        Assert.Equal(1_210_000_000, first.RootElement.GetProperty("estimate").GetDouble());
        Assert.Equal(3_630_000, first.RootElement.GetProperty("error_bound").GetDouble());
        Assert.Equal(1_213_630_000, first.RootElement.GetProperty("upper").GetDouble());
    }

    [Fact]
    public void CsvHasAHeaderAndQuotesOnlyWhatNeedsIt()
    {
        var text = new StringWriter();
        QueryOutput.Write(text, OutputFormat.Csv, Rows, "Bytes");
        Assert.Equal("key,unit,estimate,error_bound,lower,upper\n10.0.0.1,B,1210000000,3630000,1206370000,1213630000\n\"a,b \"\"c\"\"\",B,0,0,0,0\n", text.ToString());
    }

    [Fact]
    public void TableShowsEachEstimateWithItsRelativeBound()
    {
        var text = new StringWriter();
        QueryOutput.Write(text, OutputFormat.Table, Rows, "Bytes");
        string[] lines = text.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.StartsWith("Key", lines[0]);
        Assert.Contains("1.21 GB ± 0.3 %", lines[1]);
        Assert.Contains("0 B ± 0", lines[2]);
    }

    [Theory]
    [InlineData(1_210_000_000, 3_630_000, "B", "1.21 GB ± 0.3 %")]
    [InlineData(4812, 77, "distinct", "4 812 ± 1.6 %")]
    [InlineData(200, 78, "ports", "200 ± 39 %")]
    [InlineData(1_204_330, 0, "packets", "1 204 330 ± 0 %")]
    [InlineData(0, 5, "packets", "0 + 5")]
    public void BoundedNumbersReadAsInTheIssue(double estimate, double bound, string unit, string expected) =>
        Assert.Equal(expected, HumanUnits.Bounded(estimate, bound, unit));

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
