using Flowmesh.Core.Epochs;
using Flowmesh.Core.Packets;
using Flowmesh.Core.Tests.Epochs;
using Flowmesh.Core.Views;
using static Flowmesh.Core.Tests.Views.ViewTraffic;

namespace Flowmesh.Core.Tests.Views;

/// <summary>Every answer of the global view against exact truth computed from the generated packets.</summary>
[Collection(nameof(RunsAloneCollection))]
public sealed class GlobalViewTruthTests
{
    private const int Origins = 4;
    private const int Seconds = 120;

    private static (List<EpochRecord> Records, ExactTruth Truth, Dictionary<string, ExactTruth> PerOrigin) Build(int seed)
    {
        var random = new Random(seed);
        var records = new List<EpochRecord>();
        var all = new List<SyntheticPacket>();
        var perOrigin = new Dictionary<string, ExactTruth>();
        for (int o = 0; o < Origins; o++)
        {
            var packets = Normal(random, o, T0, Seconds, manySmallFlows: true);
            all.AddRange(packets);
            perOrigin[Origin(o)] = new ExactTruth(packets);
            records.AddRange(Summarize(o, packets));
        }
        return (records, new ExactTruth(all), perOrigin);
    }

    private static GlobalView View(List<EpochRecord> records) =>
        GlobalView.Build(records, Enumerable.Range(0, Origins).Select(o => new ExpectedOrigin(Origin(o), OriginLiveness.Alive)), T0 + (Seconds + 60) * Second,
            ViewWindow.Between(T0, T0 + Seconds * Second));

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void TotalsRatesSeriesAndContributionsAreExact(int seed)
    {
        var (records, truth, perOrigin) = Build(seed);
        var view = View(records);

        Assert.True(view.Coverage.IsComplete, view.Coverage.Summary);
        Assert.Equal($"{Origins} of {Origins} origins, newest data 60 s old", view.Coverage.Summary);
        Assert.Equal(records.Count, view.Coverage.Records);

        var totals = view.Totals();
        Assert.Equal(truth.Bytes, (ulong)totals.Bytes.Value);
        Assert.Equal(truth.PacketCount, (ulong)totals.Packets.Value);
        Assert.True(totals.Bytes.IsExact);
        Assert.Equal(TimeSpan.FromSeconds(Seconds), totals.DataSpan);
        Assert.Equal(truth.Bytes * 8.0 / Seconds, totals.BitsPerSecond.Value, 6);
        Assert.Equal((ulong)truth.Packets.Count(p => p.Protocol == IpProtocol.Udp), (ulong)totals.ByProtocol.Single(p => p.Protocol == ProtocolClass.Udp).Packets.Value);

        var series = view.Series();
        Assert.Equal(TimeSpan.FromSeconds(10), series.Bucket);
        Assert.Equal(Seconds / 10, series.Points.Count);
        foreach (var point in series.Points)
        {
            var inBucket = truth.Packets.Where(p => p.Micros >= point.StartMicros && p.Micros < point.StartMicros + point.LengthMicros).ToList();
            Assert.Equal((ulong)inBucket.Sum(p => (long)p.IpLength), (ulong)point.Bytes.Value);
            Assert.Equal((ulong)inBucket.Count, (ulong)point.Packets.Value);
            Assert.Equal(Origins, point.Origins);
            Assert.True(point.Complete && point.Settled);
        }
        // Buckets are aligned to multiples of their length since the Unix epoch (as on every node), not to the window.
        var coarse = view.Series(TimeSpan.FromMinutes(1));
        Assert.Equal(3, coarse.Points.Count);
        Assert.All(coarse.Points, p => Assert.Equal(0, p.StartMicros % (60 * Second)));
        Assert.Equal(truth.Bytes, (ulong)coarse.Points.Sum(p => p.Bytes.Value));

        var contributions = view.Contributions();
        Assert.Equal(Origins, contributions.Origins.Count);
        foreach (var c in contributions.Origins)
        {
            Assert.Equal(perOrigin[c.Origin].Bytes, (ulong)c.Bytes.Value);
            Assert.Equal(perOrigin[c.Origin].PacketCount, (ulong)c.Packets.Value);
            Assert.Equal(perOrigin[c.Origin].Bytes / (double)truth.Bytes, c.ShareOfBytes, 9);
            Assert.Equal(CoverageStatus.Complete, c.Coverage.Status);
        }
    }

