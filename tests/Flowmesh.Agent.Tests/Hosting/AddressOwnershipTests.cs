using System.Diagnostics;
using System.Net.NetworkInformation;
using Flowmesh.Agent.Hosting;
using Flowmesh.Core.Epochs;
using Flowmesh.Core.Packets;
using Flowmesh.Gossip;
using Flowmesh.Gossip.Records;
using Flowmesh.Gossip.Security;
using static Flowmesh.Agent.Tests.Views.ViewTestTraffic;

namespace Flowmesh.Agent.Tests.Hosting;

/// <summary>
/// The agent's ownership map: other origins' addresses come from the newest record each holds in the store (signed,
/// as replication stores them), expire with the announcement lifetime, and move with DHCP; this PC's addresses are
/// those of the captured interfaces, checked against the `ip` command's own listing.
/// </summary>
public sealed class AddressOwnershipTests
{
    private static readonly NodeIdentity Identity = NodeIdentity.Generate();

    /// <summary>A record of <paramref name="origin"/> for the epoch at <paramref name="start"/> announcing <paramref name="addresses"/>.</summary>
    private static (EpochId Id, byte[] Envelope) Announcing(string origin, long start, params string[] addresses)
    {
        var summary = new EpochSummary(new EpochId(origin, start, Epoch.Ticks / TimeSpan.TicksPerMicrosecond), Key, ownership:
            new FlowOwnership(MonitoredAddresses.Build(origin, addresses.Select(IpAddress128.Parse), [])));
        var record = summary.Seal();
        return (record.Id, SignedRecord.Create(Identity, new NodeId(origin), record.Encode()).Encode());
    }

    [Fact]
    public void OtherOriginsAddressesComeFromTheirNewestRecordAndExpire()
    {
        var store = new MemoryStore();
        long now = T0 + 100 * Second;
        store.Put(Announcing("b", T0 + 80 * Second, "10.0.0.7", "2001:db8::7"));
        store.Put(Announcing("b", T0 + 90 * Second, "10.0.0.8", "2001:db8::7"));  // DHCP: 10.0.0.7 went to c
        store.Put(Announcing("c", T0 + 90 * Second, "10.0.0.7"));
        store.Put(Announcing("old", T0 - 600 * Second, "10.0.0.9"));              // silent for 10 minutes
        store.Put(Announcing("a", T0 + 90 * Second, "10.0.0.1"));                  // this agent's own earlier record
        var ownership = new AddressOwnership("a", store, Key, TimeSpan.FromSeconds(60), Epoch);

        Assert.True(ownership.Refresh(now, [Member("b", "10.0.0.8", aliveSince: T0)], 7946));
        var book = ownership.Ownership.Addresses!;
        Assert.Equal("c", book.OwnerOf(IpAddress128.Parse("10.0.0.7")));
        Assert.Equal("b", book.OwnerOf(IpAddress128.Parse("10.0.0.8")));
        Assert.Equal("b", book.OwnerOf(IpAddress128.Parse("2001:db8::7")));
        Assert.Null(book.OwnerOf(IpAddress128.Parse("10.0.0.9")));
        Assert.Null(book.OwnerOf(IpAddress128.Parse("10.0.0.1"))); // no capture yet: nothing local, own stale records ignored
        Assert.Empty(book.Local);
        Assert.False(ownership.Refresh(now, [Member("b", "10.0.0.8", aliveSince: T0)], 7946)); // nothing changed

        // The flows the capture decides follow the map at once.
        Assert.False(ownership.Ownership.Decide(IpAddress128.Parse("10.0.0.7"), IpAddress128.Parse("10.0.0.8"), out var owner));
        Assert.Equal("c", owner);
        Assert.True(ownership.MonitorTraffic.Matches(IpProtocol.Udp, IpAddress128.Parse("10.0.0.8"), 7946, IpAddress128.Parse("10.0.0.7"), 50000));
        Assert.False(ownership.MonitorTraffic.Matches(IpProtocol.Udp, IpAddress128.Parse("10.0.0.8"), 7947, IpAddress128.Parse("10.0.0.7"), 50000));

        // A minute later b's and c's announcements have expired too.
        Assert.True(ownership.Refresh(now + 70 * Second, [], 7946));
        Assert.Equal(0, ownership.Ownership.Addresses!.OtherCount);
    }

