using System.Text;
using Flowmesh.Core.Epochs;
using Flowmesh.Core.Views;
using static Flowmesh.Core.Tests.Epochs.EpochTestTraffic;

namespace Flowmesh.Core.Tests.Epochs;

[Collection(nameof(RunsAloneCollection))]
public sealed class EpochRecordSetTests
{
    [Fact]
    public void AnyOrderAndAnyNumberOfDeliveriesGiveIdenticalAnswers()
    {
        var records = new List<EpochRecord>();
        for (int node = 0; node < 3; node++)
            records.AddRange(Summarize(Generate(seed: 10 + node, seconds: 30), TimeSpan.FromSeconds(10), origin: $"node-{node}"));

        string? reference = null;
        var random = new Random(7);
        for (int trial = 0; trial < 8; trial++)
        {
            // Every record at least once, some up to four times, in a random order; re-decoded copies count as duplicates too.
            var deliveries = records.SelectMany(r => Enumerable.Repeat(r, 1 + random.Next(4)))
                .Select(r => random.Next(2) == 0 ? r : EpochRecord.Decode(r.Encode(), Key))
                .OrderBy(_ => random.Next()).ToList();
            var set = new EpochRecordSet();
            int duplicates = deliveries.Count(r => set.Add(r) == EpochRecordAddResult.Duplicate);
            Assert.Equal(deliveries.Count - records.Count, duplicates);
            string answers = Answers(Merge(set.Records));
            reference ??= answers;
            Assert.Equal(reference, answers);
        }

        // Summing naively, with one record delivered twice, would have changed the answer: the check can fail.
        var naive = EpochRecordSet.MergeContents([.. records, records[0]]);
        var exact = EpochRecordSet.MergeContents(records);
        Assert.NotEqual(exact.Top[0].TotalWeight, naive.Top[0].TotalWeight);
        Assert.Equal((ulong)records.Sum(r => (long)r.Totals.All.Bytes), exact.Top[0].TotalWeight);
    }

    [Fact]
    public void ConflictingContentUnderOneIdIsRefused()
    {
        var a = Summarize(Generate(seed: 20, seconds: 10), TimeSpan.FromSeconds(10), origin: "same");
        var b = Summarize(Generate(seed: 21, seconds: 10), TimeSpan.FromSeconds(10), origin: "same");
        Assert.Equal(a[0].Id, b[0].Id);
        var set = new EpochRecordSet();
        set.Add(a[0]);
        var e = Assert.Throws<EpochConflictException>(() => set.Add(b[0]));
        Assert.Contains("Two different records", e.Message);
        Assert.Equal(1, set.Count);
    }

    [Fact]
    public void OverlappingIntervalsOfOneOriginAreRefusedButOtherOriginsMayOverlap()
    {
        var packets = Generate(seed: 22, seconds: 20);
        var tens = Summarize(packets, TimeSpan.FromSeconds(10), origin: "x");
        var minute = EpochRollup.RollUp(tens, 60 * Second);
        var set = new EpochRecordSet();
        foreach (var r in tens) set.Add(r);
        Assert.Throws<EpochConflictException>(() => set.Add(minute[0]));
        foreach (var r in Summarize(packets, TimeSpan.FromSeconds(10), origin: "y")) set.Add(r);
        Assert.Equal(2 * tens.Count, set.Count);
    }

    [Fact]
    public void RecordsWithOtherSketchSizesAreRefused()
    {
        var packets = Generate(seed: 23, seconds: 10);
        var set = new EpochRecordSet();
        set.Add(Summarize(packets, TimeSpan.FromSeconds(10), origin: "p")[0]);
        var other = Summarize(packets, TimeSpan.FromSeconds(10), origin: "q", options: new EpochSummaryOptions { TopCapacity = 32 })[0];
        Assert.Throws<EpochConflictException>(() => set.Add(other));
    }

    internal static string Answers(GlobalView view)
    {
        var text = new StringBuilder();
        var totals = view.Totals();
        text.AppendLine($"{totals.Bytes} {totals.Packets} {totals.Flows}");
        foreach (var p in totals.ByProtocol) text.AppendLine($"{p.Protocol} {p.Bytes} {p.Packets} {p.Flows}");
        text.AppendLine(view.Coverage.Health.ToString());
        foreach (var k in Enum.GetValues<TopKind>())
            foreach (var m in Enum.GetValues<TrafficMeasure>())
                foreach (var e in view.Top(k, m, 100).Items) text.AppendLine($"{k} {m} {e.Label} {e.Weight}");
        foreach (var k in Enum.GetValues<DistinctKind>()) text.AppendLine($"{k} {view.Distinct(k).Count}");
        foreach (var k in Enum.GetValues<SpreadKind>())
            foreach (var e in view.Spread(k, 1).Items) text.AppendLine($"{k} {e.Label} {e.Spread}");
        var matrix = view.Matrix(limit: 1000);
        foreach (var c in matrix.Cells) text.AppendLine($"{c.Source} {c.Destination} {c.Bytes} {c.Packets}");
        text.AppendLine($"{matrix.UnattributedBytes} {matrix.UnattributedPackets}");
        text.AppendLine(string.Join(",", view.Records.Select(r => r.Id)));
        return text.ToString();
    }
}
