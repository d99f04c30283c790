using System.Net;
using Flowmesh.Gossip.Discovery;
using Flowmesh.Gossip.Security;

namespace Flowmesh.Gossip.Tests.Discovery;

/// <summary>The receive path driven directly (no network, no root): what is reported, what is dropped, memory bounds.</summary>
public sealed class LanDiscoveryInputTests
{
    private static readonly IPAddress Source = IPAddress.Parse("10.0.0.2");

    [Fact]
    public void AFloodOfDistinctAuthenticSendersKeepsMemoryBounded()
    {
        var keyring = new Keyring(ClusterKey.Generate());
        var time = new ManualTime();
        using var discovery = new LanDiscovery(new NodeId("me"), new IPEndPoint(IPAddress.Any, 7946), keyring,
            new LanDiscoveryOptions { MaxTrackedNodes = 100 }, time: time);
        var reported = 0;
        discovery.Discovered += _ => reported++;
        var payload = DiscoveryBeacon.Encode(new IPEndPoint(IPAddress.Parse("10.0.0.9"), 7946));
        for (var i = 0; i < 3000; i++)
        {
            // One sender per millisecond: the replay guard refuses a new sender no newer than one it forgot (by design).
            time.Advance(TimeSpan.FromMilliseconds(1));
            discovery.Handle(new PacketSealer(keyring, new NodeId($"n{i}"), time).Seal(payload), Source, 0);
        }
        Assert.Equal(3000, reported); // each is news once
        Assert.Equal(100, discovery.TrackedNodes);
        Assert.Equal(3000, discovery.Counters.BeaconsAccepted);
        Assert.Equal(0, discovery.DroppedTotal);
    }

    [Fact]
    public void ReportsOncePerNodeAgainOnANewEndpointAndIgnoresItself()
    {
        var keyring = new Keyring(ClusterKey.Generate());
        using var discovery = new LanDiscovery(new NodeId("me"), new IPEndPoint(IPAddress.Any, 7946), keyring);
        var reports = new List<DiscoveredPeer>();
        discovery.Discovered += reports.Add;
        var peer = new PacketSealer(keyring, new NodeId("peer"));
        var self = new PacketSealer(keyring, new NodeId("me"));
        var first = DiscoveryBeacon.Encode(new IPEndPoint(IPAddress.Any, 7946));
        for (var i = 0; i < 5; i++) discovery.Handle(peer.Seal(first), Source, 0);
        discovery.Handle(peer.Seal(DiscoveryBeacon.Encode(new IPEndPoint(IPAddress.Any, 7950))), Source, 0);
        discovery.Handle(self.Seal(first), Source, 0);
        Assert.Equal([new IPEndPoint(Source, 7946), new IPEndPoint(Source, 7950)], reports.Select(r => r.GossipEndpoint));
        Assert.Equal(1, discovery.Counters.OwnBeaconsIgnored);
    }

    [Fact]
    public void ANonMemberIsReportedAgainAfterTheRereportIntervalAMemberIsNot()
    {
        var keyring = new Keyring(ClusterKey.Generate());
        var time = new ManualTime();
        var members = new HashSet<NodeId>();
        using var discovery = new LanDiscovery(new NodeId("me"), new IPEndPoint(IPAddress.Any, 7946), keyring,
            new LanDiscoveryOptions(), isMember: members.Contains, time: time);
        var reports = 0;
        discovery.Discovered += _ => reports++;
        var peer = new PacketSealer(keyring, new NodeId("peer"), time);
        var beacon = DiscoveryBeacon.Encode(new IPEndPoint(IPAddress.Any, 7946));
        discovery.Handle(peer.Seal(beacon), Source, 0);
        Assert.Equal(1, reports);
        time.Advance(TimeSpan.FromSeconds(10));
        discovery.Handle(peer.Seal(beacon), Source, 0); // join still pending: too soon to report again
        Assert.Equal(1, reports);
        time.Advance(TimeSpan.FromSeconds(25));
        discovery.Handle(peer.Seal(beacon), Source, 0); // the join must have failed: report again
        Assert.Equal(2, reports);
        members.Add(new NodeId("peer"));
        time.Advance(TimeSpan.FromSeconds(60));
        discovery.Handle(peer.Seal(beacon), Source, 0); // a member: nothing to do
        Assert.Equal(2, reports);
    }

    [Fact]
    public void AThrowingHandlerIsCountedAndReceivingGoesOn()
    {
        var keyring = new Keyring(ClusterKey.Generate());
        using var discovery = new LanDiscovery(new NodeId("me"), new IPEndPoint(IPAddress.Any, 7946), keyring);
        var calls = 0;
        discovery.Discovered += _ => { calls++; throw new InvalidOperationException("join failed"); };
        var beacon = DiscoveryBeacon.Encode(new IPEndPoint(IPAddress.Any, 7946));
        discovery.Handle(new PacketSealer(keyring, new NodeId("p1")).Seal(beacon), Source, 0);
        discovery.Handle(new PacketSealer(keyring, new NodeId("p2")).Seal(beacon), Source, 0);
        Assert.Equal(2, calls);
        Assert.Equal(2, discovery.Counters.HandlerFailures);
    }

    private sealed class ManualTime : TimeProvider
    {
        private DateTimeOffset _now = DateTimeOffset.UnixEpoch.AddYears(56);
        private long _ticks;
        public void Advance(TimeSpan by) { _now += by; _ticks += by.Ticks; }
        public override DateTimeOffset GetUtcNow() => _now;
        public override long GetTimestamp() => _ticks;
        public override long TimestampFrequency => TimeSpan.TicksPerSecond;
    }
}
