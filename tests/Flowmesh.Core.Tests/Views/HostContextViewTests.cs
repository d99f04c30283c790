using Flowmesh.Core.Detections;
using Flowmesh.Core.Epochs;
using Flowmesh.Core.Flows;
using Flowmesh.Core.HostContext;
using Flowmesh.Core.Packets;
using Flowmesh.Core.Views;
using static Flowmesh.Core.Tests.Epochs.EpochTestTraffic;

namespace Flowmesh.Core.Tests.Views;

/// <summary>
/// Programs, domains and RTT of the global view over several origins and epochs, against exact computation over the
/// same deltas and DNS observations; and a scan alert that names the program behind it.
/// </summary>
public sealed class HostContextViewTests
{
    private static readonly long Minute = EpochRollup.AlignDown(Start, 60 * Second) + 60 * Second;

    private sealed record Pc(string Origin, IpAddress128 Address);

    /// <summary>
    /// Two PCs over three epochs: pc-17 runs nmap (pid 4242, alice) against 300 hosts plus curl to a few; pc-3 runs
    /// firefox. Every flow has an RTT that depends on its remote /24. Both ask DNS questions.
    /// </summary>
    private static (List<EpochRecord> Records, Dictionary<string, long> Bytes, Dictionary<string, HashSet<IpAddress128>> Remotes,
        Dictionary<string, List<ulong>> Rtt, List<DnsObservation> Dns) Build(HostContextPrivacy privacy)
    {
        var random = new Random(21);
        var pcs = new[] { new Pc("pc-17", IpAddress128.Parse("10.0.0.17")), new Pc("pc-3", IpAddress128.Parse("10.0.0.3")) };
        var records = new List<EpochRecord>();
        var bytes = new Dictionary<string, long>();
        var remotes = new Dictionary<string, HashSet<IpAddress128>>();
        var rtt = new Dictionary<string, List<ulong>>();
        var dns = new List<DnsObservation>();
        for (int e = 0; e < 3; e++)
        {
            long start = Minute + e * 10 * Second;
            foreach (var pc in pcs)
            {
                var summary = new EpochSummary(new EpochId(pc.Origin, start, 10 * Second), Key) { Privacy = privacy };
                int flows = pc.Origin == "pc-17" ? 120 : 40;
                for (int i = 0; i < flows; i++)
                {
                    string program = pc.Origin == "pc-3" ? "firefox" : i % 6 == 0 ? "curl" : "nmap";
                    int pid = program switch { "nmap" => 4242, "curl" => 777, _ => 3100 };
                    var remote = program == "nmap" ? IpAddress128.Parse($"192.168.{e}.{i + 1}") : IpAddress128.Parse($"203.0.{113 + i % 3}.{1 + i % 5}");
                    long b = program == "nmap" ? 60 : 1000 + random.Next(50_000);
                    int r = (int)(1000 * (1 + (remote.Low >> 8 & 0xff) % 7) * (1 + random.NextDouble() * 0.2));
                    var context = new FlowHostContext
                    {
                        Process = new ProcessIdentity(pid, program, AttributionSource.KernelSocketHook) { User = pc.Origin == "pc-17" ? "alice" : "bob" },
                        Tcp = new TcpPathStats(r, r, r, 0),
                    };
                    summary.Add(new FlowTableDelta(IpProtocol.Tcp, pc.Address, (ushort)(40000 + i), remote, 443, 1, b, 0, 0, true, start, start + Second) { Context = context });
                    bytes[program] = bytes.GetValueOrDefault(program) + b;
                    (remotes.TryGetValue(program, out var set) ? set : remotes[program] = []).Add(remote);
                    string subnet = AddressPrefix.MatrixSubnet(remote).ToString();
                    (rtt.TryGetValue(subnet, out var list) ? list : rtt[subnet] = []).Add((ulong)r);
                }
                for (int i = 0; i < 50; i++)
                {
                    var o = new DnsObservation(start + i, pc.Address, IpAddress128.Parse("10.0.0.53"), IpProtocol.Udp, (ushort)i, $"n{i % 7}.example.com", 1,
                        i % 10 == 0 ? 3 : i % 25 == 1 ? null : 0, 500 + 100 * i, []);
                    summary.AddDns(o);
                    dns.Add(o);
                }
                var record = summary.Seal();
                // The agent announces its own address (extension 1); set here as the agent's ownership would.
                var contents = record.Contents;
                contents.Extensions.Addresses = [pc.Address];
                records.Add(EpochRecord.FromContents(record.Id, contents));
            }
        }
        return (records, bytes, remotes, rtt, dns);
    }

