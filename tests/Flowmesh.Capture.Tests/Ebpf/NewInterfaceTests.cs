using Flowmesh.Capture.Ebpf;

namespace Flowmesh.Capture.Tests.Ebpf;

/// <summary>With the default selection, interfaces that come up while capturing are hooked too (a laptop docks, a VPN starts).</summary>
[Collection(EbpfNetworkCollection.Name)]
public sealed class NewInterfaceTests
{
    [Fact]
    public void An_interface_that_comes_up_later_is_watched_from_the_next_check_on()
    {
        EbpfPrerequisites.SkipUnlessAvailable("ping");
        VethNamespace.Remove("fmglue-ns4", "fmglue6");
        using var collector = EbpfFlowCollector.Open(new EbpfCaptureOptions { ObjectPath = EbpfPrerequisites.ObjectPath });
        Assert.DoesNotContain(collector.Interfaces, i => i.Name == "fmglue6");

        using var pair = VethNamespace.Create("fmglue-ns4", "fmglue6", "fmglue7", "10.254.219.12", v6Prefix: null);
        IReadOnlyList<EbpfAttachedInterface> added = collector.AttachNewInterfaces();
        Assert.Contains(added, i => i.Name == "fmglue6");
        Assert.Contains(collector.Interfaces, i => i.Name == "fmglue6");
        Assert.DoesNotContain(collector.AttachNewInterfaces(), i => i.Name == "fmglue6"); // hooked once, not again

        collector.Drain();
        pair.Exec(TimeSpan.FromSeconds(30), "ping", "-n", "-c", "3", "-i", "0.2", "-s", "100", pair.RootV4).EnsureSuccess("ping");
        // 100 data bytes + 8 ICMP + 20 IP = 128 bytes, three each way, seen on the new interface.
        var root = Core.Packets.IpAddress128.Parse(pair.RootV4);
        var ping = collector.Drain().ToArray().Single(e =>
            e.Key.ToFlowKey() is { Protocol: 1 } key && (key.LowAddress == root || key.HighAddress == root));
        Assert.Equal((3L, 384L), (ping.Value.LowToHigh.Packets, ping.Value.LowToHigh.Bytes));
        Assert.Equal((3L, 384L), (ping.Value.HighToLow.Packets, ping.Value.HighToLow.Bytes));
    }

    [Fact]
    public void An_explicit_interface_list_is_not_extended()
    {
        EbpfPrerequisites.SkipUnlessAvailable();
        VethNamespace.Remove("fmglue-ns4", "fmglue6");
        using var first = VethNamespace.Create("fmglue-ns4", "fmglue6", "fmglue7", "10.254.219.12", v6Prefix: null);
        using var collector = EbpfFlowCollector.Open(new EbpfCaptureOptions { Interfaces = [first.RootInterface], ObjectPath = EbpfPrerequisites.ObjectPath });
        using var second = VethNamespace.Create("fmglue-ns5", "fmglue8", "fmglue9", "10.254.219.16", v6Prefix: null);
        Assert.Empty(collector.AttachNewInterfaces());
        Assert.Equal(["fmglue6"], collector.Interfaces.Select(i => i.Name));
    }
}
