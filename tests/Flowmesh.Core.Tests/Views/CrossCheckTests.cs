using Flowmesh.Core.Detections;
using Flowmesh.Core.Epochs;
using Flowmesh.Core.Packets;
using Flowmesh.Core.Tests.Epochs;
using Flowmesh.Core.Views;
using static Flowmesh.Core.Tests.Epochs.EpochTestTraffic;

namespace Flowmesh.Core.Tests.Views;

/// <summary>
/// Both ends of a flow vouch for it (docs/cross-check.md): records of monitored PCs built by the real summarizer from
/// synthetic packets, each PC seeing exactly the packets that touch it; truth is the packet list. Honest PCs agree;
/// a PC that hides its scan, inflates or invents shared traffic is flagged with the evidence; boundary jitter is not.
/// </summary>
public sealed class CrossCheckTests
{
    private const string A = "10.0.0.1", B = "10.0.0.2", C = "10.0.0.3", D = "10.0.0.4", Outside = "8.8.8.8";
    private static readonly Dictionary<string, string> Pcs = new() { ["a"] = A, ["b"] = B, ["c"] = C, ["d"] = D };
    private static readonly ViewWindow Window = ViewWindow.Between(EpochRollup.AlignDown(Start, 10 * Second), EpochRollup.AlignDown(Start, 10 * Second) + 70 * Second);

    /// <summary>60 s of gossip among every pair of <paramref name="names"/>, each talking to the outside; with <paramref name="scan"/>, a SYN scan by a of 400 ports of b and of c from second 17.</summary>
    private static List<SyntheticPacket> Traffic(int seed, string[] names, bool scan)
    {
        var random = new Random(seed);
        var packets = new List<SyntheticPacket>();
        long end = Start + 60 * Second;
        for (long t = Start; t < end; t += random.Next(200_000, 600_000))
        {
            foreach (var x in names)
                foreach (var y in names.Where(y => string.CompareOrdinal(x, y) < 0))
                {
                    packets.Add(new(t + random.Next(0, 1000), Pcs[x], 7946, Pcs[y], 7946, IpProtocol.Udp, random.Next(100, 400), 0));
                    packets.Add(new(t + random.Next(1000, 2000), Pcs[y], 7946, Pcs[x], 7946, IpProtocol.Udp, random.Next(100, 400), 0));
                }
            foreach (var x in names)
                packets.Add(new(t + 3000, Pcs[x], 40000, Outside, 443, IpProtocol.Tcp, random.Next(60, 1500), 0x18));
        }
        if (scan)
            foreach (var target in new[] { B, C })
                for (int p = 0; p < 400; p++)
                {
                    long t = Start + 17 * Second + p * 20_000 + (target == C ? 7 : 0);
                    packets.Add(new(t, A, 61000, target, 1 + p, IpProtocol.Tcp, 44, 0x02));
                    packets.Add(new(t + 100, target, 1 + p, A, 61000, IpProtocol.Tcp, 40, 0x14));
                }
        packets.Sort((x, y) => x.Micros.CompareTo(y.Micros));
        return packets;
    }

    private static bool Touches(SyntheticPacket p, string address) => p.Source == address || p.Destination == address;

    private static bool IsScan(SyntheticPacket p) => p.Protocol == IpProtocol.Tcp && (p.SourcePort == 61000 || p.DestinationPort == 61000);

    /// <summary>One agent's records: it knows every other PC in <paramref name="names"/>; <paramref name="seen"/> is what its capture hands the summarizer.</summary>
    private static List<EpochRecord> Agent(string name, string[] names, IEnumerable<SyntheticPacket> seen)
    {
        var others = names.Where(n => n != name).Select(n => new AddressAnnouncement(n, Start, [IpAddress128.Parse(Pcs[n])]));
        var ownership = new FlowOwnership(MonitoredAddresses.Build(name, [IpAddress128.Parse(Pcs[name])], others));
        var records = new List<EpochRecord>();
        var summarizer = new EpochSummarizer(new EpochSummarizerOptions { Origin = name, Key = Key, EpochLength = TimeSpan.FromSeconds(10), Ownership = ownership }, records.Add);
        foreach (var p in seen) summarizer.ObservePacket(LinkType.Ethernet, p.Micros, p.Frame());
        summarizer.Finish();
        return records;
    }