    [Fact]
    public void ProgramsDomainsAndRttHoldTheExactTruth()
    {
        var (records, bytes, remotes, rtt, dns) = Build(HostContextPrivacy.Default with { Users = SharingMode.Shared });
        var view = Merge(records);
        var byBytes = view.Programs(ProgramRanking.Bytes, 10);
        Assert.Equal(bytes.Count, byBytes.Items.Count);
        foreach (var item in byBytes.Items)
        {
            Assert.InRange(bytes[item.Program], item.Value.Lower, item.Value.Upper);
            Assert.Equal(0, item.Value.ErrorBound); // fewer programs than k: exact
        }
        Assert.Equal(bytes.Values.Sum(), byBytes.Attributed.Value);
        var byDestinations = view.Programs(ProgramRanking.Destinations, 10);
        Assert.Equal("nmap", byDestinations.Items[0].Program);
        Assert.Equal(("pc-17", 4242, "alice"), (byDestinations.Items[0].Origin, byDestinations.Items[0].Pid, byDestinations.Items[0].User));
        foreach (var item in byDestinations.Items) Assert.InRange(remotes[item.Program].Count, item.Value.Lower, item.Value.Upper);
        Assert.Equal("pc-3", byDestinations.Items.Single(i => i.Program == "firefox").Origin);

        var domains = view.Domains(10);
        Assert.Equal(dns.Count, domains.Queries);
        Assert.Equal(dns.Count(o => o.ResponseCode is null), domains.TimedOut);
        Assert.Equal((double)dns.Count(o => o.ResponseCode != 0) / dns.Count, domains.ErrorRate, 12);
        foreach (var item in domains.Items) Assert.InRange(dns.Count(o => o.Name == item.Name), item.Queries.Lower, item.Queries.Upper);
        var latencies = dns.Where(o => o.LatencyMicros is not null).Select(o => (ulong)o.LatencyMicros!.Value).Order().ToArray();
        foreach (var q in domains.Latency) Assert.InRange(latencies[(int)Math.Floor(q.Q * (latencies.Length - 1))], q.Micros.Lower, q.Micros.Upper);

        var answer = view.Rtt(64);
        Assert.Equal(rtt.Values.Sum(l => l.Count), answer.All!.Samples);
        foreach (var subnet in answer.Subnets)
        {
            var exact = rtt[subnet.Subnet!].Order().ToArray();
            Assert.Equal(exact.Length, subnet.Samples);
            foreach (var q in subnet.Quantiles)
            {
                ulong truth = exact[(int)Math.Floor(q.Q * (exact.Length - 1))];
                Assert.InRange(truth, q.Micros.Lower, q.Micros.Upper);
                Assert.True(q.Micros.ErrorBound <= 0.021 * q.Micros.Value, $"{subnet.Subnet} q={q.Q}: ±{q.Micros.ErrorBound} of {q.Micros.Value}");
            }
        }
    }

    [Fact]
    public void AScanAlertNamesTheProgramUserAndPc()
    {
        var (records, _, _, _, _) = Build(HostContextPrivacy.Default with { Users = SharingMode.Shared });
        var scan = Assert.Single(Detectors.Scans(Merge(records), new DetectionOptions()), a => a.Kind == AlertKind.HostScan);
        Assert.Equal("10.0.0.17", scan.Subject);
        Assert.Equal("nmap (pid 4242, user alice) on pc-17", scan.Program);
        Assert.StartsWith("nmap (pid 4242, user alice) on pc-17: 10.0.0.17 contacted", scan.Message);
        // Users local (the default): the user stays on the PC, the program does not.
        var (local, _, _, _, _) = Build(HostContextPrivacy.Default);
        Assert.Equal("nmap (pid 4242) on pc-17", Assert.Single(Detectors.Scans(Merge(local), new DetectionOptions()), a => a.Kind == AlertKind.HostScan).Program);
        // Programs hashed: the alert names the hash, which only key holders can test guesses against.
        var (hashed, _, _, _, _) = Build(HostContextPrivacy.Default with { Programs = SharingMode.Hashed });
        string program = Assert.Single(Detectors.Scans(Merge(hashed), new DetectionOptions()), a => a.Kind == AlertKind.HostScan).Program!;
        Assert.Equal($"{HostContextPrivacy.HashedText(HostContextPrivacy.Identity(Key, "nmap"))} (pid 4242) on pc-17", program);
    }
}
