using System.Net;
using Flowmesh.Capture;
using Flowmesh.Gossip.Membership;

namespace Flowmesh.Agent.Hosting;

/// <summary>
/// Everything `flowmesh agent` can be told, with the defaults a PC gets when told nothing. One type, so every
/// tunable of the agent is in one place (docs/agent.md lists the same table).
/// </summary>
internal sealed record AgentOptions
{
    public const int DefaultGossipPort = 7946;
    public const int DefaultApiPort = 7947;
    public static readonly TimeSpan DefaultEpochLength = TimeSpan.FromSeconds(10);
    public static readonly TimeSpan MinEpochLength = TimeSpan.FromSeconds(1);
    public static readonly TimeSpan MaxEpochLength = TimeSpan.FromHours(1);
    public static readonly TimeSpan DefaultRetentionAge = Gossip.Records.RecordRetention.Default.Tiers[0].Retention;
    public static readonly TimeSpan DefaultMinuteRetention = Gossip.Records.RecordRetention.Default.Tiers[1].Retention;
    public static readonly TimeSpan DefaultTenMinuteRetention = Gossip.Records.RecordRetention.Default.Tiers[2].Retention;
    public static readonly TimeSpan DefaultHourRetention = Gossip.Records.RecordRetention.Default.Tiers[3].Retention;
    /// <summary>The hour roll-ups are built from the last hour's raw records, which must still be held then.</summary>
    public static readonly TimeSpan MinRawRetentionWithRollups = TimeSpan.FromHours(2);
    public static readonly TimeSpan MinRetentionAge = TimeSpan.FromHours(1);
    public static readonly TimeSpan MaxRetentionAge = TimeSpan.FromDays(3650);
    public const long DefaultRetentionMib = 512;
    public const long MaxRetentionMib = 1024 * 1024;

    /// <summary>This node's name in the cluster and the origin of its records. Default: the host name.</summary>
    public required string Name { get; init; }

    /// <summary>Where the database, identity key and cluster key live. Default: see <see cref="DefaultDataDirectory"/>.</summary>
    public required string DataDirectory { get; init; }

    /// <summary>Interfaces to capture on; empty = every interface that is up (eBPF) or the default route's (libpcap).</summary>
    public IReadOnlyList<string> Interfaces { get; init; } = [];

    /// <summary>How to capture; null (`--capture none`) runs the node without capture (relay, tests): it gossips, stores and serves peers' records but seals none of its own.</summary>
    public CaptureBackend? Capture { get; init; } = CaptureBackend.Auto;

    /// <summary>Seeds to join ("host" or "host:port"); empty = the peers of the last membership snapshot.</summary>
    public IReadOnlyList<JoinTarget> Join { get; init; } = [];

    /// <summary>UDP and TCP endpoint of the gossip protocol. Default 0.0.0.0:7946 (memberlist's port).</summary>
    public IPEndPoint Bind { get; init; } = new(IPAddress.Any, DefaultGossipPort);

    /// <summary>The address peers reach this node at; null = the bind address, or when that is a wildcard, this host's primary address.</summary>
    /// <summary>
    /// The operator's zone label (`--zone site-a` or `site-a/floor-3`); the agent's zone path is this label, then hashed
    /// digits of its name (docs/zones.md "Zone paths"). Null: hashed digits only.
    /// </summary>
    public Core.Zones.ZonePath? Zone { get; init; }

    /// <summary>
    /// `--zone-replication`: replicate per-PC records only inside the zone label (<see cref="Zone"/>, the leaf) and zone
    /// aggregates per scope (docs/zones.md), instead of every record to every node. Every agent of the cluster needs it.
    /// </summary>
    public bool ZoneReplication { get; init; }

    /// <summary>
    /// This agent's zone path: <see cref="Zone"/>, then hashed digits of <see cref="Name"/>. The hash is seeded by the
    /// cluster's sketch key, so every agent of the cluster computes the same path for a name.
    /// </summary>
    public Core.Zones.ZonePath ZonePathIn(Core.Sketches.SketchHashKey clusterSketchKey) =>
        Core.Zones.ZonePath.ForNode(Zone ?? Core.Zones.ZonePath.Root, Name, Core.Zones.ZonePath.DefaultDepth, Core.Zones.ZonePath.DefaultBranching, clusterSketchKey.Fingerprint);

    public IPEndPoint? Advertise { get; init; }

    /// <summary>The cluster key file. Default: &lt;data-dir&gt;/cluster.key, created (mode 0600) with a fresh key on first run.</summary>
    public string? KeyFile { get; init; }

