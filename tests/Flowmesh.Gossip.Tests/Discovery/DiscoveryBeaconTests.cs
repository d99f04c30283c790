using System.Net;
using Flowmesh.Gossip.Discovery;
using Flowmesh.Gossip.Security;

namespace Flowmesh.Gossip.Tests.Discovery;

public sealed class DiscoveryBeaconTests
{
    private static readonly IPAddress Source = IPAddress.Parse("10.1.2.3");

    [Fact]
    public void RoundTripsIPv4AndIPv6AndFillsInAnUnspecifiedAddressFromTheSource()
    {
        var v4 = new IPEndPoint(IPAddress.Parse("192.168.1.20"), 7946);
        Assert.True(DiscoveryBeacon.TryDecode(DiscoveryBeacon.Encode(v4), Source, out var got));
        Assert.Equal(v4, got);
        var v6 = new IPEndPoint(IPAddress.Parse("fd00::5"), 8000);
        Assert.True(DiscoveryBeacon.TryDecode(DiscoveryBeacon.Encode(v6), Source, out got));
        Assert.Equal(v6, got);
        Assert.True(DiscoveryBeacon.TryDecode(DiscoveryBeacon.Encode(new IPEndPoint(IPAddress.Any, 7946)), Source, out got));
        Assert.Equal(new IPEndPoint(Source, 7946), got);
        Assert.Equal(DiscoveryBeacon.MaxPayloadLength, DiscoveryBeacon.Encode(v6).Length);
        Assert.Equal(138, DiscoveryBeacon.MaxSealedLength); // the figure documented in the options
    }

    [Fact]
    public void RejectsTruncatedExtendedAndNonsensicalBeacons()
    {
        var good = DiscoveryBeacon.Encode(new IPEndPoint(IPAddress.Parse("10.0.0.9"), 7946));
        for (var cut = 0; cut < good.Length; cut++) Assert.False(DiscoveryBeacon.TryDecode(good.AsSpan(0, cut), Source, out _));
        Assert.False(DiscoveryBeacon.TryDecode([.. good, 0], Source, out _));
        foreach (var (index, value) in new[] { (0, (byte)'X'), (4, (byte)2), (5, (byte)5), (10, (byte)0) })
        {
            var bad = (byte[])good.Clone();
            bad[index] = value;
            if (index == 10) bad[11] = 0; // port 0
            Assert.False(DiscoveryBeacon.TryDecode(bad, Source, out _), $"byte {index} = {value}");
        }
        Assert.False(DiscoveryBeacon.TryDecode(DiscoveryBeacon.Encode(new IPEndPoint(IPAddress.Parse("239.1.1.1"), 7946)), Source, out _));
        Assert.False(DiscoveryBeacon.TryDecode(DiscoveryBeacon.Encode(new IPEndPoint(IPAddress.Broadcast, 7946)), Source, out _));
        Assert.False(DiscoveryBeacon.TryDecode(DiscoveryBeacon.Encode(new IPEndPoint(IPAddress.Parse("ff02::1"), 7946)), Source, out _));
    }

    [Fact]
    public void RandomPayloadsNeverThrow()
    {
        var random = new Random(11);
        for (var i = 0; i < 20_000; i++)
        {
            var bytes = new byte[random.Next(0, 40)];
            random.NextBytes(bytes);
            if (i % 2 == 0 && bytes.Length >= 6) { "FMDB"u8.CopyTo(bytes); bytes[4] = 1; bytes[5] = (byte)(i % 4 == 0 ? 4 : 6); }
            DiscoveryBeacon.TryDecode(bytes, Source, out _);
        }
    }

    [Fact]
    public void ScheduleIsFastThenSlowWithPeersOrAloneWithoutAndStaysInsideTheJitter()
    {
        var options = new LanDiscoveryOptions();
        var schedule = new BeaconSchedule(options, new Random(3));
        for (var i = 0; i < 1000; i++)
        {
            Assert.InRange(schedule.NextDelay(TimeSpan.FromSeconds(5), hasPeers: true), TimeSpan.FromSeconds(0.75), TimeSpan.FromSeconds(1.25));
            Assert.InRange(schedule.NextDelay(TimeSpan.FromSeconds(11), hasPeers: true), TimeSpan.FromSeconds(22.5), TimeSpan.FromSeconds(37.5));
            Assert.InRange(schedule.NextDelay(TimeSpan.FromSeconds(11), hasPeers: false), TimeSpan.FromSeconds(3.75), TimeSpan.FromSeconds(6.25));
        }
        var delays = Enumerable.Range(0, 1000).Select(_ => schedule.NextDelay(TimeSpan.Zero, false).TotalSeconds).ToList();
        Assert.True(delays.Max() - delays.Min() > 0.4, "jitter must actually spread the periods");
    }

    [Fact]
    public void OptionsRejectNonsense()
    {
        var key = new Keyring(ClusterKey.Generate());
        var any = new IPEndPoint(IPAddress.Any, 7946);
        Assert.ThrowsAny<ArgumentException>(() => new LanDiscovery(new NodeId("a"), any, key, new LanDiscoveryOptions { Group = IPAddress.Parse("10.0.0.1") }));
        Assert.ThrowsAny<ArgumentException>(() => new LanDiscovery(new NodeId("a"), any, key, new LanDiscoveryOptions { Jitter = 1 }));
        Assert.ThrowsAny<ArgumentException>(() => new LanDiscovery(new NodeId("a"), any, key, new LanDiscoveryOptions { MaxBeaconBytes = 100 }));
        Assert.ThrowsAny<ArgumentException>(() => new LanDiscovery(new NodeId("a"), new IPEndPoint(IPAddress.Any, 0), key));
    }
}
