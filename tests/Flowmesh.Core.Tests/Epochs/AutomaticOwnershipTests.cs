using Flowmesh.Core.Epochs;
using Flowmesh.Core.Packets;
using Flowmesh.Core.Views;
using static Flowmesh.Core.Tests.Epochs.EpochTestTraffic;

namespace Flowmesh.Core.Tests.Epochs;

/// <summary>
/// Automatic ownership (addresses announced in records) at the edges of the rule, and exactly-once counting of flows
/// between two monitored PCs whether or not the owner's record is there. Truth is the packet list itself.
/// </summary>
public sealed class AutomaticOwnershipTests
{
    private static IpAddress128 A(string text) => IpAddress128.Parse(text);

    private static MonitoredAddresses Book(string self, string[] local, params (string Origin, long Epoch, string[] Addresses)[] others) =>
        MonitoredAddresses.Build(self, local.Select(A), others.Select(o => new AddressAnnouncement(o.Origin, o.Epoch, o.Addresses.Select(A).ToList())));

    [Theory]
    // One end monitored (by b), the other unmonitored and lower: b owns, whoever looks.
    [InlineData("8.8.8.8", "10.0.0.2", "b")]
    // One end monitored by this agent: its own, even though the other address is lower.
    [InlineData("10.0.0.1", "1.1.1.1", "a")]
    // Both ends monitored: the agent of the lower address.
    [InlineData("10.0.0.2", "10.0.0.1", "a")]
    [InlineData("10.0.0.2", "10.0.0.3", "b")]
    // IPv6 addresses of a PC belong to it like its IPv4 ones (IPv4 sorts below IPv6: mapped ::ffff:0:0/96).
    [InlineData("2001:db8::2", "2001:db8::1", "a")]
    [InlineData("2001:db8::2", "fe80::2", "b")]
    // Neither monitored: whoever sees it.
    [InlineData("8.8.8.8", "9.9.9.9", "observer")]
    public void EveryAgentReachesTheSameVerdict(string x, string y, string expected)
    {
        string[] aAddresses = ["10.0.0.1", "10.1.0.1", "2001:db8::1"];  // two interfaces, IPv4 and IPv6
        string[] bAddresses = ["10.0.0.2", "10.0.0.3", "2001:db8::2", "fe80::2"];
        var books = new Dictionary<string, MonitoredAddresses>
        {
            ["a"] = Book("a", aAddresses, ("b", 100, bAddresses)),
            ["b"] = Book("b", bAddresses, ("a", 100, aAddresses)),
            ["observer"] = Book("observer", ["192.0.2.9"], ("a", 100, aAddresses), ("b", 90, bAddresses)),
        };
        foreach (var (name, book) in books)
        {
            var ownership = new FlowOwnership(book);
            foreach (var (p, q) in new[] { (x, y), (y, x) })
            {
                bool mine = ownership.Decide(A(p), A(q), out string? owner);
                string verdict = mine ? name : owner!;
                // The observer keeps unmonitored flows; every agent names the same owner for monitored ones.
                Assert.Equal(expected == "observer" ? name : expected, verdict);
            }
        }
    }

    [Fact]
    public void BothEndsOnThisPcAreItsOwn()
    {
        var ownership = new FlowOwnership(Book("a", ["10.0.0.1", "10.1.0.1", "2001:db8::1"], ("b", 1, ["10.0.0.2"])));
        Assert.True(ownership.Owns(A("10.1.0.1"), A("10.0.0.1")));
        Assert.True(ownership.Owns(A("2001:db8::1"), A("10.0.0.1")));
        Assert.True(ownership.Owns(A("10.0.0.1"), A("10.0.0.1")));
    }

    [Fact]
    public void AnAddressThatMovedBelongsToItsNewestAnnouncer()
    {
        // DHCP gave 10.0.0.7 to c at epoch 200; b announced it until epoch 190 and now announces 10.0.0.8.
        var moved = new[] { ("b", 190L, new[] { "10.0.0.7" }), ("b", 200L, new[] { "10.0.0.8" }), ("c", 200L, new[] { "10.0.0.7" }) };
        var atA = Book("a", ["10.0.0.9"], moved);
        Assert.Equal("c", atA.OwnerOf(A("10.0.0.7")));
        Assert.Equal("b", atA.OwnerOf(A("10.0.0.8")));
        // Before c's announcement arrived, b still owned it: the verdict follows the newest knowledge.
        Assert.Equal("b", Book("a", ["10.0.0.9"], ("b", 190L, ["10.0.0.7"])).OwnerOf(A("10.0.0.7")));
        // c itself: local addresses win, whatever stale announcements say.
        Assert.Equal("c", Book("c", ["10.0.0.7"], ("b", 300L, ["10.0.0.7"])).OwnerOf(A("10.0.0.7")));
        // b after the move: its own old announcement (a record of b) is ignored, c's is not.
        var atB = Book("b", ["10.0.0.8"], ("b", 190L, ["10.0.0.7"]), ("c", 200L, ["10.0.0.7"]));
        Assert.Equal("c", atB.OwnerOf(A("10.0.0.7")));
        // Two announcements for the same epoch: the ordinally lowest origin, at every agent.
        Assert.Equal("b", Book("x", [], ("c", 5, ["10.0.0.7"]), ("b", 5, ["10.0.0.7"])).OwnerOf(A("10.0.0.7")));
        Assert.Equal("b", Book("y", [], ("b", 5, ["10.0.0.7"]), ("c", 5, ["10.0.0.7"])).OwnerOf(A("10.0.0.7")));
    }

