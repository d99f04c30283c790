using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;
using Flowmesh.Capture.Ebpf;

namespace Flowmesh.Capture.Tests.Ebpf;

/// <summary>
/// Draining while the program counts: one UDP 5-tuple at tens of thousands of packets a second, drained about a
/// thousand times a second. A drain that empties the map the program is adding into loses a packet whenever a CPU
/// holds the entry as it is deleted, or finds its flow gone between insert and lookup (issue 11 saw one in five
/// million). The drained packets and bytes must equal what hping3 says it sent, exactly, both ways of draining.
/// </summary>
[Collection(EbpfNetworkCollection.Name)]
public sealed partial class DrainRaceTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Draining_a_busy_flow_a_thousand_times_a_second_loses_no_packet(bool keyWalk)
    {
        EbpfPrerequisites.SkipUnlessAvailable("hping3");
        using var pair = VethNamespace.Create("fmebpf-ns5", "fmebpf8", "fmebpf9", "10.254.217.16", v6Prefix: null);
        using var collector = EbpfFlowCollector.Open(new EbpfCaptureOptions { Interfaces = [pair.RootInterface], ObjectPath = EbpfPrerequisites.ObjectPath });
        collector.Drainer.ForceKeyWalk = keyWalk;
        collector.Drain();

        long packets = 0, bytes = 0;
        int drains = 0;
        using var stop = new CancellationTokenSource();
        var drainer = new Thread(() =>
        {
            while (!stop.IsCancellationRequested)
            {
                Add(collector.Drain());
                drains++;
                Thread.Sleep(1);
            }
        });
        void Add(ReadOnlySpan<KernelFlowEntry> drained)
        {
            foreach (KernelFlowEntry entry in drained)
            {
                if (entry.Key.Protocol != 17 || !entry.Key.HighAddress.ToIPAddress().Equals(IPAddress.Parse(pair.PeerV4))) continue;
                packets += entry.Value.HighToLow.Packets + entry.Value.LowToHigh.Packets;
                bytes += entry.Value.HighToLow.Bytes + entry.Value.LowToHigh.Bytes;
            }
        }
        drainer.Start();
        // One 5-tuple (fixed source port), 32-byte payloads to a closed port: 60 IP bytes a packet.
        var sent = pair.Exec(TimeSpan.FromSeconds(60), "hping3", "-n", "--udp", "-s", "5000", "-k", "-p", "5400", "-d", "32", "-c", "150000", "-i", "u10", pair.RootV4);
        stop.Cancel();
        drainer.Join();
        Add(collector.Drain());

        Match transmitted = Transmitted().Match(sent.Output + sent.Error);
        Assert.True(transmitted.Success, $"hping3 said: {sent.Output}{sent.Error}");
        long truth = long.Parse(transmitted.Groups[1].Value, CultureInfo.InvariantCulture);
        Assert.True(truth > 50_000 && drains > 500, $"{truth} packets, {drains} drains: not the race this test is about");
        KernelCounters counters = collector.ReadCounters();
        Assert.Equal(0, counters.UpdateFailures + counters.MapFullMisses);
        Assert.Equal(0, collector.Drainer.SwapFailures);
        Assert.Equal((truth, truth * 60), (packets, bytes));
    }

    [GeneratedRegex(@"(\d+) packets transmitted")]
    private static partial Regex Transmitted();
}