    private static MemberEndpoint Member(string origin, string address, long aliveSince, bool alive = true) =>
        new(origin, IpAddress128.Parse(address), 7946, alive, aliveSince);

    [Fact]
    public void ANewcomerOwnsItsGossipAddressUntilItsFirstRecordSpeaks()
    {
        var store = new MemoryStore();
        long now = T0 + 100 * Second;
        store.Put(Announcing("c", T0 + 90 * Second, "10.0.0.7")); // c held 10.0.0.7 until DHCP gave it to the newcomer d
        var ownership = new AddressOwnership("a", store, Key, TimeSpan.FromSeconds(60), Epoch);
        Assert.True(ownership.Refresh(now, [
            Member("d", "10.0.0.7", aliveSince: now - 3 * Second),             // joined 3 s ago, no record yet
            Member("relay", "10.0.0.5", aliveSince: now - 600 * Second),      // alive for 10 min and never sealed: --capture none
            Member("gone", "10.0.0.6", aliveSince: now - 3 * Second, alive: false),
        ], 7946));
        var book = ownership.Ownership.Addresses!;
        Assert.Equal("d", book.OwnerOf(IpAddress128.Parse("10.0.0.7")));
        Assert.Null(book.OwnerOf(IpAddress128.Parse("10.0.0.5")));
        Assert.Null(book.OwnerOf(IpAddress128.Parse("10.0.0.6")));

        // d's first record announces what it captures (not the address it gossips from): the record wins.
        store.Put(Announcing("d", T0 + 100 * Second, "10.0.1.7"));
        Assert.True(ownership.Refresh(now + 2 * Second, [Member("d", "10.0.0.7", aliveSince: now - 3 * Second)], 7946));
        book = ownership.Ownership.Addresses!;
        Assert.Equal("d", book.OwnerOf(IpAddress128.Parse("10.0.1.7")));
        Assert.Equal("c", book.OwnerOf(IpAddress128.Parse("10.0.0.7"))); // c's announcement stands again until it expires
    }

    /// <summary>
    /// Announced before owned: a local address is owned from one epoch after the end of the epoch it appeared in, so
    /// the record of that epoch announces it (with the instant) an epoch ahead; after a restart, what the previous
    /// run announced stands as it was (its peers know it).
    /// </summary>
    [Fact]
    public void LocalAddressesAreOwnedAnEpochAfterTheRecordThatFirstAnnouncesThem()
    {
        var nic = NetworkInterface.GetAllNetworkInterfaces().FirstOrDefault(n => n.NetworkInterfaceType != NetworkInterfaceType.Loopback
            && AddressOwnership.AddressesOf([n.Name]).Count > 0);
        Assert.SkipWhen(nic is null, "no interface with an address");
        var addresses = AddressOwnership.AddressesOf([nic!.Name]);
        long epoch = Epoch.Ticks / TimeSpan.TicksPerMicrosecond;
        long opened = T0 + 100 * Second + 3 * Second;     // inside the epoch [T0 + 100 s, T0 + 110 s)
        long boundary = T0 + 110 * Second, owned = boundary + epoch;

        var store = new MemoryStore();
        var ownership = new AddressOwnership("a", store, Key, TimeSpan.FromSeconds(60), Epoch);
        ownership.UseCapture(new IdleSource(), [nic.Name], opened);
        Assert.True(ownership.Refresh(opened, [], 7946));
        var book = ownership.Ownership.Addresses!;
        Assert.Equal(boundary, book.OwnedFromMicros);
        Assert.All(book.LocalOwnedFrom(), e => Assert.Equal(owned, e.OwnedFromMicros));
        Assert.Equal(addresses.Distinct().Count(), book.LocalOwnedFrom().Count);
        Assert.Null(book.OwnerOf(addresses[0], boundary));
        Assert.Equal("a", book.OwnerOf(addresses[0], owned));

        // The record of the epoch the capture opened in announces them with that instant, and so does the next.
        var summary = new EpochSummary(new EpochId("a", boundary, epoch), Key, ownership: ownership.Ownership);
        var record = summary.Seal();
        Assert.All(addresses, address => Assert.False(record.Owned(address)));
        Assert.All(record.AddressesOwnedLater!, e => Assert.Equal(owned, e.FromMicros));
        // A peer that reads that record knows when the addresses become a's.
        store.Put((record.Id, SignedRecord.Create(Identity, new NodeId("a"), record.Encode()).Encode()));
        var peer = new AddressOwnership("b", store, Key, TimeSpan.FromSeconds(60), Epoch);
        Assert.True(peer.Refresh(boundary + 2 * Second, [], 7946));
        Assert.Null(peer.Ownership.Addresses!.OwnerOf(addresses[0], boundary));
        Assert.Equal("a", peer.Ownership.Addresses!.OwnerOf(addresses[0], owned));

        // A restart two seconds later: the previous run's newest record said "owned from `owned`", and that stands.
        var restarted = new AddressOwnership("a", store, Key, TimeSpan.FromSeconds(60), Epoch);
        restarted.UseCapture(new IdleSource(), [nic.Name], boundary + 2 * Second, ownRecordsEndMicros: boundary + epoch);
        restarted.Refresh(boundary + 2 * Second, [], 7946);
        Assert.All(restarted.Ownership.Addresses!.LocalOwnedFrom(), e => Assert.Equal(owned, e.OwnedFromMicros));
    }

