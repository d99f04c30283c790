using System.Text.Json;
using Flowmesh.Agent.Api;
using Flowmesh.Agent.Cli;
using Flowmesh.Agent.Output;
using Flowmesh.Agent.ViewSources;
using Flowmesh.Core.Epochs;
using Flowmesh.Core.Flows;
using Flowmesh.Core.Packets;

namespace Flowmesh.Agent.Tests.Cli;

/// <summary>
/// `flowmesh query` answers files through the API's view, documents and output: the same JSON schema as the API
/// (value, error, lower, upper), every number checked against traffic whose exact sums the test knows.
/// </summary>
public sealed class QueryAnswerTests
{
    private static readonly IpAddress128 Client = IpAddress128.Parse("10.0.0.1"), Server = IpAddress128.Parse("10.0.0.2"), Other = IpAddress128.Parse("10.0.1.9");
    private const long Epoch = 10_000_000;

    /// <summary>Per epoch: a DNS exchange client → server (2 packets, 160 B out; 2 packets, 400 B back) and one 60 B packet other → server.</summary>
    private static EpochRecord Record(string origin, long start)
    {
        var summary = new EpochSummary(new EpochId(origin, start, Epoch), SummarizedRecordFile.DefaultKey);
        summary.Add(new FlowTableDelta(IpProtocol.Udp, Client, 5000, Server, 53, 2, 160, 2, 400, true, start, start + 1));
        summary.Add(new FlowTableDelta(IpProtocol.Udp, Other, 6000, Server, 53, 1, 60, 0, 0, true, start, start + 1));
        return summary.Seal();
    }

    private static (string Output, string Notes) Write(Action<TextWriter, TextWriter> write)
    {
        using var output = new StringWriter();
        using var notes = new StringWriter();
        write(output, notes);
        return (output.ToString(), notes.ToString());
    }

    [Fact]
    public void TopJsonIsTheApiDocumentAndHoldsTheExactWeights()
    {
        var view = new RecordFileViewSource([Record("n", 0), Record("n", Epoch)]).Build();
        var (json, notes) = Write((o, n) => ViewOutput.Top(o, n, OutputFormat.Json, ViewDocuments.Top(view, TopKind.Talkers, TrafficMeasure.Bytes, 20)));

        // The API's own contract reads it back.
        var top = JsonSerializer.Deserialize(json, ApiJsonContext.Default.TopResponse)!;
        Assert.Equal("talkers", top.By);
        var exact = new Dictionary<string, double> { [Client.ToString()] = 2 * 160, [Server.ToString()] = 2 * 400, [Other.ToString()] = 2 * 60 };
        Assert.Equal(exact.Keys.Order(), top.Entries.Select(e => e.Key).Order());
        foreach (var e in top.Entries)
        {
            Assert.InRange(exact[e.Key], e.Value.Lower, e.Value.Upper);
            Assert.Equal(e.Value.Value - e.Value.Error, e.Value.Lower);
        }
        Assert.Equal(exact.Values.Sum(), top.Total.Value);
        using var document = JsonDocument.Parse(json);
        var first = document.RootElement.GetProperty("entries")[0].GetProperty("value");
        Assert.Equal(["value", "error", "lower", "upper", "exact", "trusted", "caveats"], first.EnumerateObject().Select(p => p.Name));
        Assert.True(top.Coverage.Complete);
        Assert.StartsWith("flowmesh: coverage: 1 of 1 origins", notes);
    }

    [Fact]
    public void CopiesOfRecordsCountOnceAndAGapInAFileIsShown()
    {
        var once = new RecordFileViewSource([Record("n", 0), Record("n", Epoch)]).Build();
        var twice = new RecordFileViewSource([Record("n", 0), Record("n", Epoch), Record("n", 0), Record("n", Epoch)]).Build();
        Assert.Equal(2 * (160 + 400 + 60), once.Totals().Bytes.Value);
        Assert.Equal(once.Totals().Bytes, twice.Totals().Bytes);
        Assert.Equal(2, twice.Coverage.DuplicatesIgnored);

        // Origin "m" skips its second epoch: its totals are what arrived, and the coverage says an epoch is missing.
        var gapped = new RecordFileViewSource([Record("n", 0), Record("n", Epoch), Record("n", 2 * Epoch), Record("m", 0), Record("m", 2 * Epoch)]).Build();
        var traffic = ViewDocuments.Traffic(gapped);
        Assert.Equal(5 * (160 + 400 + 60), traffic.Totals.Bytes.Value);
        Assert.False(traffic.Coverage.Complete);
        Assert.Equal(["m"], traffic.Coverage.Gaps);
        Assert.Contains("incompleteCoverage", traffic.Totals.Bytes.Caveats);
    }

    [Fact]
    public void DistinctAndSpreadInEveryFormat()
    {
        var view = new RecordFileViewSource([Record("n", 0)]).Build();
        var distinct = ViewDocuments.Distinct(view);
        // Two initiators (client, other) and one responder.
        Assert.InRange(2, distinct.Sources.Lower, distinct.Sources.Upper);
        Assert.InRange(1, distinct.Destinations.Lower, distinct.Destinations.Upper);
        var (table, _) = Write((o, n) => ViewOutput.Distinct(o, n, OutputFormat.Table, distinct, DistinctKind.Sources));
        Assert.Equal(["Distinct", "Count"], table.Split('\n')[0].Split(' ', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("sources ", table.Split('\n')[1]);
        var (csv, notes) = Write((o, n) => ViewOutput.Distinct(o, n, OutputFormat.Csv, distinct, DistinctKind.Destinations));
        Assert.StartsWith("kind,value,error,lower,upper,exact,trusted\ndestinations,", csv);
        Assert.Contains("coverage:", notes);

        var spread = ViewDocuments.Spread(view, fanIn: true, threshold: 2, limit: 10);
        var entry = Assert.Single(spread.Entries);
        Assert.Equal((Server.ToString(), "sourcesPerDestination", "sources"), (entry.Key, entry.Kind, entry.Unit));
        Assert.InRange(2, entry.Value.Lower, entry.Value.Upper);
        var (spreadCsv, _) = Write((o, n) => ViewOutput.Spread(o, n, OutputFormat.Csv, spread));
        Assert.StartsWith($"key,kind,unit,value,error,lower,upper,exact,trusted,threshold,detection_floor,origins\n{Server},sourcesPerDestination,sources,", spreadCsv);
    }
}
