using System.CommandLine;
using System.Globalization;
using System.Net;
using Flowmesh.Agent.Configuration;
using Flowmesh.Agent.Hosting;
using Flowmesh.Capture;

namespace Flowmesh.Agent.Cli;

/// <summary>`flowmesh agent`: runs this PC's agent (capture, epoch records, gossip, local API) until SIGTERM/SIGINT.</summary>
internal static class AgentCommand
{
    public static Command Create() => Create(AgentHost.RunAsServiceOrHere, message => Console.Error.WriteLine($"flowmesh: {message}"));

    /// <summary>The command with another runner and error sink, so tests see exactly what the command line produced.</summary>
    /// <param name="defaultConfigPath">The configuration file read when no --config is given and it exists; null reads none (tests).</param>
    public static Command Create(Func<AgentOptions, int> run, Action<string> reportError, string? defaultConfigPath = AgentConfigFile.DefaultPath, TextWriter? output = null)
    {
        var name = new Option<string?>("--name") { Description = "This node's name in the cluster and the origin of its records (default: the host name)." };
        var dataDir = new Option<string?>("--data-dir") { Description = "Database, identity and cluster key (default: /var/lib/flowmesh as root, else ~/.local/share/flowmesh)." };
        var iface = new Option<string[]>("--interface", "-i") { Description = "Capture on this interface; repeat for several (eBPF). Default: every interface that is up (eBPF), the default route's (libpcap)." };
        var capture = new Option<string?>("--capture") { Description = "Capture backend: ebpf, pcap, or none (gossip and API only). Default: ebpf on Linux, else libpcap." };
        capture.AcceptOnlyFromAmong("ebpf", "pcap", "none");
        var join = new Option<string[]>("--join") { Description = "Join the cluster through this peer (host or host:port, port 7946 by default); repeatable. Default: the peers this node knew when it last ran." };
        var bind = new Option<string>("--bind") { Description = "Gossip UDP and TCP address (port 0: any free port, printed at start).", DefaultValueFactory = _ => $"0.0.0.0:{AgentOptions.DefaultGossipPort}" };
        var advertise = new Option<string?>("--advertise") { Description = "Address peers reach this node at (default: the --bind address, or this host's primary address when binding to 0.0.0.0)." };
        var apiTokenFile = new Option<string?>("--api-token-file") { Description = "The API token file. Default: <data-dir>/api.token, created (mode 0640, group flowmesh) on first run." };
        var keyFile = new Option<string?>("--key-file") { Description = "Cluster key file (from 'flowmesh keygen'). Default: <data-dir>/cluster.key, created with a fresh key on first run." };
        var api = new Option<string>("--api") { Description = "Local JSON API address, or 'none'. Loopback unless you say otherwise (port 0: any free port, printed at start).", DefaultValueFactory = _ => $"127.0.0.1:{AgentOptions.DefaultApiPort}" };
        var epoch = new Option<string>("--epoch") { Description = "Epoch length (1s..1h); every node of a cluster should use the same.", DefaultValueFactory = _ => $"{AgentOptions.DefaultEpochLength.TotalSeconds.ToString(CultureInfo.InvariantCulture)}s" };
        var profile = new Option<string>("--profile") { Description = "Failure detection timing: lan (wired) or wifi (laptops on Wi-Fi).", DefaultValueFactory = _ => "lan" };
        profile.AcceptOnlyFromAmong("lan", "wifi");
        var noDiscovery = new Option<bool>("--no-discovery") { Description = "Do not look for peers by LAN multicast." };
        var retention = new Option<string>("--retention") { Description = "Delete raw epoch records older than this (2h..3650d); roll-ups are kept longer.", DefaultValueFactory = _ => Hours(AgentOptions.DefaultRetentionAge) };
        var retentionMinutes = new Option<string>("--retention-1m") { Description = "Delete 1 min roll-ups older than this (1h..3650d).", DefaultValueFactory = _ => Days(AgentOptions.DefaultMinuteRetention) };
        var retentionTenMinutes = new Option<string>("--retention-10m") { Description = "Delete 10 min roll-ups older than this (1h..3650d).", DefaultValueFactory = _ => Days(AgentOptions.DefaultTenMinuteRetention) };
        var retentionHours = new Option<string>("--retention-1h") { Description = "Delete 1 h roll-ups older than this (1h..3650d).", DefaultValueFactory = _ => Days(AgentOptions.DefaultHourRetention) };
        var apiAllowHost = new Option<string[]>("--api-allow-host") { Description = "Also answer API requests whose Host is this name (the API answers loopback names and IP addresses only, against DNS rebinding); repeatable." };
        var zone = new Option<string?>("--zone") { Description = "This PC's zone label, such as a site, floor or subnet (site-a, or site-a/floor-3): aggregation stays inside it first. Default: none; hashed digits of the name balance zone sizes (docs/zones.md)." };
        var zoneReplication = new Option<bool>("--zone-replication") { Description = "Replicate per-PC records only inside this PC's --zone and zone aggregates between zones, instead of every record to every PC (docs/zones.md; every agent of the cluster needs it)." };
        var otlp = new Option<string?>("--otlp") { Description = "Also push the agent's metrics to an OpenTelemetry collector over OTLP/HTTP (protobuf), such as http://127.0.0.1:4318; headers such as credentials come from OTEL_EXPORTER_OTLP_HEADERS." };
        var otlpInterval = new Option<string>("--otlp-interval") { Description = "How often --otlp pushes (1s..1h).", DefaultValueFactory = _ => $"{Metrics.OtlpMetricsExport.DefaultInterval.TotalSeconds.ToString(CultureInfo.InvariantCulture)}s" };
        var retentionMib = new Option<long>("--retention-mib") { Description = "Keep the record store below this many MiB; the oldest raw records go first, then the oldest roll-ups.", DefaultValueFactory = _ => AgentOptions.DefaultRetentionMib };

        var config = new Option<string?>("--config") { Description = $"Settings file: a JSON object of these flags without their dashes (docs/agent.md). Default: {AgentConfigFile.DefaultPath} when it exists. Flags override it." };
        var printConfig = new Option<bool>("--print-config") { Description = "Print the effective settings with their source (default, file, flag) and exit." };

        var command = new Command("agent", "Run this PC's agent: capture, seal an epoch record every epoch, share records with peers, serve the local API.")
        {
            name, dataDir, iface, capture, join, bind, advertise, keyFile, api, epoch, profile, noDiscovery, retention, retentionMinutes, retentionTenMinutes, retentionHours, retentionMib,
            apiAllowHost, apiTokenFile, zone, zoneReplication, otlp, otlpInterval, config, printConfig,
        };
        var ipfix = new IpfixOptions();
        ipfix.AddTo(command);
        var hostContext = new HostContextFlags();
        hostContext.AddTo(command);
        var privacy = new HostContextPrivacyFlags();
        privacy.AddTo(command);
        var enrolment = new EnrolmentFlags();
        enrolment.AddTo(command);
        command.SetAction(commandLine =>
        {
            // Every value below is read from the effective settings: the command line over the file over the defaults.
            var settings = AgentSettings.Resolve(command, commandLine, [config, printConfig], commandLine.GetValue(config), defaultConfigPath, out string? configError);
            if (settings is null)
            {
                reportError(configError!);
                return ExitCodes.UsageError;
            }
            var parse = settings.Effective;
            var options = Build(
                parse.GetValue(name), parse.GetValue(dataDir), parse.GetValue(iface) ?? [], parse.GetValue(capture),
                parse.GetValue(join) ?? [], parse.GetValue(bind)!, parse.GetValue(advertise), parse.GetValue(keyFile),
                parse.GetValue(api)!, parse.GetValue(epoch)!, parse.GetValue(profile)!, !parse.GetValue(noDiscovery),
                parse.GetValue(retention)!, parse.GetValue(retentionMib), out string? error);
            if (options is not null)
            {
                options = WithRollupRetention(options, parse.GetValue(retentionMinutes)!, parse.GetValue(retentionTenMinutes)!, parse.GetValue(retentionHours)!, out error);
            }
            if (options is not null)
            {
                var hosts = parse.GetValue(apiAllowHost) ?? [];
                if (hosts.FirstOrDefault(h => !Api.HostCheck.IsValidName(h)) is { } bad)
                {
                    options = null;
                    error = $"--api-allow-host '{Api.AgentApi.Printable(bad)}' must be a host name (letters, digits, '-', '.'), without port or scheme.";
                }
                else options = options with { ApiAllowedHosts = [.. hosts.Select(Api.HostCheck.Normalize)] };
                if (options is not null && parse.GetValue(zone) is string zoneText)
                {
                    if (!Core.Zones.ZonePath.TryParse(zoneText, out var label, out string? zoneError) || label.IsRoot)
                    {
                        options = null;
                        error = $"--zone: {zoneError ?? "give a label such as site-a or site-a/floor-3"}";
                    }
                    else if (label.Depth > Core.Zones.ZonePath.DefaultDepth)
                    {
                        options = null;
                        error = $"--zone '{zoneText}' has {label.Depth} levels; at most {Core.Zones.ZonePath.DefaultDepth}.";
                    }
                    else options = options with { Zone = label };
                }
                if (options is not null && parse.GetValue(zoneReplication))
                {
                    options = options with { ZoneReplication = true };
                    error = options.Validate(); // --zone-replication needs --zone
                    if (error is not null) options = null;
                }
                if (options is not null)
                {
                    // Live capture: a slow collector costs dropped (counted) flows, never a stalled capture thread.
                    if (ipfix.Parse(parse, waitWhenFull: false, out error) is { } export) options = options with { Ipfix = export.Destinations, IpfixExport = export.Options };
                    else options = null;
                }
                if (options is not null)
                {
                    if (hostContext.Parse(parse, out error) is { } context) options = options with { HostContext = context };
                    else options = null;
                }
                if (options is not null)
                {
                    if (privacy.Parse(parse, out error) is { } sharing) options = options with { Privacy = sharing };
                    else options = null;
                }
                if (options is not null && parse.GetValue(apiTokenFile) is string tokenFile)
                {
                    if (tokenFile.Trim().Length == 0) { options = null; error = "--api-token-file needs a file name."; }
                    else options = options! with { ApiTokenFile = Path.GetFullPath(tokenFile) };
                }
                if (options is not null) options = WithOtlp(options, parse.GetValue(otlp), parse.GetValue(otlpInterval)!, out error);
                if (options is not null) options = enrolment.Apply(parse, options, out error);
            }
            if (options is null)
            {
                reportError(settings.Explain(error!));
                return ExitCodes.UsageError;
            }
            if (commandLine.GetValue(printConfig))
            {
                settings.Print(output ?? Console.Out, option =>
                    option == name ? options.Name
                    : option == dataDir ? options.DataDirectory
                    : option == keyFile ? options.KeyFilePath
                    : option == apiTokenFile ? options.ApiTokenPath
                    : null);
                return ExitCodes.Success;
            }
            return run(options);
        });
        return command;
    }

