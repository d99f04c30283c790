using Flowmesh.Core.Detections;
using Flowmesh.Core.Epochs;
using Flowmesh.Core.Packets;
using Flowmesh.Core.Tests.Epochs;
using Flowmesh.Core.Views;
using static Flowmesh.Core.Tests.Views.ViewTraffic;

namespace Flowmesh.Core.Tests.Views;

/// <summary>Detections: true positives against known injected events (with the truth inside the stated bounds) and true negatives on normal traffic.</summary>
[Collection(nameof(RunsAloneCollection))]
public sealed class DetectionTests
{
    private const string Scanner = "10.66.6.6";
    private static readonly long Now = T0 + 70 * Second;

    private static IEnumerable<ExpectedOrigin> Alive(int count) => Enumerable.Range(0, count).Select(o => new ExpectedOrigin(Origin(o), OriginLiveness.Alive));

    private static GlobalView View(IEnumerable<EpochRecord> records, int origins, TimeSpan window) =>
        GlobalView.Build(records, Alive(origins), Now, ViewWindow.Last(window, Now, Epoch));

    /// <summary>A SYN to each (host, port) answered by RST, as nmap sees closed ports.</summary>
    private static IEnumerable<SyntheticPacket> Probes(string scanner, IEnumerable<(string Host, int Port)> targets, long start, long spacing)
    {
        int i = 0;
        foreach (var (host, port) in targets)
        {
            long t = start + i++ * spacing;
            yield return new(t, scanner, 61000, host, port, IpProtocol.Tcp, 44, 0x02);
            yield return new(t + 300, host, port, scanner, 61000, IpProtocol.Tcp, 40, 0x14);
        }
    }

    [Fact]
    public void AHostScanSpreadThinlyOverTenOriginsIsDetectedOnlyFromTheMergedView()
    {
        const int origins = 10;
        var random = new Random(21);
        var records = new List<EpochRecord>();
        var perOrigin = new Dictionary<string, List<EpochRecord>>();
        for (int o = 0; o < origins; o++)
        {
            // Each origin sees the scanner probe 5 hosts of its own subnet: 50 hosts in all, 5 per origin.
            var packets = Normal(random, o, T0, 60);
            packets.AddRange(Probes(Scanner, Enumerable.Range(0, 5).Select(h => ($"10.{o + 1}.1.{h + 1}", 445)), T0 + (3 + o) * Second, 200_000));
            perOrigin[Origin(o)] = Summarize(o, packets);
            records.AddRange(perOrigin[Origin(o)]);
        }

        var merged = View(records, origins, TimeSpan.FromMinutes(5));
        var scans = Detectors.Scans(merged, DetectionOptions.Default);
        var alert = Assert.Single(scans);
        Assert.Equal((AlertKind.HostScan, Scanner), (alert.Kind, alert.Subject));
        var hosts = alert.Evidence[0];
        Assert.InRange(50.0, hosts.Value.Lower, hosts.Value.Upper);
        Assert.Equal(25, hosts.Threshold);
        Assert.Equal(Enumerable.Range(0, origins).Select(Origin), alert.ObservedBy);
        Assert.Equal(origins, alert.ContributingOrigins.Count);
        Assert.StartsWith("10 of 10 origins", alert.CoverageSummary);
        Assert.Contains("distinct hosts", alert.Message);

        // No single origin sees enough: each one's own view raises nothing.
        foreach (var (origin, own) in perOrigin)
        {
            var alone = GlobalView.Build(own, [new ExpectedOrigin(origin, OriginLiveness.Alive)], Now, ViewWindow.Last(TimeSpan.FromMinutes(5), Now, Epoch));
            Assert.Empty(Detectors.Scans(alone, DetectionOptions.Default));
            var spread = alone.Spread(SpreadKind.DestinationsPerSource, 1).Items.SingleOrDefault(i => i.Label == Scanner);
            Assert.True(spread is null || spread.Spread.Value < 25, $"{origin} alone sees {spread?.Spread}");
        }
    }