    private static List<EpochRecord> Honest(string name, string[] names, List<SyntheticPacket> packets) =>
        Agent(name, names, packets.Where(p => Touches(p, Pcs[name])));

    private static GlobalView View(IEnumerable<EpochRecord> records, string[] names, GlobalViewOptions? options = null) =>
        GlobalView.Build(records, names.Select(n => new ExpectedOrigin(n, OriginLiveness.Alive)), Window.ToMicros + 60 * Second, Window, options);

    private static (ulong Packets, ulong Bytes) Between(IEnumerable<SyntheticPacket> packets, string x, string y)
    {
        var list = packets.Where(p => (p.Source == x && p.Destination == y) || (p.Source == y && p.Destination == x)).ToList();
        return ((ulong)list.Count, (ulong)list.Sum(p => p.IpLength));
    }

    [Fact]
    public void HonestPcsAgreeAndTheirAccountsAreExact()
    {
        string[] names = ["a", "b", "c"];
        var packets = Traffic(seed: 1, names, scan: true);
        var records = names.SelectMany(n => Honest(n, names, packets)).ToList();
        // Each record's account of a peer is exactly the packets between the two in its interval.
        foreach (var r in records)
            foreach (var peer in names.Where(n => n != r.Id.Origin))
            {
                var inRecord = packets.Where(p => p.Micros >= r.Id.StartMicros && p.Micros < r.Id.EndMicros);
                var (count, bytes) = Between(inRecord, Pcs[r.Id.Origin], Pcs[peer]);
                var account = r.PeerAccounts!.Find(peer);
                Assert.Equal(count, account?.Packets ?? 0);
                Assert.Equal(bytes, account?.Bytes ?? 0);
                ulong sent = (ulong)inRecord.Where(p => p.Source == Pcs[r.Id.Origin] && p.Destination == Pcs[peer]).Count();
                Assert.Equal(sent, account?.SentPackets ?? 0);
            }
        var check = View(records, names).Coverage.CrossCheck;
        Assert.True(check.Comparisons >= 3 * 6, $"{check.Comparisons} comparisons");
        Assert.Empty(check.Flagged);
        Assert.Empty(check.UnresolvedPairs);
    }

    [Fact]
    public void APcThatHidesItsScanIsFlaggedAndTheScanStillShowsFromTheTargetsSide()
    {
        string[] names = ["a", "b", "c"];
        var packets = Traffic(seed: 2, names, scan: true);
        // a owns every flow with b and c (lowest address), leaves out its scan from its own records: a consistent lie.
        var liar = Agent("a", names, packets.Where(p => Touches(p, A) && !IsScan(p)));
        var records = liar.Concat(Honest("b", names, packets)).Concat(Honest("c", names, packets)).ToList();
        var view = View(records, names);

        var flagged = Assert.Single(view.Coverage.CrossCheck.Flagged);
        Assert.Equal("a", flagged.Origin);
        Assert.Equal(CrossCheckVerdict.Hidden, flagged.Verdict);
        Assert.Equal(["b", "c"], flagged.DisputingPeers);
        Assert.Empty(view.Coverage.CrossCheck.UnresolvedPairs);
        // The evidence is exact: what a reported and what its peers saw differ by the scan packets of the disputed slots.
        var disputedSlots = flagged.Evidence.Select(e => e.SlotStartMicros).ToHashSet();
        Assert.Equal(flagged.Slots, disputedSlots.Count);
        var scanInDisputed = packets.Where(p => IsScan(p) && disputedSlots.Contains(EpochRollup.AlignDown(p.Micros, 10 * Second))).ToList();
        Assert.Equal((ulong)scanInDisputed.Count, flagged.PeersSawPackets - flagged.ReportedPackets);
        Assert.Equal((ulong)scanInDisputed.Sum(p => p.IpLength), flagged.PeersSawBytes - flagged.ReportedBytes);
        Assert.Equal((ulong)packets.Count(IsScan), (ulong)scanInDisputed.Count); // every slot with scan traffic is disputed

        // The peers' testimony puts the scan back: the scan alert names a, and a is the top talker by packets.
        var alerts = Detectors.Scans(view, DetectionOptions.Default);
        Assert.Contains(alerts, x => x.Kind == AlertKind.PortScan && x.Subject.StartsWith(A + " ", StringComparison.Ordinal));
        var top = view.Top(TopKind.Talkers, TrafficMeasure.Packets, 3);
        Assert.Equal(A, top.Items[0].Label);
        // Totals: every packet, plus at most what a reported of its flows with the peers in the disputed slots (counted twice).
        ulong truth = (ulong)packets.Sum(p => p.IpLength);
        ulong total = (ulong)view.Totals().Bytes.Value;
        Assert.InRange(total, truth, truth + flagged.PossiblyCountedTwiceBytes);

        // Without the cross-check's testimony the scan is gone: nothing else in the records names a as a scanner.
        var blind = View(liar, ["a"]);
        Assert.DoesNotContain(Detectors.Scans(blind, DetectionOptions.Default), x => x.Subject.StartsWith(A + " ", StringComparison.Ordinal));
    }