    private sealed class IdleSource : Flowmesh.Capture.ICaptureSource
    {
        public string Description => "idle";
        public void Run(Flowmesh.Core.Flows.FlowMeter meter, CancellationToken cancellationToken) { }
        public void Run<TSink>(TSink sink, CancellationToken cancellationToken) where TSink : Flowmesh.Capture.ICaptureSink { }
        public Flowmesh.Capture.CaptureStatistics Statistics { get; } = new();
        public void Dispose() { }
    }

    [Fact]
    public void LoopbackIsNeverMonitored()
    {
        var lo = NetworkInterface.GetAllNetworkInterfaces().FirstOrDefault(n => n.NetworkInterfaceType == NetworkInterfaceType.Loopback);
        Assert.SkipWhen(lo is null, "no loopback interface");
        Assert.Empty(AddressOwnership.AddressesOf([lo!.Name]));
        Assert.Empty(AddressOwnership.AddressesOf([]));
    }

    [Fact]
    public void EveryAddressOfACapturedInterfaceIsLocalAsTheIpCommandListsIt()
    {
        var nics = NetworkInterface.GetAllNetworkInterfaces()
            .Where(n => n.NetworkInterfaceType != NetworkInterfaceType.Loopback && n.GetIPProperties().UnicastAddresses.Count > 0).Select(n => n.Name).ToList();
        Assert.SkipWhen(nics.Count == 0, "no interface with an address");
        string? listing = Run("ip", "-o addr show");
        Assert.SkipWhen(listing is null, "the ip command is not available");
        // "2: eth0    inet 10.0.0.5/24 brd ... scope global eth0" -> (eth0, 10.0.0.5)
        var truth = listing!.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Where(f => f.Length > 3 && f[2] is "inet" or "inet6" && nics.Contains(f[1].TrimEnd(':').Split('@')[0]))
            .Select(f => IpAddress128.Parse(f[3].Split('/')[0]))
            .Distinct().Order().ToList();
        Assert.Equal(truth, AddressOwnership.AddressesOf(nics).Distinct().Order().ToList());
    }

    private static string? Run(string file, string arguments)
    {
        try
        {
            using var process = Process.Start(new ProcessStartInfo(file, arguments) { RedirectStandardOutput = true, UseShellExecute = false })!;
            string output = process.StandardOutput.ReadToEnd();
            process.WaitForExit();
            return process.ExitCode == 0 ? output : null;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return null;
        }
    }

    private sealed class MemoryStore : IRecordStore
    {
        private readonly Dictionary<EpochId, byte[]> _records = [];

        public void Put((EpochId Id, byte[] Envelope) record) => _records[record.Id] = record.Envelope;

        public IReadOnlyList<OriginDigest> Digest() =>
            _records.Keys.GroupBy(id => id.Origin).Select(g => OriginDigest.Of(g.Key, g)).ToList();

        public IReadOnlyList<EpochId> IdsOf(string origin) =>
            _records.Keys.Where(id => id.Origin == origin).OrderByDescending(id => id.StartMicros).ToList();

        public bool Contains(EpochId id) => _records.ContainsKey(id);

        public byte[]? Read(EpochId id) => _records.GetValueOrDefault(id);

        public bool Write(VerifiedRecord record) => throw new NotSupportedException();
    }
}
