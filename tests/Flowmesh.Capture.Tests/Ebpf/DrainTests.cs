using System.Net;
using Flowmesh.Capture.Ebpf;

namespace Flowmesh.Capture.Tests.Ebpf;

/// <summary>Both ways of emptying the map (batch syscall, key walk for older kernels) hand out the same exact counts.</summary>
[Collection(EbpfNetworkCollection.Name)]
public sealed class DrainTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void A_drain_hands_out_exactly_the_pings_sent_and_empties_the_map(bool keyWalk)
    {
        EbpfPrerequisites.SkipUnlessAvailable("ping");
        using var pair = VethNamespace.Create("fmebpf-ns4", "fmebpf6", "fmebpf7", "10.254.217.12", v6Prefix: null);
        using var collector = EbpfFlowCollector.Open(new EbpfCaptureOptions { Interfaces = [pair.RootInterface], ObjectPath = EbpfPrerequisites.ObjectPath });
        collector.Drainer.ForceKeyWalk = keyWalk;
        collector.Drain(); // whatever the link did before the test

        pair.Exec(TimeSpan.FromSeconds(30), "ping", "-n", "-c", "7", "-i", "0.2", "-s", "100", pair.RootV4).EnsureSuccess("ping");
        KernelFlowEntry[] drained = collector.Drain().ToArray();
        Assert.Equal(!keyWalk, collector.Drainer.LastDrainUsedBatch);

        // 100 data bytes + 8 ICMP + 20 IP = 128 bytes per packet; the namespace side (.14) sorts high.
        KernelFlowEntry icmp = Assert.Single(drained);
        Assert.Equal(1, icmp.Key.Protocol);
        Assert.Equal(IPAddress.Parse(pair.RootV4), icmp.Key.LowAddress.ToIPAddress());
        Assert.Equal(IPAddress.Parse(pair.PeerV4), icmp.Key.HighAddress.ToIPAddress());
        Assert.Equal((0, 0), (icmp.Key.LowPort, icmp.Key.HighPort));
        Assert.Equal((7L, 7L * 128), (icmp.Value.HighToLow.Packets, icmp.Value.HighToLow.Bytes));
        Assert.Equal((7L, 7L * 128), (icmp.Value.LowToHigh.Packets, icmp.Value.LowToHigh.Bytes));
        Assert.Equal((8, 0), (icmp.Value.HighToLow.IcmpType, icmp.Value.HighToLow.IcmpCode)); // echo request from the namespace
        Assert.Equal((0, 0), (icmp.Value.LowToHigh.IcmpType, icmp.Value.LowToHigh.IcmpCode)); // echo reply
        Assert.InRange((long)(icmp.Value.HighToLow.LastNanoseconds - icmp.Value.HighToLow.FirstNanoseconds), 1_000_000_000L, 3_000_000_000L); // 6 gaps of 0.2 s
        long start = KernelClock.Now().ToUnixMicros(icmp.Value.HighToLow.FirstNanoseconds);
        Assert.InRange(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() * 1000 - start, 0, 30_000_000);

        Assert.Equal(0, collector.Drain().Length);
    }
}