    [Fact]
    public void APeerWithNoSharedTrafficCountsAsAnAgreeingComparison()
    {
        // d talks only to the outside: every record lists it with zero traffic (they know it), so every pair with it is
        // compared, and a, which hides its scan of b and c, disputes with 2 of its 3 peers and is still the one to blame.
        string[] names = ["a", "b", "c", "d"];
        var packets = Traffic(seed: 7, ["a", "b", "c"], scan: true);
        for (long t = Start; t < Start + 60 * Second; t += 500_000) packets.Add(new(t + 11, D, 40001, Outside, 443, IpProtocol.Tcp, 600, 0x18));
        packets.Sort((x, y) => x.Micros.CompareTo(y.Micros));
        var records = Agent("a", names, packets.Where(p => Touches(p, A) && !IsScan(p))).Concat(names.Skip(1).SelectMany(n => Honest(n, names, packets))).ToList();
        Assert.All(records.Where(r => r.Id.Origin != "d"), r => Assert.Equal(0UL, r.PeerAccounts!.Find("d")!.Value.Packets));
        var check = View(records, names).Coverage.CrossCheck;
        int slots = records.Select(r => r.Id.StartMicros).Distinct().Count();
        Assert.Equal(6 * slots, check.Comparisons); // every pair of 4 in every slot
        var flagged = Assert.Single(check.Flagged);
        Assert.Equal("a", flagged.Origin);
        Assert.Equal(["b", "c"], flagged.DisputingPeers);
        Assert.Empty(check.UnresolvedPairs);
    }

    [Fact]
    public void APcThatInflatesSharedTrafficIsFlagged()
    {
        string[] names = ["a", "b", "c"];
        var packets = Traffic(seed: 3, names, scan: false);
        // b claims 300 extra packets to a and to c each in epoch 3 that neither saw.
        var fake = new List<SyntheticPacket>();
        for (int i = 0; i < 300; i++)
        {
            fake.Add(new(Start + 31 * Second + i * 1000, B, 5000, A, 9000, IpProtocol.Udp, 500, 0));
            fake.Add(new(Start + 31 * Second + i * 1000 + 1, B, 5000, C, 9000, IpProtocol.Udp, 500, 0));
        }
        var seenByB = packets.Where(p => Touches(p, B)).Concat(fake).OrderBy(p => p.Micros);
        var records = Honest("a", names, packets).Concat(Agent("b", names, seenByB)).Concat(Honest("c", names, packets));
        var flagged = Assert.Single(View(records, names).Coverage.CrossCheck.Flagged);
        Assert.Equal("b", flagged.Origin);
        Assert.Equal(CrossCheckVerdict.Inflated, flagged.Verdict);
        Assert.Equal(600UL, flagged.ReportedPackets - flagged.PeersSawPackets);
        Assert.Equal(1, flagged.Slots);
    }

    [Fact]
    public void APcThatInventsTrafficWithPeersThatSawNoneIsFlagged()
    {
        // b, c, d talk among themselves; a talks only to the outside, yet claims traffic with each of them.
        string[] names = ["a", "b", "c", "d"];
        var packets = Traffic(seed: 4, ["b", "c", "d"], scan: false);
        var fake = new[] { B, C, D }.SelectMany(peer => Enumerable.Range(0, 200).Select(i =>
            new SyntheticPacket(Start + 12 * Second + i * 2000, A, 6000, peer, 80, IpProtocol.Tcp, 1500, 0x18))).OrderBy(p => p.Micros);
        var records = Agent("a", names, fake).Concat(names.Skip(1).SelectMany(n => Honest(n, names, packets)));
        var check = View(records, names).Coverage.CrossCheck;
        var flagged = Assert.Single(check.Flagged);
        Assert.Equal("a", flagged.Origin);
        Assert.Equal(CrossCheckVerdict.Invented, flagged.Verdict);
        Assert.Equal(0UL, flagged.PeersSawPackets);
        Assert.Equal(600UL, flagged.ReportedPackets);
    }

