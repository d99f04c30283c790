using Flowmesh.Capture.Live;

namespace Flowmesh.Capture.Tests.Live;

public sealed class CaptureInterfacesTests
{
    private const string Ipv4Header = "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n";

    [Fact]
    public void Default_ipv4_route_with_the_lowest_metric_wins()
    {
        string routes = Ipv4Header +
            "eth0\t0000A8C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0\n" +
            "wlan0\t00000000\t0100A8C0\t0003\t0\t0\t600\t00000000\t0\t0\t0\n" +
            "eth1\t00000000\t0101A8C0\t0003\t0\t0\t100\t00000000\t0\t0\t0\n" +
            "tun0\t00000000\t00000000\t0002\t0\t0\t0\t00000000\t0\t0\t0\n";   // not RTF_UP
        Assert.Equal("eth1", CaptureInterfaces.DefaultRouteInterface(routes, ""));
    }

    [Fact]
    public void Ipv6_default_route_when_there_is_no_ipv4_one()
    {
        string v6 =
            "fd130077000000000000000000000000 40 00000000000000000000000000000000 00 00000000000000000000000000000000 00000100 00000001 00000000 00000001  fmcap0\n" +
            "00000000000000000000000000000000 00 00000000000000000000000000000000 00 00000000000000000000000000000000 ffffffff 00000001 00000000 00200200       lo\n" +
            "00000000000000000000000000000000 00 00000000000000000000000000000000 00 fe800000000000000000000000000001 00000400 00000001 00000000 00450003   enp1s0\n";
        Assert.Equal("enp1s0", CaptureInterfaces.DefaultRouteInterface(Ipv4Header, v6));
        Assert.Null(CaptureInterfaces.DefaultRouteInterface(Ipv4Header, ""));
    }

    [Fact]
    public void This_machine_has_a_default_interface_that_libpcap_can_open()
    {
        string? chosen = CaptureInterfaces.ChooseDefault();
        Assert.NotNull(chosen);
        var names = SharpPcap.LibPcap.LibPcapLiveDeviceList.New().Select(d => d.Name);
        Assert.Contains(chosen, names);
    }

    [Fact]
    public void Net_raw_capability_is_read_from_the_effective_set()
    {
        Assert.True(CapturePrivileges.HasNetRaw("Name:\tx\nCapInh:\t0000000000000000\nCapEff:\t0000000000002000\n"));
        Assert.False(CapturePrivileges.HasNetRaw("CapPrm:\t000001ffffffffff\nCapEff:\t0000000000000000\n"));
        Assert.True(CapturePrivileges.HasNetRaw("CapEff:\t000001ffffffffff\n"));
        Assert.False(CapturePrivileges.HasNetRaw(""));
        Assert.Equal("capturing on eth0 needs root or CAP_NET_RAW; run with sudo", CapturePrivileges.MissingMessage("eth0"));
    }
}
