using System.Net;
using Flowmesh.Capture.Ebpf;

namespace Flowmesh.Capture.Tests.Ebpf;

/// <summary>Interfaces without a link-layer header (tun, WireGuard) get the program variant that starts parsing at the IP header.</summary>
[Collection(EbpfNetworkCollection.Name)]
public sealed class RawIpInterfaceTests
{
    private const string Device = "fmebpf8";

    [Fact]
    public void Packets_sent_into_a_tun_device_are_counted_from_their_ip_header()
    {
        EbpfPrerequisites.SkipUnlessAvailable("ping", "ip");
        Command.Run("ip", "link", "del", Device);
        try
        {
            // No process reads the tun device, so the kernel drops what it sends there: after the egress hook counted it.
            Command.Check("ip", "tuntap", "add", "dev", Device, "mode", "tun");
            Command.Check("sysctl", "-qw", $"net.ipv6.conf.{Device}.disable_ipv6=1"); // no router solicitations in the count
            Command.Check("ip", "addr", "add", "10.254.217.21/30", "dev", Device);
            Command.Check("ip", "link", "set", Device, "up");
            using var collector = EbpfFlowCollector.Open(new EbpfCaptureOptions { Interfaces = [Device], ObjectPath = EbpfPrerequisites.ObjectPath });
            collector.Drain();

            Command.Run(TimeSpan.FromSeconds(30), "ping", "-n", "-c", "3", "-i", "0.2", "-W", "1", "-s", "100", "10.254.217.22"); // unanswered by design

            KernelFlowEntry flow = Assert.Single(collector.Drain().ToArray());
            Assert.Equal(1, flow.Key.Protocol);
            Assert.Equal(IPAddress.Parse("10.254.217.21"), flow.Key.LowAddress.ToIPAddress());
            Assert.Equal(IPAddress.Parse("10.254.217.22"), flow.Key.HighAddress.ToIPAddress());
            Assert.Equal((3L, 3L * 128, 8), (flow.Value.LowToHigh.Packets, flow.Value.LowToHigh.Bytes, (int)flow.Value.LowToHigh.IcmpType));
            Assert.Equal(0, flow.Value.HighToLow.Packets);
            Assert.Equal(0, collector.ReadCounters().NotIp);
        }
        finally
        {
            Command.Run("ip", "link", "del", Device);
        }
    }
}