    /// <summary>This node's certificate bundle from 'flowmesh enroll' (--certificate); null: a local authority in &lt;data-dir&gt;/ca certifies it.</summary>
    public string? Certificate { get; init; }

    /// <summary>The cluster authority's public key (--ca-certificate, ca.pem); null: the one in the bundle.</summary>
    public string? CaCertificate { get; init; }

    /// <summary>The local JSON API. Default 127.0.0.1:7947 (loopback only); null = no API.</summary>
    public IPEndPoint? Api { get; init; } = new(IPAddress.Loopback, DefaultApiPort);

    /// <summary>Host names the API answers besides loopback names and IP literals (--api-allow-host; DNS-rebinding defence).</summary>
    public IReadOnlyList<string> ApiAllowedHosts { get; init; } = [];

    /// <summary>The API token file (<see cref="Flowmesh.Agent.Api.ApiToken"/>); null = &lt;data-dir&gt;/api.token, created on first run.</summary>
    public string? ApiTokenFile { get; init; }

    public string ApiTokenPath => ApiTokenFile ?? Path.Combine(DataDirectory, Flowmesh.Agent.Api.ApiToken.FileName);

    /// <summary>Where to push the agent's metrics by OTLP/HTTP (--otlp); null: nowhere (docs/metrics.md).</summary>
    public Uri? Otlp { get; init; }

    /// <summary>How often the metrics are pushed to <see cref="Otlp"/>.</summary>
    public TimeSpan OtlpInterval { get; init; } = Metrics.OtlpMetricsExport.DefaultInterval;

    /// <summary>Epoch length. Every node of a cluster should use the same (records are aligned to multiples of it).</summary>
    public TimeSpan EpochLength { get; init; } = DefaultEpochLength;

    public MembershipProfile Profile { get; init; } = MembershipProfile.Lan;

    /// <summary>Find peers holding the same cluster key by UDP multicast on the LAN.</summary>
    public bool Discovery { get; init; } = true;

    /// <summary>Raw epoch records (own and received) older than this are deleted. Default 24 h (docs/epoch-records.md "Roll-ups").</summary>
    public TimeSpan RetentionAge { get; init; } = DefaultRetentionAge;

    /// <summary>1 min roll-ups older than this are deleted. Default 7 days.</summary>
    public TimeSpan MinuteRetention { get; init; } = DefaultMinuteRetention;

    /// <summary>10 min roll-ups older than this are deleted. Default 30 days.</summary>
    public TimeSpan TenMinuteRetention { get; init; } = DefaultTenMinuteRetention;

    /// <summary>1 h roll-ups older than this are deleted. Default 90 days.</summary>
    public TimeSpan HourRetention { get; init; } = DefaultHourRetention;

    /// <summary>The tiers the agent rolls its records up into, with their retention (store, validator and replication use it).</summary>
    public Gossip.Records.RecordRetention Retention => new(
    [
        new(TimeSpan.Zero, RetentionAge),
        new(TimeSpan.FromMinutes(1), MinuteRetention),
        new(TimeSpan.FromMinutes(10), TenMinuteRetention),
        new(TimeSpan.FromHours(1), HourRetention),
    ]);

    /// <summary>Upper bound on the record store's size; the oldest records go first beyond it. Default 512 MiB.</summary>
    public long RetentionBytes { get; init; } = DefaultRetentionMib << 20;

    /// <summary>Bytes of each packet libpcap copies: headers only (flows need no payload).</summary>
    public int CaptureSnapLength { get; init; } = 128;

    /// <summary>libpcap's kernel buffer: room for bursts between two reads.</summary>
    public int CaptureBufferBytes { get; init; } = 32 << 20;

    /// <summary>The local exact flow log behind drill-down (retention 24 h, 1 M rows, 256 MiB; docs/storage.md).</summary>
    public Drill.FlowLogOptions FlowLog { get; init; } = new();

    /// <summary>IPFIX collectors that get every exact flow this PC observes (--ipfix; docs/ipfix.md).</summary>
    public IReadOnlyList<Export.IpfixDestination> Ipfix { get; init; } = [];

    public Export.IpfixExportOptions IpfixExport { get; init; } = new();

    /// <summary>Which host-context sources the live capture starts (--host-context; docs/host-context.md).</summary>
    public Capture.HostContext.HostContextOptions HostContext { get; init; } = new();

