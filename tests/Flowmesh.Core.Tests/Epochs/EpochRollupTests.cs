using Flowmesh.Core.Epochs;
using Flowmesh.Core.Views;
using static Flowmesh.Core.Tests.Epochs.EpochTestTraffic;

namespace Flowmesh.Core.Tests.Epochs;

[Collection(nameof(RunsAloneCollection))]
public sealed class EpochRollupTests
{
    [Fact]
    public void RollUpEqualsTheDirectSummaryExactlyForAdditivePartsAndWithinBoundsOtherwise()
    {
        var packets = Generate(seed: 4, seconds: 130);
        var tenSeconds = Summarize(packets, TimeSpan.FromSeconds(10));
        var direct = Summarize(packets, TimeSpan.FromMinutes(1));
        var rolled = EpochRollup.RollUp(tenSeconds, 60 * Second);

        Assert.Equal(direct.Select(r => r.Id), rolled.Select(r => r.Id));
        for (int i = 0; i < direct.Count; i++)
        {
            EpochRecord d = direct[i], r = rolled[i];
            Assert.Equal(d.Totals.All, r.Totals.All);
            foreach (var protocol in Enum.GetValues<ProtocolClass>())
                Assert.Equal(d.Totals[protocol], r.Totals[protocol]);
            Assert.Equal(d.Health, r.Health);
            // Distinct counters and spread sketches merge as exact unions: bit-identical to the direct summary.
            for (int k = 0; k < 4; k++)
                Assert.Equal(d.Contents.Distinct[k].Serialize(), r.Contents.Distinct[k].Serialize());
            for (int k = 0; k < 3; k++)
                Assert.Equal(d.Contents.Spread[k].Serialize(), r.Contents.Spread[k].Serialize());
            Assert.Equal(d.Contents.Matrix.TotalBytes, r.Contents.Matrix.TotalBytes);

            // Top talkers: totals equal, and the truth of this minute lies within the roll-up's bounds.
            var minute = packets.Where(p => p.Micros >= d.Id.StartMicros && p.Micros < d.Id.EndMicros).ToList();
            var truth = minute.GroupBy(p => p.Source).ToDictionary(g => g.Key, g => (ulong)g.Sum(p => p.IpLength));
            var view = Merge([r]);
            var top = view.Top(TopKind.Talkers, TrafficMeasure.Bytes, 1000);
            foreach (var entry in top.Items)
                Assert.InRange(truth[entry.Key.Source.ToString()], entry.Weight.Lower, entry.Weight.Upper);
            var listed = top.Items.Select(e => e.Key.Source.ToString()).ToHashSet();
            Assert.All(truth.Where(t => !listed.Contains(t.Key)), t => Assert.True(t.Value <= top.UnlistedBound));
            foreach (var cell in view.Matrix(limit: 1000).Cells)
            {
                ulong exact = (ulong)minute.Where(p => cell.Source.Contains(Core.Packets.IpAddress128.Parse(p.Source)) && cell.Destination.Contains(Core.Packets.IpAddress128.Parse(p.Destination))).Sum(p => p.IpLength);
                Assert.InRange(exact, cell.Bytes.Lower, cell.Bytes.Upper);
            }
        }

        // One hour: the minutes roll up again, and equal the ten-second records rolled up at once.
        var hourFromMinutes = Assert.Single(EpochRollup.RollUp(rolled, 3600 * Second));
        var hourFromTens = Assert.Single(EpochRollup.RollUp(tenSeconds, 3600 * Second));
        Assert.Equal(hourFromTens.Totals.All, hourFromMinutes.Totals.All);
        Assert.Equal((ulong)packets.Sum(p => p.IpLength), hourFromMinutes.Totals.All.Bytes);
    }

    [Fact]
    public void RollUpRefusesOtherOriginsStraddlingRecordsAndOverlaps()
    {
        var packets = Generate(seed: 5, seconds: 20);
        var a = Summarize(packets, TimeSpan.FromSeconds(10), origin: "a");
        var b = Summarize(packets, TimeSpan.FromSeconds(10), origin: "b");
        Assert.Throws<ArgumentException>(() => EpochRollup.RollUp(a.Concat(b), 60 * Second));
        Assert.Throws<ArgumentException>(() => EpochRollup.RollUp(a, 15 * Second));
        var minute = EpochRollup.RollUp(a, 60 * Second);
        Assert.Throws<EpochConflictException>(() => EpochRollup.RollUp(a.Concat(minute), 3600 * Second));
        // Duplicates are harmless.
        Assert.Equal(minute[0].ContentHash, EpochRollup.RollUp(a.Concat(a), 60 * Second)[0].ContentHash);
    }
}
