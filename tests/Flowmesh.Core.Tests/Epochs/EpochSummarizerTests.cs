using Flowmesh.Core.Epochs;
using Flowmesh.Core.Views;
using Flowmesh.Core.Packets;
using static Flowmesh.Core.Tests.Epochs.EpochTestTraffic;

namespace Flowmesh.Core.Tests.Epochs;

[Collection(nameof(RunsAloneCollection))]
public sealed class EpochSummarizerTests
{
    [Fact]
    public void PacketsLandInTheEpochInWhichTheyWereObserved()
    {
        var packets = Generate(seed: 1);
        var records = Summarize(packets, TimeSpan.FromSeconds(10));

        var truth = packets.GroupBy(p => EpochRollup.AlignDown(p.Micros, 10 * Second))
            .ToDictionary(g => g.Key, g => (Bytes: (ulong)g.Sum(p => p.IpLength), Packets: (ulong)g.Count()));
        Assert.Equal(truth.Keys.Order(), records.Select(r => r.Id.StartMicros));
        foreach (var record in records)
        {
            Assert.Equal(10 * Second, record.Id.LengthMicros);
            Assert.Equal(truth[record.Id.StartMicros], (record.Totals.All.Bytes, record.Totals.All.Packets));
            Assert.Equal(record.Totals.All.Packets, record.Health.Frames);
        }
        // The long TCP flows are counted as started once, in their first epoch, though they live in every epoch.
        Assert.True(records[0].Totals[ProtocolClass.Tcp].Flows >= 30);
        Assert.Equal((ulong)packets.Count(p => p.Protocol == IpProtocol.Tcp), (ulong)records.Sum(r => (long)r.Totals[ProtocolClass.Tcp].Packets));
    }

    [Fact]
    public void AnswersMatchExactTruthWithinTheirBounds()
    {
        var packets = Generate(seed: 2);
        var view = Merge(Summarize(packets, TimeSpan.FromSeconds(10)));

        // Top talkers: every true sender weight lies within the reported bounds, and the heaviest senders are listed.
        var talkers = packets.GroupBy(p => p.Source).ToDictionary(g => g.Key, g => (ulong)g.Sum(p => p.IpLength));
        var top = view.Top(TopKind.Talkers, TrafficMeasure.Bytes, 100).Items;
        foreach (var entry in top)
        {
            ulong exact = talkers[entry.Key.Source.ToString()];
            Assert.InRange(exact, entry.Weight.Lower, entry.Weight.Upper);
            Assert.InRange((double)exact, entry.Weight.Value - entry.Weight.ErrorBound, entry.Weight.Value + entry.Weight.ErrorBound);
        }
        var heaviest = talkers.OrderByDescending(t => t.Value).First();
        Assert.Equal(heaviest.Key, top[0].Key.Source.ToString());

        // Distinct sources: exact count within the bound.
        var sources = view.Distinct(DistinctKind.Sources).Count;
        double exactSources = packets.Select(p => p.Source).Distinct().Count();
        Assert.InRange(exactSources, sources.Value - sources.ErrorBound, sources.Value + sources.ErrorBound);

        // Fan-out of the scanner (ports of one target) and fan-in of the flooded host.
        var scan = Assert.Single(view.Spread(SpreadKind.PortsPerPair, 50).Items, e => e.Key.Source.ToString() == Scanner).Spread;
        Assert.InRange((double)ScannedPorts, scan.Value - scan.ErrorBound, scan.Value + scan.ErrorBound);
        var flood = Assert.Single(view.Spread(SpreadKind.SourcesPerDestination, 100).Items, e => e.Key.Source.ToString() == FloodTarget).Spread;
        Assert.InRange((double)FloodSources, flood.Value - flood.ErrorBound, flood.Value + flood.ErrorBound);

        // Matrix: the exact cells equal the exact subnet-to-subnet bytes.
        foreach (var cell in view.Matrix(limit: 1000).Cells.Where(c => c.Bytes.ErrorBound == 0))
        {
            ulong exact = (ulong)packets.Where(p => cell.Source.Contains(IpAddress128.Parse(p.Source)) && cell.Destination.Contains(IpAddress128.Parse(p.Destination))).Sum(p => p.IpLength);
            Assert.InRange(exact, cell.Bytes.Lower, cell.Bytes.Upper);
        }
        Assert.Equal((ulong)packets.Sum(p => p.IpLength), (ulong)view.Totals().Bytes.Value);
    }