    private static AgentOptions? Build(
        string? name, string? dataDir, string[] interfaces, string? capture, string[] joins, string bind, string? advertise,
        string? keyFile, string api, string epoch, string profile, bool discovery, string retention, long retentionMib, out string? error)
    {
        string nodeName = name ?? Environment.MachineName;
        if (!IsValidName(nodeName))
        {
            error = $"--name '{nodeName}' must be 1..64 bytes of UTF-8 without spaces, control or invisible format characters{(name is null ? " (the host name does not qualify; give --name)" : "")}.";
            return null;
        }
        CaptureBackend? mode = capture switch { "ebpf" => CaptureBackend.Ebpf, "pcap" => CaptureBackend.Pcap, "none" => null, _ => CaptureBackend.Auto };

        var seeds = new List<JoinTarget>();
        foreach (string text in joins)
        {
            if (EndpointText.ParseJoin(text, out error) is not { } seed) return null;
            seeds.Add(seed);
        }
        if (EndpointText.ParseAddressAndPort(bind, "--bind", AgentOptions.DefaultGossipPort, out error, allowAnyPort: true) is not { } bindEndpoint) return null;
        IPEndPoint? advertiseEndpoint = null;
        if (advertise is not null)
        {
            advertiseEndpoint = EndpointText.ParseAddressAndPort(advertise, "--advertise", bindEndpoint.Port, out error);
            if (advertiseEndpoint is null) return null;
            if (advertiseEndpoint.Address.Equals(IPAddress.Any) || advertiseEndpoint.Address.Equals(IPAddress.IPv6Any))
            {
                error = $"--advertise '{advertise}' must be an address peers can reach, not a wildcard.";
                return null;
            }
        }
        bool wildcard = bindEndpoint.Address.Equals(IPAddress.Any) || bindEndpoint.Address.Equals(IPAddress.IPv6Any);
        if (wildcard && bindEndpoint.Port == 0 && advertiseEndpoint is null)
        {
            error = $"--bind {bind}: with a wildcard address give a port (or --advertise), so peers know where to reach this node.";
            return null;
        }
        IPEndPoint? apiEndpoint = null;
        if (!api.Trim().Equals("none", StringComparison.OrdinalIgnoreCase))
        {
            apiEndpoint = EndpointText.ParseAddressAndPort(api, "--api", AgentOptions.DefaultApiPort, out error, allowAnyPort: true);
            if (apiEndpoint is null) return null;
        }
        if (DurationText.Parse(epoch, "--epoch", AgentOptions.MinEpochLength, AgentOptions.MaxEpochLength, out error) is not { } epochLength) return null;
        if (DurationText.Parse(retention, "--retention", AgentOptions.MinRetentionAge, AgentOptions.MaxRetentionAge, out error) is not { } retentionAge) return null;
        if (retentionMib is < 1 or > AgentOptions.MaxRetentionMib) { error = $"--retention-mib {retentionMib.ToString(CultureInfo.InvariantCulture)} must be between 1 and {AgentOptions.MaxRetentionMib}."; return null; }

        if (dataDir is not null && dataDir.Trim().Length == 0) { error = "--data-dir needs a directory."; return null; }
        if (keyFile is not null && keyFile.Trim().Length == 0) { error = "--key-file needs a file name."; return null; }
        string directory = dataDir is null
            ? AgentOptions.DefaultDataDirectory(Environment.IsPrivilegedProcess, Environment.GetEnvironmentVariable)
            : Path.GetFullPath(dataDir);

        var options = new AgentOptions
        {
            Name = nodeName,
            DataDirectory = directory,
            Interfaces = interfaces,
            Capture = mode,
            Join = seeds,
            Bind = bindEndpoint,
            Advertise = advertiseEndpoint,
            KeyFile = keyFile is null ? null : Path.GetFullPath(keyFile),
            Api = apiEndpoint,
            EpochLength = epochLength,
            Profile = profile == "wifi" ? MembershipProfile.Wifi : MembershipProfile.Lan,
            Discovery = discovery,
            RetentionAge = retentionAge,
            RetentionBytes = retentionMib * 1024 * 1024,
        };
        error = options.Validate();
        return error is null ? options : null;
    }