    [Fact]
    public void APortScanIsDetectedWithItsTruthInsideTheBound()
    {
        var random = new Random(22);
        var records = new List<EpochRecord>();
        for (int o = 0; o < 3; o++)
        {
            var packets = Normal(random, o, T0, 60);
            if (o == 1) packets.AddRange(Probes("10.66.6.7", Enumerable.Range(1, 40).Select(p => ("10.2.0.200", p)), T0 + 12 * Second, 100_000));
            records.AddRange(Summarize(o, packets));
        }
        var alert = Assert.Single(Detectors.Scans(View(records, 3, TimeSpan.FromMinutes(5)), DetectionOptions.Default));
        Assert.Equal((AlertKind.PortScan, "10.66.6.7 -> 10.2.0.200"), (alert.Kind, alert.Subject));
        Assert.InRange(40.0, alert.Evidence[0].Value.Lower, alert.Evidence[0].Value.Upper);
        Assert.Equal(15, alert.Evidence[0].Threshold);
        Assert.Contains(Origin(1), alert.ObservedBy);

        // Configurable: at 50 ports the same scan stays below the threshold.
        Assert.Empty(Detectors.Scans(View(records, 3, TimeSpan.FromMinutes(5)), DetectionOptions.Default with { PortScanPorts = 50 }));
    }

    [Fact]
    public void FloodsAreDetectedByFanInAndByRate()
    {
        var random = new Random(23);
        var records = new List<EpochRecord>();
        for (int o = 0; o < 3; o++)
        {
            var packets = Normal(random, o, T0, 60);
            if (o == 0)
            {
                // 400 spoofed SYN sources against one web server.
                for (int i = 0; i < 400; i++)
                    packets.Add(new(T0 + 20 * Second + i * 20_000, $"172.16.{i / 200}.{i % 200 + 1}", 1024 + i, "10.100.0.80", 80, IpProtocol.Tcp, 40, 0x02));
            }
            if (o == 2)
            {
                // 250 packets/s of UDP from one host to another for 60 s.
                for (long t = T0; t < T0 + 60 * Second; t += 4_000)
                    packets.Add(new(t, "10.3.0.9", 9999, "10.100.0.90", 5001, IpProtocol.Udp, 1200, 0));
            }
            records.AddRange(Summarize(o, packets));
        }
        var options = DetectionOptions.Default with { FloodPacketsPerSecond = 100 };
        var view = View(records, 3, TimeSpan.FromMinutes(1));
        var alerts = Detectors.Floods(view, options);

        var fanIn = Assert.Single(alerts, a => a.Kind == AlertKind.FloodSources);
        Assert.Equal("10.100.0.80", fanIn.Subject);
        Assert.InRange(400.0, fanIn.Evidence[0].Value.Lower, fanIn.Evidence[0].Value.Upper);
        Assert.Contains(Origin(0), fanIn.ObservedBy);

        var rate = Assert.Single(alerts, a => a.Kind == AlertKind.FloodRate);
        Assert.Equal("10.100.0.90", rate.Subject);
        var pps = Assert.Single(rate.Evidence, e => e.Name == "packet rate");
        // The window [T0 - 0 s .. T0 + 60 s) holds all 15,000 packets; the data span is 60 s.
        Assert.InRange(15_000 / 60.0, pps.Value.Lower, pps.Value.Upper);
        Assert.True(rate.Confirmed);
        Assert.Equal([Origin(2)], rate.ObservedBy);
        Assert.Equal(2, alerts.Count);
    }