    [Fact]
    public void EpochsWithoutTrafficProduceNoRecord()
    {
        var packets = Generate(seed: 3, seconds: 12);
        var late = packets.Select(p => p with { Micros = p.Micros + 600 * Second }).ToList();
        var records = Summarize(packets.Concat(late), TimeSpan.FromSeconds(10));
        Assert.All(records, r => Assert.True(r.Totals.All.Packets > 0, $"{r.Id} {r.Totals.All} {r.Health}"));
        var busyEpochs = packets.Concat(late).Select(p => EpochRollup.AlignDown(p.Micros, 10 * Second)).Distinct().Order();
        Assert.Equal(busyEpochs, records.Select(r => r.Id.StartMicros));
        Assert.Equal((ulong)(2 * packets.Count), (ulong)records.Sum(r => (long)r.Totals.All.Packets));
    }

    [Fact]
    public void IdleTimeSealsTheOpenEpochAndDropsAreChargedToIt()
    {
        var records = new List<EpochRecord>();
        var summarizer = new EpochSummarizer(new EpochSummarizerOptions { Origin = "live", Key = Key }, records.Add);
        var packet = new SyntheticPacket(Start, "10.1.0.1", 40000, "10.2.0.1", 443, IpProtocol.Tcp, 60, 0x02);
        summarizer.AdvanceTime(Start - Second); // idle before any packet opens nothing
        summarizer.ObservePacket(LinkType.Ethernet, packet.Micros, packet.Frame());
        summarizer.ObservePacket(LinkType.Ethernet, packet.Micros + 1, [0x00, 0x01]); // undecodable
        summarizer.AddKernelDrops(7);
        summarizer.AdvanceTime(Start + 5 * Second);
        Assert.Empty(records);
        summarizer.AdvanceTime(EpochRollup.AlignDown(Start, 10 * Second) + 10 * Second);
        var record = Assert.Single(records);
        Assert.Equal(new CaptureHealth(2, 7, 1, 0, 0), record.Health);
        Assert.Equal(new TrafficCounters(60, 1, 1), record.Totals.All);
        summarizer.Finish(); // nothing open: nothing more
        Assert.Single(records);
    }
    [Fact]
    public void WithSealEmptyEpochsEveryEpochTheClockPassesThroughIsSealedEvenWithoutTraffic()
    {
        var records = new List<EpochRecord>();
        var summarizer = new EpochSummarizer(new EpochSummarizerOptions { Origin = "live", Key = Key, SealEmptyEpochs = true }, records.Add);
        long first = EpochRollup.AlignDown(Start, 10 * Second);
        // Idle ticks once a second for 35 s, one packet at +12 s: epochs first, +10, +20 are complete, +30 is open.
        var packet = new SyntheticPacket(first + 12 * Second, "10.1.0.1", 40000, "10.2.0.1", 443, IpProtocol.Tcp, 60, 0x02);
        for (long t = first; t < first + 35 * Second; t += Second)
        {
            summarizer.AdvanceTime(t);
            if (t == first + 12 * Second) summarizer.ObservePacket(LinkType.Ethernet, packet.Micros, packet.Frame());
        }
        Assert.Equal([first, first + 10 * Second, first + 20 * Second], records.Select(r => r.Id.StartMicros));
        Assert.Equal([0UL, 1UL, 0UL], records.Select(r => r.Totals.All.Packets));
        Assert.Equal(new CaptureHealth(0, 0, 0, 0, 0), records[0].Health);

        // A clock jump (the machine slept) skips the epochs nobody watched: no record claims they were silent.
        summarizer.AdvanceTime(first + 95 * Second);
        Assert.Equal(first + 30 * Second, records[^1].Id.StartMicros);
        summarizer.Finish();
        Assert.Equal([first + 30 * Second, first + 90 * Second], records.Skip(3).Select(r => r.Id.StartMicros));
    }

    [Fact]
    public void WithoutSealEmptyEpochsIdleTimeAloneSealsNothing()
    {
        var records = new List<EpochRecord>();
        var summarizer = new EpochSummarizer(new EpochSummarizerOptions { Origin = "live", Key = Key }, records.Add);
        for (long t = Start; t < Start + 60 * Second; t += Second) summarizer.AdvanceTime(t);
        summarizer.Finish();
        Assert.Empty(records);
    }
}