    /// <summary>The roll-up tiers' retention flags (docs/epoch-records.md "Roll-ups"), checked with the rest of the options.</summary>
    private static AgentOptions? WithRollupRetention(AgentOptions options, string minutes, string tenMinutes, string hours, out string? error)
    {
        if (DurationText.Parse(minutes, "--retention-1m", AgentOptions.MinRetentionAge, AgentOptions.MaxRetentionAge, out error) is not { } minute) return null;
        if (DurationText.Parse(tenMinutes, "--retention-10m", AgentOptions.MinRetentionAge, AgentOptions.MaxRetentionAge, out error) is not { } tenMinute) return null;
        if (DurationText.Parse(hours, "--retention-1h", AgentOptions.MinRetentionAge, AgentOptions.MaxRetentionAge, out error) is not { } hour) return null;
        options = options with { MinuteRetention = minute, TenMinuteRetention = tenMinute, HourRetention = hour };
        error = options.Validate();
        return error is null ? options : null;
    }

    /// <summary>--otlp and its interval (docs/metrics.md, "OTLP").</summary>
    private static AgentOptions? WithOtlp(AgentOptions options, string? url, string interval, out string? error)
    {
        if (DurationText.Parse(interval, "--otlp-interval", Metrics.OtlpMetricsExport.MinInterval, Metrics.OtlpMetricsExport.MaxInterval, out error) is not { } every) return null;
        if (url is null) return options with { OtlpInterval = every };
        return Metrics.OtlpMetricsExport.ParseEndpoint(url, out error) is { } endpoint ? options with { Otlp = endpoint, OtlpInterval = every } : null;
    }

    private static string Hours(TimeSpan span) => $"{span.TotalHours.ToString(CultureInfo.InvariantCulture)}h";

    private static string Days(TimeSpan span) => $"{span.TotalDays.ToString(CultureInfo.InvariantCulture)}d";

    private static bool IsValidName(string name) => Gossip.NodeId.IsValidName(name);
}