    [Fact]
    public void UpdatingTheBookChangesLaterVerdictsOnly()
    {
        var ownership = new FlowOwnership(MonitoredAddresses.None("b"));
        Assert.True(ownership.Owns(A("10.0.0.1"), A("10.0.0.2")));
        ownership.Update(Book("b", ["10.0.0.2"], ("a", 1, ["10.0.0.1"])));
        Assert.False(ownership.Decide(A("10.0.0.1"), A("10.0.0.2"), out var owner));
        Assert.Equal("a", owner);
        Assert.Throws<InvalidOperationException>(() => FlowOwnership.Everything.Update(MonitoredAddresses.None("x")));
    }

    // ---- exactly once, through the real summarizer and the global view ----

    private const string HostA = "10.0.0.1", HostA6 = "2001:db8::1", HostB = "10.0.0.2", HostB2 = "10.0.5.2", Outside = "8.8.8.8";
    private static readonly string[] AddressesA = [HostA, HostA6];
    private static readonly string[] AddressesB = [HostB, HostB2, "2001:db8::2"];

    /// <summary>
    /// 60 s of traffic: a bulk TCP transfer b -> a, IPv6 UDP between them, gossip a:7946 &lt;-&gt; b:7946, and both talking
    /// to the outside. Packets on both PCs' interfaces are seen by both agents.
    /// </summary>
    internal static List<SyntheticPacket> TwoPcs(int seed, int extraFlowsBetween = 0)
    {
        var random = new Random(seed);
        var packets = new List<SyntheticPacket>();
        long end = Start + 60 * Second;
        for (long t = Start; t < end; t += random.Next(20_000, 200_000))
        {
            packets.Add(new(t, HostB2, 50000, HostA, 5201, IpProtocol.Tcp, 1500, 0x10));
            packets.Add(new(t + 5, HostA, 5201, HostB2, 50000, IpProtocol.Tcp, 52, 0x10));
        }
        for (long t = Start + 3; t < end; t += random.Next(300_000, 900_000))
        {
            packets.Add(new(t, HostA6, 6000, "2001:db8::2", 53, IpProtocol.Udp, random.Next(80, 200), 0));
            packets.Add(new(t + 11, HostA, 7946, HostB, 7946, IpProtocol.Udp, random.Next(100, 400), 0));
            packets.Add(new(t + 13, HostB, 7946, HostA, 7946, IpProtocol.Udp, random.Next(100, 400), 0));
            packets.Add(new(t + 17, HostA, 40000 + (int)(t / Second % 1000), Outside, 443, IpProtocol.Tcp, random.Next(60, 1500), 0x18));
            packets.Add(new(t + 19, Outside, 443, HostB, 41000, IpProtocol.Tcp, random.Next(60, 1500), 0x18));
        }
        for (int i = 0; i < extraFlowsBetween; i++)
        {
            // All in one epoch that the owner loses below: more than a section lists.
            long t = Start + 17 * Second + random.Next(0, 9_000_000);
            packets.Add(new(t, HostB, 20000 + i, HostA, 80, IpProtocol.Tcp, 100 + i % 50, 0x02));
        }
        packets.Sort((x, y) => x.Micros.CompareTo(y.Micros));
        return packets;
    }

    private static bool Touches(SyntheticPacket p, string[] addresses) => addresses.Contains(p.Source) || addresses.Contains(p.Destination);

    internal static List<EpochRecord> Agent(string name, string[] local, string other, string[] otherAddresses, IEnumerable<SyntheticPacket> seen, MonitorTrafficFilter? monitor = null)
    {
        var ownership = new FlowOwnership(MonitoredAddresses.Build(name, local.Select(A), [new AddressAnnouncement(other, Start, otherAddresses.Select(A).ToList())]));
        var records = new List<EpochRecord>();
        var summarizer = new EpochSummarizer(new EpochSummarizerOptions
        {
            Origin = name, Key = Key, EpochLength = TimeSpan.FromSeconds(10), Ownership = ownership, MonitorTraffic = monitor,
        }, records.Add);
        foreach (var p in seen) summarizer.ObservePacket(LinkType.Ethernet, p.Micros, p.Frame());
        summarizer.Finish();
        return records;
    }