    [Fact]
    public void AHeavyHitterAboveTheShareIsReportedAndOthersAreNot()
    {
        var random = new Random(24);
        var records = new List<EpochRecord>();
        var all = new List<SyntheticPacket>();
        for (int o = 0; o < 2; o++)
        {
            var packets = Normal(random, o, T0, 60);
            if (o == 1)
                for (long t = T0; t < T0 + 60 * Second; t += 2_000)
                    packets.Add(new(t, "10.2.0.7", 5555, "10.100.0.70", 873, IpProtocol.Tcp, 1500, 0x10));
            all.AddRange(packets);
            records.AddRange(Summarize(o, packets));
        }
        var truth = new ExactTruth(all);
        double share = truth.Talkers[Ip("10.2.0.7")].Bytes / (double)truth.Bytes;
        Assert.True(share > 0.5);
        var options = DetectionOptions.Default with { HeavyHitterMinimumBytes = 1_000_000 };
        var alerts = Detectors.HeavyHitters(View(records, 2, TimeSpan.FromMinutes(5)), options);
        Assert.Equal(["receiver 10.100.0.70", "sender 10.2.0.7"], alerts.Select(a => a.Subject).Order());
        var sender = alerts.Single(a => a.Subject == "sender 10.2.0.7");
        Assert.InRange(share, sender.Evidence[0].Value.Lower, sender.Evidence[0].Value.Upper);
        Assert.True(sender.Confirmed);

        // Below the minimum volume nothing is a heavy hitter (the default 100 MB is not reached here).
        Assert.Empty(Detectors.HeavyHitters(View(records, 2, TimeSpan.FromMinutes(5)), DetectionOptions.Default));
    }

    [Fact]
    public void FirstContactWithANewExternalDestinationAfterLearning()
    {
        var options = DetectionOptions.Default with { FirstContactLearning = TimeSpan.FromMinutes(2) };
        var engine = new DetectionEngine(options);
        var records = new List<EpochRecord>();
        var random = new Random(25);
        // Minutes 0..4 of normal traffic (external peers 93.184.216.1-4, always the same), then at minute 4 a client
        // contacts 203.0.113.50 (new, external) and 10.200.0.1 (new, internal).
        var packets = Normal(random, 0, T0, 300);
        packets.Add(new(T0 + 245 * Second, "10.1.0.3", 33333, "203.0.113.50", 443, IpProtocol.Tcp, 60, 0x02));
        packets.Add(new(T0 + 245 * Second + 30_000, "203.0.113.50", 443, "10.1.0.3", 33333, IpProtocol.Tcp, 60, 0x12));
        packets.Add(new(T0 + 246 * Second, "10.1.0.3", 33334, "10.200.0.1", 22, IpProtocol.Tcp, 60, 0x02));
        records.AddRange(Summarize(0, packets));

        var raised = new List<Alert>();
        for (long now = T0 + 60 * Second; now <= T0 + 300 * Second; now += 10 * Second)
            raised.AddRange(engine.Evaluate(records.Where(r => r.Id.EndMicros <= now), Alive(1), now));

        var firstContacts = raised.Where(a => a.Kind == AlertKind.FirstContact).ToList();
        Assert.NotEmpty(firstContacts);
        Assert.All(firstContacts, a => Assert.Equal("203.0.113.50", a.Subject));
        Assert.Single(firstContacts); // raised once: afterwards the destination is in the history
        Assert.Contains("10.1.0.3", firstContacts[0].Message);
        Assert.Equal([Origin(0)], firstContacts[0].ObservedBy);
        Assert.DoesNotContain(raised, a => a.Kind != AlertKind.FirstContact);
        Assert.True(engine.History.Contains(Ip("93.184.216.1")));
        Assert.False(engine.History.Contains(Ip("10.200.0.1")));
    }

    [Fact]
    public void NormalTrafficRaisesNothing()
    {
        // 6 origins, 5 minutes of ordinary clients; thresholds low enough that volume checks are really exercised.
        var random = new Random(26);
        var records = new List<EpochRecord>();
        for (int o = 0; o < 6; o++) records.AddRange(Summarize(o, Normal(random, o, T0, 300)));
        var options = DetectionOptions.Default with { HeavyHitterMinimumBytes = 1_000_000, FirstContactLearning = TimeSpan.FromMinutes(1) };
        var engine = new DetectionEngine(options);
        var raised = new List<Alert>();
        for (long now = T0 + 30 * Second; now <= T0 + 320 * Second; now += 10 * Second)
            raised.AddRange(engine.Evaluate(records.Where(r => r.Id.EndMicros <= now), Alive(6), now));
        Assert.True(raised.Count == 0, string.Join("\n", raised.Select(a => a.Message)));
        Assert.Equal(0, engine.Log.Count);
    }