    [Theory]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(10)]
    public void TopListsHoldTheTruthWithinTheirBounds(int seed)
    {
        var (records, truth, _) = Build(seed);
        var view = View(records);
        foreach (var measure in new[] { TrafficMeasure.Bytes, TrafficMeasure.Packets })
        {
            Check(view.Top(TopKind.Talkers, measure, int.MaxValue), truth.Talkers.ToDictionary(t => t.Key.ToString(), t => ExactTruth.Pick(t.Value, measure)),
                k => k.Source.ToString());
            Check(view.Top(TopKind.Destinations, measure, int.MaxValue), truth.Destinations.ToDictionary(t => t.Key.ToString(), t => ExactTruth.Pick(t.Value, measure)),
                k => k.Source.ToString());
            Check(view.Top(TopKind.Pairs, measure, int.MaxValue), truth.Pairs.ToDictionary(t => $"{t.Key.Item1}>{t.Key.Item2}", t => ExactTruth.Pick(t.Value, measure)),
                k => $"{k.Source}>{k.Destination}");
            Check(view.Top(TopKind.Flows, measure, int.MaxValue),
                truth.Flows.ToDictionary(t => $"{t.Key.Item1} {t.Key.Item2}:{t.Key.Item3}>{t.Key.Item4}:{t.Key.Item5}", t => ExactTruth.Pick(t.Value, measure)),
                k => $"{k.Protocol} {k.Source}:{k.SourcePort}>{k.Destination}:{k.DestinationPort}");
            Check(view.Top(TopKind.Ports, measure, int.MaxValue), truth.Ports.ToDictionary(t => $"{t.Key.Item1}/{t.Key.Item2}", t => ExactTruth.Pick(t.Value, measure)),
                k => $"{k.Protocol}/{k.DestinationPort}");
        }

        // The heaviest talker is named first, and a limit keeps the heaviest.
        var heaviest = truth.Talkers.MaxBy(t => t.Value.Bytes).Key;
        var top3 = view.Top(TopKind.Talkers, TrafficMeasure.Bytes, 3);
        Assert.Equal(3, top3.Items.Count);
        Assert.Equal(heaviest, top3.Items[0].Key.Source);
    }

    private static void Check(TopAnswer answer, Dictionary<string, ulong> truth, Func<TrafficKey, string> name)
    {
        Assert.NotEmpty(answer.Items);
        Assert.Equal((double)truth.Values.Aggregate(0UL, (a, b) => a + b), answer.Total.Value);
        var listed = new HashSet<string>();
        foreach (var item in answer.Items)
        {
            string key = name(item.Key);
            Assert.True(listed.Add(key), $"{answer.Kind} lists {key} twice");
            double exact = truth.GetValueOrDefault(key);
            Assert.InRange(exact, item.Weight.Lower, item.Weight.Upper);
        }
        // Some keys must be left out (k = 64 is exceeded), and none of them may weigh more than the stated bound.
        if (answer.Kind != TopKind.Ports) Assert.Contains(truth.Keys, k => !listed.Contains(k));
        foreach (var (key, exact) in truth)
            if (!listed.Contains(key)) Assert.True(exact <= answer.UnlistedBound, $"{answer.Kind} {answer.Measure}: unlisted {key} weighs {exact} > {answer.UnlistedBound}");
    }

    [Theory]
    [InlineData(5)]
    [InlineData(6)]
    [InlineData(8)]
    [InlineData(9)]
    public void DistinctCountsAndMatricesHoldTheTruthWithinTheirBounds(int seed)
    {
        var (records, truth, _) = Build(seed);
        var view = View(records);

        foreach (var (kind, exact) in new[] { (DistinctKind.Sources, truth.DistinctSources), (DistinctKind.Destinations, truth.DistinctDestinations),
                     (DistinctKind.Flows, truth.DistinctFlows), (DistinctKind.Ports, truth.DistinctPorts) })
        {
            var answer = view.Distinct(kind);
            Assert.InRange((double)exact, answer.Count.Lower, answer.Count.Upper);
        }
        // Sources and destinations exceed 768 (random external peers), so the counters are in dense mode and say so.
        Assert.True(view.Distinct(DistinctKind.Destinations).Count.Caveats.HasFlag(Caveats.Estimated));

        foreach (var (v4, v6, basis) in new[] { (24, 64, MatrixBasis.SubnetMatrix), (16, 48, MatrixBasis.SubnetMatrix), (8, 32, MatrixBasis.SubnetMatrix),
                     (32, 128, MatrixBasis.TopPairs), (28, 112, MatrixBasis.TopPairs) })
        {
            var answer = view.Matrix(v4, v6, int.MaxValue);
            Assert.Equal(basis, answer.Basis);
            var exact = truth.Matrix(v4, v6);
            Assert.NotEmpty(answer.Cells);
            var listed = new HashSet<(AddressPrefix, AddressPrefix)>();
            foreach (var cell in answer.Cells)
            {
                Assert.True(listed.Add((cell.Source, cell.Destination)));
                var t = exact.GetValueOrDefault((cell.Source, cell.Destination));
                Assert.True(t.Bytes >= cell.Bytes.Lower && t.Bytes <= cell.Bytes.Upper, $"/{v4}: {cell} holds {t.Bytes} B");
                Assert.True(t.Packets >= cell.Packets.Lower && t.Packets <= cell.Packets.Upper, $"/{v4}: {cell} holds {t.Packets} packets");
            }
            foreach (var (key, t) in exact)
                if (!listed.Contains(key)) Assert.True(t.Bytes <= answer.UnattributedBytes.Value, $"/{v4}: unlisted cell {key} has {t.Bytes} B > {answer.UnattributedBytes.Value}");
            double attributed = answer.Cells.Sum(c => c.Bytes.Lower);
            Assert.True(attributed + answer.UnattributedBytes.Value <= truth.Bytes + 0.5);
        }
        // IPv6 blocks aggregate like IPv4 ones (the /64 cells themselves are too light to stay among the 64 kept).
        Assert.Contains(view.Matrix(8, 32, int.MaxValue).Cells, c => c.Source.ToString() == "2001:db8::/32" && c.Destination.ToString() == "2001:db8::/32");
        // The /16 matrix of this traffic is small enough to be exact: 10.o.0.0/16 -> 10.100.0.0/16 and back, plus externals.
        var clientsToServers = view.Matrix(16, 64, int.MaxValue).Cells.Single(c => c.Source.ToString() == "10.1.0.0/16" && c.Destination.ToString() == "10.100.0.0/16");
        Assert.True(clientsToServers.Bytes.Lower > 0);
    }

    [Fact]
    public void LongWindowsUseCoarserBucketsAndSeriesStillAddUp()
    {
        var (records, truth, _) = Build(7);
        var view = GlobalView.Build(records, [], T0 + 24 * 3600 * Second, ViewWindow.Between(T0 - 12 * 3600 * Second, T0 + 12 * 3600 * Second));
        var series = view.Series();
        Assert.Equal(TimeSpan.FromMinutes(5), series.Bucket);
        Assert.Equal(289, series.Points.Count); // 24 h of 5 min buckets, the window not aligned to 5 min
        Assert.Equal(truth.Bytes, (ulong)series.Points.Sum(p => p.Bytes.Value));
        Assert.InRange(series.Points.Count(p => p.Bytes.Value > 0), 1, 2);
        Assert.Throws<ArgumentOutOfRangeException>(() => view.Series(TimeSpan.FromSeconds(1)).Points.Count);
    }
}