    [Fact]
    public void BoundaryJitterWithinToleranceIsNotFlaggedButIsSeenWithoutTolerance()
    {
        string[] names = ["a", "b", "c"];
        // A busy flow a <-> b across every epoch boundary (1,000 packets/s), b's capture stamping 3 ms later than a's.
        var packets = Traffic(seed: 5, names, scan: false);
        for (long t = Start; t < Start + 60 * Second; t += 1000)
            packets.Add(new(t, A, 5201, B, 50000, IpProtocol.Tcp, 1500, 0x10));
        packets.Sort((x, y) => x.Micros.CompareTo(y.Micros));
        var late = packets.Where(p => Touches(p, B)).Select(p => p with { Micros = p.Micros + 3000 }).ToList();
        var records = Honest("a", names, packets).Concat(Agent("b", names, late)).Concat(Honest("c", names, packets)).ToList();

        var check = View(records, names).Coverage.CrossCheck;
        Assert.Empty(check.Flagged);
        Assert.Empty(check.UnresolvedPairs);
        // The same records with no slack: the 3 packets per boundary that moved epoch are a dispute of the pair a-b,
        // which neither side can be blamed for (each disputes with one of its two peers).
        var strict = GlobalViewOptions.Default with { CrossCheck = new CrossCheckTolerance { BoundaryPackets = 0, BoundaryBytes = 0, Relative = 0 } };
        var exact = View(records, names, strict).Coverage.CrossCheck;
        Assert.Empty(exact.Flagged);
        Assert.NotEmpty(exact.UnresolvedPairs);
        Assert.All(exact.UnresolvedPairs, d => Assert.Equal(("a", "b"), (d.Origin, d.Peer)));
    }

    [Fact]
    public void TwoPcsThatDisagreeAreFlaggedAsAPair()
    {
        string[] names = ["a", "b"];
        var packets = Traffic(seed: 6, names, scan: true);
        // Scan of b only matters here; a hides it but, with one peer, nobody can tell which side lies.
        var records = Agent("a", names, packets.Where(p => Touches(p, A) && !IsScan(p))).Concat(Honest("b", names, packets));
        var check = View(records, names).Coverage.CrossCheck;
        Assert.Empty(check.Flagged);
        Assert.NotEmpty(check.UnresolvedPairs);
        Assert.All(check.UnresolvedPairs, d => Assert.Equal(CrossCheckVerdict.Unresolved, d.Verdict));
    }

    [Fact]
    public void APcThatDidNotYetKnowAPeerIsNotTakenForALiar()
    {
        // a has not learned of b yet (b's records have not reached it): it counts its traffic with b as with any host
        // and lists no account of b. b knew a. The pair is not judged, so nobody is flagged and nothing is counted twice.
        string[] names = ["a", "b", "c"];
        var packets = Traffic(seed: 8, names, scan: false);
        var records = Agent("a", ["a", "c"], packets.Where(p => Touches(p, A))).Concat(Honest("b", names, packets)).Concat(Honest("c", names, packets)).ToList();
        Assert.All(records.Where(r => r.Id.Origin == "a"), r => Assert.Null(r.PeerAccounts!.Find("b")));
        var view = View(records, names);
        Assert.Empty(view.Coverage.CrossCheck.Flagged);
        Assert.Empty(view.Coverage.CrossCheck.UnresolvedPairs);
        Assert.Equal(0, view.Coverage.LeftToPeer.SectionsUsed);
    }

    [Fact]
    public void AccountsPastTheCapBecomeUnaccountedAndAreNotJudged()
    {
        var accounts = Enumerable.Range(0, 70).Select(i => new PeerAccount($"p{i:00}", 100, 1, 100 + (ulong)i, 1)).ToList();
        var section = PeerAccounts.From(accounts);
        Assert.Equal(PeerAccounts.MaxPeers, section.Accounts.Count);
        Assert.Equal(12UL, section.Unaccounted.Packets); // the 6 lightest peers, 2 packets each
        Assert.True(section.Accounts.Zip(section.Accounts.Skip(1)).All(p => string.CompareOrdinal(p.First.Peer, p.Second.Peer) < 0));
    }
}