    [Fact]
    public void AlertsAreDeduplicatedByAStableId()
    {
        var random = new Random(27);
        var records = new List<EpochRecord>();
        var packets = Normal(random, 0, T0, 120);
        packets.AddRange(Probes(Scanner, Enumerable.Range(1, 60).Select(h => ($"10.1.2.{h}", 22)), T0 + 5 * Second, 300_000));
        records.AddRange(Summarize(0, packets));

        var engine = new DetectionEngine();
        var first = engine.Evaluate(records, Alive(1), T0 + 60 * Second);
        var second = engine.Evaluate(Enumerable.Reverse(records).Concat(records), Alive(1), T0 + 100 * Second);
        var scan = Assert.Single(first, a => a.Kind == AlertKind.HostScan);
        Assert.Equal(scan.Id, Assert.Single(second, a => a.Kind == AlertKind.HostScan).Id);
        var entry = engine.Log.Find(scan.Id)!;
        Assert.Equal((2, T0 + 60 * Second, T0 + 100 * Second), (entry.Evaluations, entry.FirstSeenMicros, entry.LastSeenMicros));
        Assert.Equal(1, engine.Log.Since(T0).Count(e => e.Alert.Kind == AlertKind.HostScan));

        // Another node computing from the same records gets the same id; the next dedup period gets a new one.
        Assert.Equal(scan.Id, new DetectionEngine().Evaluate(records, Alive(1), T0 + 60 * Second).Single(a => a.Kind == AlertKind.HostScan).Id);
        Assert.NotEqual(scan.Id, Alert.StableId(AlertKind.HostScan, Scanner, T0 + 4000 * Second, TimeSpan.FromHours(1)));
        Assert.Equal(32, scan.Id.Length);

        // Views built by the caller (shared with the API) give the same alerts.
        Assert.Equal([TimeSpan.FromMinutes(5), TimeSpan.FromMinutes(1)], engine.WindowLengths);
        long now = T0 + 60 * Second;
        var viaViews = new DetectionEngine().Evaluate(length => GlobalView.Build(records, Alive(1), now, ViewWindow.Last(length, now, Epoch)), now);
        Assert.Equal(first.Select(a => a.Id), viaViews.Select(a => a.Id));
    }

    [Fact]
    public void HistoryAndLogStayBounded()
    {
        var history = new DestinationHistory(100, TimeSpan.FromDays(1));
        for (int i = 0; i < 1000; i++) history.Observe(IpAddress128.FromIPv4(0x0A000000u + (uint)i), T0 + i);
        Assert.InRange(history.Count, 90, 100);
        Assert.True(history.Contains(IpAddress128.FromIPv4(0x0A000000u + 999)));
        Assert.False(history.Contains(IpAddress128.FromIPv4(0x0A000000u)));
        history.Prune(T0 + 2 * 86_400 * Second);
        Assert.Equal(0, history.Count);

        var log = new AlertLog(10);
        for (int i = 0; i < 50; i++)
            log.Record(new Alert($"id{i}", AlertKind.HostScan, $"s{i}", ViewWindow.Between(T0, T0 + 1), [], false, [], [], "", Caveats.None, ""), T0 + i);
        Assert.Equal(10, log.Count);
        Assert.Equal(40, log.Dropped);
        Assert.Null(log.Find("id0"));
        Assert.NotNull(log.Find("id49"));

        Assert.Throws<ArgumentOutOfRangeException>(() => new DetectionEngine(DetectionOptions.Default with { HeavyHitterShare = 1.5 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => new DetectionEngine(DetectionOptions.Default with { HostScanHosts = 0 }));
    }
}