    private static (List<EpochRecord> A, List<EpochRecord> B) BothAgents(List<SyntheticPacket> packets, MonitorTrafficFilter? monitor = null) =>
        (Agent("a", AddressesA, "b", AddressesB, packets.Where(p => Touches(p, AddressesA)), monitor),
         Agent("b", AddressesB, "a", AddressesA, packets.Where(p => Touches(p, AddressesB)), monitor));

    private static readonly ViewWindow Window = ViewWindow.Between(EpochRollup.AlignDown(Start, 10 * Second), EpochRollup.AlignDown(Start, 10 * Second) + 70 * Second);

    private static GlobalView View(IEnumerable<EpochRecord> records) =>
        GlobalView.Build(records, [new ExpectedOrigin("a", OriginLiveness.Alive), new ExpectedOrigin("b", OriginLiveness.Alive)], Window.ToMicros + 60 * Second, Window);

    [Fact]
    public void RecordsAnnounceTheAddressesAndListWhatTheyLeft()
    {
        var (a, b) = BothAgents(TwoPcs(seed: 1));
        Assert.All(a, r => Assert.Equal(AddressesA.Select(A).Order(), r.Contents.Extensions.Addresses!));
        Assert.All(b, r => Assert.Equal(AddressesB.Select(A).Order(), r.Contents.Extensions.Addresses!));
        // a has the lowest address of every a-b flow: it owns them all and leaves nothing; b leaves them to a.
        Assert.All(a, r => Assert.Empty(r.Contents.Extensions.Left));
        Assert.All(b, r => Assert.Equal("a", Assert.Single(r.Contents.Extensions.Left).Peer));
        Assert.All(b, r => Assert.True(r.Health.ForeignPackets > 0));
    }

    [Fact]
    public void FlowsBetweenMonitoredPcsAreCountedOnceWhenBothRecordsAreThere()
    {
        var packets = TwoPcs(seed: 2);
        var (a, b) = BothAgents(packets);
        var view = View(a.Concat(b));
        Assert.Equal((ulong)packets.Sum(p => p.IpLength), (ulong)view.Totals().Bytes.Value);
        Assert.Equal(packets.Count, (int)view.Totals().Packets.Value);
        Assert.Equal(0, view.Coverage.LeftToPeer.SectionsUsed);
        Assert.True(view.Coverage.IsComplete);
        // Without ownership both agents count the shared flows: the doubling of issue 12.
        var naive = View(Summarize(packets.Where(p => Touches(p, AddressesA)), TimeSpan.FromSeconds(10), "a")
            .Concat(Summarize(packets.Where(p => Touches(p, AddressesB)), TimeSpan.FromSeconds(10), "b")));
        Assert.True(naive.Totals().Bytes.Value > 1.8 * view.Totals().Bytes.Value);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(400)] // more flows than a section lists: the rest comes from the exact unlisted counters
    public void FlowsBetweenMonitoredPcsAreCountedOnceWhenTheOwnersRecordIsMissing(int extraFlows)
    {
        var packets = TwoPcs(seed: 3, extraFlows);
        var (a, b) = BothAgents(packets);
        long windowStart = Window.FromMicros;
        // a (the owner) lost epochs 2 and 3: crashed, slept, or was cut off.
        bool Lost(long micros) => micros >= windowStart + 20 * Second && micros < windowStart + 40 * Second;
        var view = View(a.Where(r => !Lost(r.Id.StartMicros)).Concat(b));

        // Truth: every packet except what only a saw in the lost epochs (its traffic with the outside).
        var expected = packets.Where(p => !(Lost(p.Micros) && Touches(p, AddressesA) && !Touches(p, AddressesB))).ToList();
        var totals = view.Totals();
        Assert.Equal((ulong)expected.Sum(p => p.IpLength), (ulong)totals.Bytes.Value);
        Assert.Equal(expected.Count, (int)totals.Packets.Value);
        Assert.Equal(2, view.Coverage.LeftToPeer.SectionsUsed);
        Assert.Equal(["a"], view.Coverage.LeftToPeer.MissingOwners);
        Assert.Equal(["a"], view.Coverage.IncompleteOrigins);
        Assert.Equal(extraFlows > 0, view.Coverage.LeftToPeer.UnlistedBytes > 0);

        // The series holds the same traffic, epoch by epoch (the stand-in in the epochs a lost).
        var series = view.Series(TimeSpan.FromSeconds(10));
        foreach (var point in series.Points)
            Assert.Equal((ulong)expected.Where(p => p.Micros >= point.StartMicros && p.Micros < point.StartMicros + point.LengthMicros).Sum(p => p.IpLength), (ulong)point.Bytes.Value);

        // The bulk sender's bytes are within its bound (the stand-in went through the talker sketches too).
        ulong truthB2 = (ulong)expected.Where(p => p.Source == HostB2).Sum(p => p.IpLength);
        var talker = Assert.Single(view.Top(TopKind.Talkers, TrafficMeasure.Bytes, 10).Items, i => i.Label == HostB2);
        Assert.InRange(truthB2, talker.Weight.Lower, talker.Weight.Upper);

        // And with every record there, the same flows are not counted a second time.
        Assert.Equal((ulong)packets.Sum(p => p.IpLength), (ulong)View(a.Concat(b)).Totals().Bytes.Value);
    }

