using Flowmesh.Core.Epochs;

namespace Flowmesh.Core.Detections;

/// <summary>
/// Every detection tunable, with its default and where the default comes from (docs/global-view.md has the table).
/// </summary>
public sealed record DetectionOptions
{
    /// <summary>Distinct hosts one source must contact within <see cref="ScanWindow"/>. Zeek: Scan::addr_scan_threshold = 25.</summary>
    public double HostScanHosts { get; init; } = 25;

    /// <summary>Distinct ports one source must contact on one host within <see cref="ScanWindow"/>. Zeek: Scan::port_scan_threshold = 15.</summary>
    public double PortScanPorts { get; init; } = 15;

    /// <summary>Window of both scan detections. Zeek: Scan::addr_scan_interval = Scan::port_scan_interval = 5 min.</summary>
    public TimeSpan ScanWindow { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// Distinct sources of one destination within <see cref="FloodWindow"/>. Ours (Zeek has no default): 100 distinct
    /// peers in a minute is far above what a LAN host normally sees and far below a spoofed flood's thousands.
    /// </summary>
    public double FloodSources { get; init; } = 100;

    /// <summary>Packets per second towards one destination, averaged over <see cref="FloodWindow"/>. Ours: 10,000 pps, about a saturated 100 Mbit/s link of small packets.</summary>
    public double FloodPacketsPerSecond { get; init; } = 10_000;

    /// <summary>Bytes per second towards one destination, averaged over <see cref="FloodWindow"/>. Ours: 62.5 MB/s = 500 Mbit/s, half a gigabit link.</summary>
    public double FloodBytesPerSecond { get; init; } = 62_500_000;

    /// <summary>Window of the flood detections. Ours: 1 min, short enough to react, long enough to average bursts.</summary>
    public TimeSpan FloodWindow { get; init; } = TimeSpan.FromMinutes(1);

    /// <summary>Share of all bytes in <see cref="HeavyHitterWindow"/> one sender or receiver must carry. Ours: 25 %.</summary>
    public double HeavyHitterShare { get; init; } = 0.25;

    /// <summary>Heavy hitters are only reported when the window carries at least this many bytes (a quiet network always has a "largest" host). Ours: 100 MB.</summary>
    public double HeavyHitterMinimumBytes { get; init; } = 100_000_000;

    public TimeSpan HeavyHitterWindow { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>Window searched for first contacts each evaluation; destinations seen are then remembered.</summary>
    public TimeSpan FirstContactWindow { get; init; } = TimeSpan.FromMinutes(1);

    /// <summary>No first-contact alert until the history has been learning this long (otherwise every destination is "new" after a start).</summary>
    public TimeSpan FirstContactLearning { get; init; } = TimeSpan.FromHours(1);

    /// <summary>External destinations remembered at most (memory bound, about 60 B each); the least recently seen are forgotten first.</summary>
    public int FirstContactCapacity { get; init; } = 100_000;

    /// <summary>A destination not seen for this long is forgotten, so contacting it again is a first contact again.</summary>
    public TimeSpan FirstContactRetention { get; init; } = TimeSpan.FromDays(7);

    /// <summary>
    /// Addresses that are not "external": RFC 1918, CGNAT (RFC 6598), loopback, link-local, multicast and broadcast,
    /// IPv6 ULA, link-local, loopback and multicast. Set it to the site's own prefixes as well.
    /// </summary>
    public AddressPrefixSet InternalPrefixes { get; init; } = AddressPrefixSet.Parse(
        "10.0.0.0/8,172.16.0.0/12,192.168.0.0/16,100.64.0.0/10,127.0.0.0/8,169.254.0.0/16,224.0.0.0/4,255.255.255.255/32,0.0.0.0/32,fc00::/7,fe80::/10,::1/128,ff00::/8,::/128");

    /// <summary>
    /// A spread threshold is never set below this many times the merged sketch's detection floor: below about
    /// twice the floor the sketch reports noise (docs/sketches.md). On a busy network the effective threshold rises
    /// above Zeek's and the alert says so.
    /// </summary>
    public double FloorMultiple { get; init; } = 2;

    /// <summary>Alerts of one kind and subject within one such period share an id (one entry, updated) instead of piling up.</summary>
    public TimeSpan DedupInterval { get; init; } = TimeSpan.FromHours(1);

    /// <summary>Entries the alert log keeps; the least recently seen go first.</summary>
    public int AlertLogCapacity { get; init; } = 1_000;

    public static DetectionOptions Default { get; } = new();

    internal void Validate()
    {
        foreach (var (name, value) in new[] { (nameof(HostScanHosts), HostScanHosts), (nameof(PortScanPorts), PortScanPorts), (nameof(FloodSources), FloodSources),
                     (nameof(FloodPacketsPerSecond), FloodPacketsPerSecond), (nameof(FloodBytesPerSecond), FloodBytesPerSecond), (nameof(FloorMultiple), FloorMultiple) })
            if (!(value > 0)) throw new ArgumentOutOfRangeException(name, value, "must be positive");
        if (!(HeavyHitterShare is > 0 and <= 1)) throw new ArgumentOutOfRangeException(nameof(HeavyHitterShare), HeavyHitterShare, "in (0, 1]");
        foreach (var (name, value) in new[] { (nameof(ScanWindow), ScanWindow), (nameof(FloodWindow), FloodWindow), (nameof(HeavyHitterWindow), HeavyHitterWindow),
                     (nameof(FirstContactWindow), FirstContactWindow), (nameof(DedupInterval), DedupInterval), (nameof(FirstContactRetention), FirstContactRetention) })
            if (value <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(name, value, "must be positive");
        if (FirstContactCapacity < 1) throw new ArgumentOutOfRangeException(nameof(FirstContactCapacity), FirstContactCapacity, "at least 1");
        if (AlertLogCapacity < 1) throw new ArgumentOutOfRangeException(nameof(AlertLogCapacity), AlertLogCapacity, "at least 1");
        ArgumentNullException.ThrowIfNull(InternalPrefixes);
    }
}