    /// <summary>How far program names, users and DNS names travel in records (--share-programs/-users/-names; docs/host-context.md "Privacy").</summary>
    public Core.HostContext.HostContextPrivacy Privacy { get; init; } = Core.HostContext.HostContextPrivacy.Default;

    /// <summary>How long a graceful leave may take on SIGTERM before the agent stops anyway.</summary>
    public TimeSpan LeaveTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>How often the membership snapshot is saved (it seeds the next start when no --join is given).</summary>
    public TimeSpan SnapshotInterval { get; init; } = TimeSpan.FromSeconds(30);

    public string KeyFilePath => KeyFile ?? Path.Combine(DataDirectory, "cluster.key");

    /// <summary>
    /// The first thing wrong with these options, in the words of the `flowmesh agent` flag that sets it, or null when
    /// they can run. The CLI reports it as a usage error; the host refuses to start with it.
    /// </summary>
    public string? Validate()
    {
        if (ZoneReplication && Zone is null) return "--zone-replication needs --zone: the label is the leaf zone whose records this agent replicates.";
        if (!Gossip.NodeId.IsValidName(Name)) return $"--name '{Name}' must be 1..64 bytes of UTF-8 without spaces, control or invisible format characters.";
        if (string.IsNullOrWhiteSpace(DataDirectory)) return "--data-dir needs a directory.";
        if (Interfaces.Any(string.IsNullOrWhiteSpace)) return "--interface needs an interface name.";
        if (Capture == CaptureBackend.Pcap && Interfaces.Count > 1) return "libpcap captures one interface; give one --interface (eBPF capture takes several).";
        if (Capture is null && Interfaces.Count > 0) return "--interface has no effect with --capture none.";
        if (Api is { Port: not 0 } api && api.Address.Equals(Bind.Address) && api.Port == Bind.Port) return $"--api and --bind both use {api}; give them different ports.";
        if (EpochLength < MinEpochLength || EpochLength > MaxEpochLength) return $"--epoch must be between {MinEpochLength.TotalSeconds:0} s and {MaxEpochLength.TotalHours:0} h.";
        if (EpochLength.Ticks % TimeSpan.TicksPerMillisecond != 0) return "--epoch must be a whole number of milliseconds.";
        if (RetentionAge < MinRetentionAge || RetentionAge > MaxRetentionAge) return $"--retention must be between {MinRetentionAge.TotalHours:0} h and {MaxRetentionAge.TotalDays:0} days.";
        if (RetentionAge < EpochLength * 2) return "--retention must be at least two epochs.";
        if (RetentionAge < MinRawRetentionWithRollups) return $"--retention must be at least {MinRawRetentionWithRollups.TotalHours:0} h: the hour roll-ups are built from the last hour's raw records.";
        foreach (var (flag, age) in new[] { ("--retention-1m", MinuteRetention), ("--retention-10m", TenMinuteRetention), ("--retention-1h", HourRetention) })
            if (age < MinRetentionAge || age > MaxRetentionAge) return $"{flag} must be between {MinRetentionAge.TotalHours:0} h and {MaxRetentionAge.TotalDays:0} days.";
        if (RetentionBytes < 1L << 20 || RetentionBytes > MaxRetentionMib << 20) return $"--retention-mib must be between 1 and {MaxRetentionMib}.";
        if (CaptureSnapLength < 64 || CaptureBufferBytes < 1 << 20) return "the capture needs a snap length of at least 64 bytes and a buffer of at least 1 MiB.";
        if (LeaveTimeout <= TimeSpan.Zero || SnapshotInterval <= TimeSpan.Zero) return "the leave timeout and the snapshot interval must be positive.";
        return null;
    }

    public MembershipOptions Membership => Profile == MembershipProfile.Wifi ? MembershipOptions.WifiLaptop() : MembershipOptions.Lan();

    /// <summary>/var/lib/flowmesh as root (the systemd unit's StateDirectory), else ~/.local/share/flowmesh (XDG_DATA_HOME honoured).</summary>
    public static string DefaultDataDirectory(bool isRoot, Func<string, string?> environment)
    {
        if (isRoot) return "/var/lib/flowmesh";
        string? xdg = environment("XDG_DATA_HOME");
        if (!string.IsNullOrEmpty(xdg) && Path.IsPathRooted(xdg)) return Path.Combine(xdg, "flowmesh");
        string home = environment("HOME") is { Length: > 0 } h ? h : Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        return Path.Combine(home, ".local", "share", "flowmesh");
    }
}