    [Fact]
    public void TheMonitorsOwnTrafficIsCountedAndReportedApart()
    {
        var packets = TwoPcs(seed: 4);
        var monitor = new MonitorTrafficFilter([(A(HostA), 7946), (A(HostB), 7946)]);
        var (a, b) = BothAgents(packets, monitor);
        var gossip = packets.Where(p => p.SourcePort == 7946 || p.DestinationPort == 7946).ToList();
        var view = View(a.Concat(b));
        var totals = view.Totals();
        Assert.Equal((ulong)packets.Sum(p => p.IpLength), (ulong)totals.Bytes.Value);
        Assert.Equal((ulong)gossip.Sum(p => p.IpLength), (ulong)totals.Monitor.Bytes.Value);
        Assert.Equal(gossip.Count, (int)totals.Monitor.Packets.Value);

        // Leaving it out of the talkers: b's gossip bytes go, the bound still holds the truth.
        var without = view.Top(TopKind.Talkers, TrafficMeasure.Bytes, 10, excludeMonitor: true);
        Assert.Equal((double)(packets.Sum(p => (long)p.IpLength) - gossip.Sum(p => (long)p.IpLength)), without.Total.Value);
        foreach (var item in without.Items)
        {
            ulong truth = (ulong)packets.Where(p => p.Source == item.Label && p.SourcePort != 7946 && p.DestinationPort != 7946).Sum(p => p.IpLength);
            Assert.InRange(truth, item.Weight.Lower, item.Weight.Upper);
        }
        Assert.Throws<ArgumentException>(() => view.Top(TopKind.Flows, TrafficMeasure.Bytes, 10, excludeMonitor: true));

        // With the owner missing, its gossip is still reported through b's left-to-peer section.
        var lost = View(a.Where(r => r.Id.StartMicros != Window.FromMicros + 20 * Second).Concat(b));
        Assert.Equal((ulong)gossip.Sum(p => p.IpLength), (ulong)lost.Totals().Monitor.Bytes.Value);
    }

    [Fact]
    public void EpochsBeforeAnOriginJoinedAreNotGaps()
    {
        var (a, b) = BothAgents(TwoPcs(seed: 5));
        // b started 30 s into the window: its first record is the 4th of 7 epochs.
        long joined = Window.FromMicros + 30 * Second;
        var lateB = b.Where(r => r.Id.StartMicros >= joined).ToList();
        var now = Window.ToMicros + 60 * Second;
        var gapped = GlobalView.Build(a.Concat(lateB), [new("a", OriginLiveness.Alive), new("b", OriginLiveness.Alive)], now, Window);
        Assert.False(gapped.Coverage.IsComplete);
        var known = GlobalView.Build(a.Concat(lateB),
            [new("a", OriginLiveness.Alive) { SinceMicros = a.Min(r => r.Id.StartMicros) }, new("b", OriginLiveness.Alive) { SinceMicros = joined }], now, Window);
        Assert.True(known.Coverage.IsComplete);
        Assert.Equal(Caveats.None, known.Coverage.Caveats);
        var origin = Assert.Single(known.Coverage.Origins, o => o.Origin == "b");
        Assert.Equal((CoverageStatus.Complete, 4, 4), (origin.Status, origin.SettledEpochs, origin.CoveredEpochs));
        // A joined origin that then stops sealing is still a gap.
        var stopped = GlobalView.Build(a.Concat(lateB.Take(2)),
            [new("a", OriginLiveness.Alive), new("b", OriginLiveness.Alive) { SinceMicros = joined }], now, Window);
        Assert.Equal(["b"], stopped.Coverage.IncompleteOrigins);
    }
}
