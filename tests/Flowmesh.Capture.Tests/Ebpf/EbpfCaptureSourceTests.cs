using Flowmesh.Capture.Ebpf;
using Flowmesh.Core.Flows;
using Flowmesh.Core.Packets;

namespace Flowmesh.Capture.Tests.Ebpf;

/// <summary>The eBPF capture source turns drained kernel flows into the flow records the libpcap path makes.</summary>
[Collection(EbpfNetworkCollection.Name)]
public sealed class EbpfCaptureSourceTests
{
    [Fact]
    public void Pings_become_one_record_with_the_pinger_as_source_and_the_final_drain_delivers_them()
    {
        EbpfPrerequisites.SkipUnlessAvailable("ping");
        using var pair = VethNamespace.Create("fmglue-ns2", "fmglue2", "fmglue3", "10.254.219.4", v6Prefix: null);
        using var source = new EbpfCaptureSource(
            new EbpfCaptureOptions { Interfaces = [pair.RootInterface], ObjectPath = EbpfPrerequisites.ObjectPath },
            drainInterval: TimeSpan.FromHours(1)); // only the drain at cancellation can deliver anything
        Assert.Matches(@"^eBPF (tcx|tc clsact) on fmglue2$", source.Description);
        var records = new List<FlowRecord>();
        var meter = new FlowMeter(new FlowTableOptions(), records.Add);
        source.DrainInto(meter); // whatever the link did before the test
        meter.Flush();
        records.Clear();
        long framesBefore = source.Statistics.Frames;

        using var cancellation = new CancellationTokenSource();
        var run = new Thread(() => source.Run(meter, cancellation.Token));
        run.Start();
        long before = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() * 1000;
        pair.Exec(TimeSpan.FromSeconds(30), "ping", "-n", "-c", "5", "-i", "0.2", "-s", "100", pair.RootV4).EnsureSuccess("ping");
        long after = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() * 1000;
        Assert.Empty(records);
        cancellation.Cancel();
        Assert.True(run.Join(TimeSpan.FromSeconds(30)), "Run did not return after cancellation");
        meter.Flush();

        // 100 data bytes + 8 ICMP + 20 IP = 128 bytes per packet.
        FlowRecord ping = Assert.Single(records);
        Assert.Equal(IpProtocol.Icmp, ping.Protocol);
        Assert.Equal(IpAddress128.Parse(pair.PeerV4), ping.SourceAddress);
        Assert.Equal(IpAddress128.Parse(pair.RootV4), ping.DestinationAddress);
        Assert.Equal((5L, 640L, 5L), (ping.Packets, ping.Bytes, ping.Segments));
        Assert.Equal((5L, 640L, 5L), (ping.ReversePackets, ping.ReverseBytes, ping.ReverseSegments));
        Assert.Equal((8, 0), (ping.IcmpType, ping.IcmpCode));
        Assert.InRange(ping.StartMicros, before - 1_000_000, after);
        Assert.InRange(ping.EndMicros - ping.StartMicros, 700_000, 3_000_000); // 4 gaps of 0.2 s, plus the last reply's delay
        Assert.Equal(10, source.Statistics.Frames - framesBefore);
        Assert.Equal(0, source.Statistics.KernelDrops);
    }

    [Fact]
    public void A_quiet_flow_ends_by_idle_timeout_on_the_wall_clock_at_a_later_drain()
    {
        EbpfPrerequisites.SkipUnlessAvailable("ping");
        using var pair = VethNamespace.Create("fmglue-ns2", "fmglue2", "fmglue3", "10.254.219.4", v6Prefix: null);
        using var source = new EbpfCaptureSource(new EbpfCaptureOptions { Interfaces = [pair.RootInterface], ObjectPath = EbpfPrerequisites.ObjectPath });
        var records = new List<FlowRecord>();
        var meter = new FlowMeter(new FlowTableOptions { IcmpIdleTimeout = TimeSpan.FromSeconds(1) }, records.Add);
        source.DrainInto(meter);
        meter.Flush();
        records.Clear();

        pair.Exec(TimeSpan.FromSeconds(30), "ping", "-n", "-c", "2", "-i", "0.2", pair.RootV4).EnsureSuccess("ping");
        source.DrainInto(meter);
        Assert.Empty(records); // just seen: alive
        Thread.Sleep(TimeSpan.FromSeconds(2.5)); // beyond the idle timeout and the meter's once-a-second expiry
        source.DrainInto(meter); // nothing new drained, but the clock moves to now

        FlowRecord ended = Assert.Single(records);
        Assert.Equal(FlowEndReason.IdleTimeout, ended.EndReason);
        Assert.Equal((2L, 2L), (ended.Packets, ended.ReversePackets));
    }
}
