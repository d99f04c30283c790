using System.CommandLine;
using System.Net;
using Flowmesh.Agent.Cli;
using Flowmesh.Agent.Hosting;
using Flowmesh.Capture;

namespace Flowmesh.Agent.Tests.Cli;

public sealed class AgentCommandTests
{
    [Fact]
    public void DefaultsAreTheDocumentedOnes()
    {
        var options = Parse([]);
        Assert.Equal(Environment.MachineName, options.Name);
        Assert.Equal(new IPEndPoint(IPAddress.Any, 7946), options.Bind);
        Assert.Equal(new IPEndPoint(IPAddress.Loopback, 7947), options.Api);
        Assert.Equal(TimeSpan.FromSeconds(10), options.EpochLength);
        Assert.Equal(CaptureBackend.Auto, options.Capture);
        Assert.Equal(MembershipProfile.Lan, options.Profile);
        Assert.True(options.Discovery);
        Assert.Empty(options.Join);
        Assert.Empty(options.Interfaces);
        Assert.Null(options.Advertise);
        Assert.Equal(TimeSpan.FromHours(24), options.RetentionAge);
        Assert.Equal(TimeSpan.FromDays(7), options.MinuteRetention);
        Assert.Equal(TimeSpan.FromDays(30), options.TenMinuteRetention);
        Assert.Equal(TimeSpan.FromDays(90), options.HourRetention);
        Assert.Equal(512L * 1024 * 1024, options.RetentionBytes);
        Assert.Equal(Path.Combine(options.DataDirectory, "cluster.key"), options.KeyFilePath);
        Assert.Equal(Environment.IsPrivilegedProcess ? "/var/lib/flowmesh" : AgentOptions.DefaultDataDirectory(false, Environment.GetEnvironmentVariable), options.DataDirectory);
    }

    [Fact]
    public void DataDirectoryDefaultsDependOnPrivilegeAndXdg()
    {
        var env = new Dictionary<string, string?> { ["HOME"] = "/home/ann" };
        Assert.Equal("/var/lib/flowmesh", AgentOptions.DefaultDataDirectory(true, env.GetValueOrDefault));
        Assert.Equal("/home/ann/.local/share/flowmesh", AgentOptions.DefaultDataDirectory(false, env.GetValueOrDefault));
        env["XDG_DATA_HOME"] = "/data/ann";
        Assert.Equal("/data/ann/flowmesh", AgentOptions.DefaultDataDirectory(false, env.GetValueOrDefault));
        env["XDG_DATA_HOME"] = "relative/ignored"; // the XDG spec says relative paths are invalid
        Assert.Equal("/home/ann/.local/share/flowmesh", AgentOptions.DefaultDataDirectory(false, env.GetValueOrDefault));
    }

    [Fact]
    public void EveryOptionReachesTheOptions()
    {
        var options = Parse([
            "--name", "pc-7", "--data-dir", "/tmp/fmh-x", "-i", "eth0", "--interface", "wlan0", "--capture", "ebpf",
            "--join", "10.0.0.5", "--join", "pc-3.lan:8000", "--join", "[fd00::5]:7000", "--bind", "10.0.0.7:7950",
            "--advertise", "192.0.2.7", "--key-file", "/etc/flowmesh/cluster.key", "--api", "[::1]:9000", "--epoch", "1m",
            "--profile", "wifi", "--no-discovery", "--retention", "36h", "--retention-mib", "64",
            "--retention-1m", "2d", "--retention-10m", "14d", "--retention-1h", "400d",
        ]);
        Assert.Equal("pc-7", options.Name);
        Assert.Equal("/tmp/fmh-x", options.DataDirectory);
        Assert.Equal(["eth0", "wlan0"], options.Interfaces);
        Assert.Equal(CaptureBackend.Ebpf, options.Capture);
        Assert.Equal([new JoinTarget("10.0.0.5", 7946), new JoinTarget("pc-3.lan", 8000), new JoinTarget("fd00::5", 7000)], options.Join);
        Assert.Equal(new IPEndPoint(IPAddress.Parse("10.0.0.7"), 7950), options.Bind);
        Assert.Equal(new IPEndPoint(IPAddress.Parse("192.0.2.7"), 7950), options.Advertise); // the bind port by default
        Assert.Equal("/etc/flowmesh/cluster.key", options.KeyFilePath);
        Assert.Equal(new IPEndPoint(IPAddress.IPv6Loopback, 9000), options.Api);
        Assert.Equal(TimeSpan.FromMinutes(1), options.EpochLength);
        Assert.Equal(MembershipProfile.Wifi, options.Profile);
        Assert.Equal(TimeSpan.FromSeconds(2), options.Membership.ProbeInterval); // the Wi-Fi profile's
        Assert.False(options.Discovery);
        Assert.Equal(TimeSpan.FromHours(36), options.RetentionAge);
        Assert.Equal(TimeSpan.FromDays(2), options.MinuteRetention);
        Assert.Equal(TimeSpan.FromDays(14), options.TenMinuteRetention);
        Assert.Equal(TimeSpan.FromDays(400), options.HourRetention);
        Assert.Equal([TimeSpan.FromHours(36), TimeSpan.FromDays(2), TimeSpan.FromDays(14), TimeSpan.FromDays(400)], options.Retention.Tiers.Select(t => t.Retention));
        Assert.Equal(64L * 1024 * 1024, options.RetentionBytes);
    }

    [Fact]
    public void ApiNoneDisablesTheApiAndPortZeroIsAllowedForTests()
    {
        Assert.Null(Parse(["--api", "none"]).Api);
        Assert.Equal(0, Parse(["--api", "127.0.0.1:0"]).Api!.Port);
        Assert.Equal(0, Parse(["--bind", "127.0.0.1:0"]).Bind.Port);
        Assert.Equal(7947, Parse(["--api", "127.0.0.2"]).Api!.Port);
        Assert.Empty(Parse([]).ApiAllowedHosts);
        Assert.Equal(["flowmesh.lan", "pc7"], Parse(["--api-allow-host", "Flowmesh.LAN.", "--api-allow-host", "pc7"]).ApiAllowedHosts);
    }

    [Theory]
    [InlineData("--epoch", "0s", "--epoch '0s' is not a positive duration")]
    [InlineData("--epoch", "500ms", "--epoch '500ms' must be between 1s and 1h")]
    [InlineData("--epoch", "2h", "must be between 1s and 1h")]
    [InlineData("--epoch", "ten", "is not a positive duration")]
    [InlineData("--bind", "0.0.0.0:99999", "--bind '0.0.0.0:99999': the port must be a number from 1 to 65535")]
    [InlineData("--bind", "example.org:7946", "'example.org' is not an IP address")]
    [InlineData("--bind", "0.0.0.0:0", "with a wildcard address give a port")]
    [InlineData("--api", "localhost:7947", "--api 'localhost:7947': 'localhost' is not an IP address")]
    [InlineData("--api", "127.0.0.1:x", "the port must be a number")]
    [InlineData("--api", "[::1", "is not ADDRESS:PORT")]
    [InlineData("--advertise", "0.0.0.0:7946", "must be an address peers can reach")]
    [InlineData("--join", "10.0.0.5:0", "--join '10.0.0.5:0': the port must be a number from 1 to 65535")]
    [InlineData("--join", "bad host!", "is neither an IP address nor a host name")]
    [InlineData("--join", ":7946", "is not host[:port]")]
    [InlineData("--name", "has space", "--name 'has space' must be 1..64 bytes")]
    [InlineData("--name", "", "--name '' must be 1..64 bytes")]
    [InlineData("--retention", "10m", "--retention '10m' must be between 1h and 3650d")]
    [InlineData("--retention", "90m", "--retention must be at least 2 h")]
    [InlineData("--retention-1h", "5m", "--retention-1h '5m' must be between 1h and 3650d")]
    [InlineData("--retention-1m", "x", "--retention-1m")]
    [InlineData("--retention-mib", "0", "--retention-mib 0 must be between 1 and 1048576")]
    [InlineData("--data-dir", " ", "--data-dir needs a directory")]
    [InlineData("--key-file", "", "--key-file needs a file name")]
    [InlineData("--otlp", "collector:4318", "--otlp needs an http:// or https:// URL")]
    [InlineData("--otlp", "ftp://127.0.0.1/", "--otlp needs an http:// or https:// URL")]
    [InlineData("--otlp-interval", "100ms", "--otlp-interval '100ms' must be between 1s and 1h")]
    public void BadValuesAreRefusedWithAMessageAndTheUsageExitCode(string option, string value, string message)
    {
        var (code, error) = ParseFailure([option, value]);
        Assert.Equal(ExitCodes.UsageError, code);
        Assert.Contains(message, error);
    }

    [Fact]
    public void OtlpTakesACollectorAddressOrAFullUrlAndNoCredentials()
    {
        Assert.Null(Parse([]).Otlp);
        Assert.Equal(TimeSpan.FromSeconds(10), Parse([]).OtlpInterval);
        // A bare collector gets OTLP/HTTP's metrics path, as OTEL_EXPORTER_OTLP_ENDPOINT does; a full URL is kept.
        Assert.Equal(new Uri("http://127.0.0.1:4318/v1/metrics"), Parse(["--otlp", "http://127.0.0.1:4318"]).Otlp);
        Assert.Equal(new Uri("https://otel.example:443/ingest/metrics"), Parse(["--otlp", "https://otel.example:443/ingest/metrics", "--otlp-interval", "30s"]).Otlp);
        Assert.Equal(TimeSpan.FromSeconds(30), Parse(["--otlp", "http://127.0.0.1:4318", "--otlp-interval", "30s"]).OtlpInterval);
        // Credentials in the URL would show in `ps` and in the start line: refused, without echoing them.
        var (code, error) = ParseFailure(["--otlp", "http://ann:s3cret@127.0.0.1:4318"]);
        Assert.Equal(ExitCodes.UsageError, code);
        Assert.Contains("OTEL_EXPORTER_OTLP_HEADERS", error);
        Assert.DoesNotContain("s3cret", error);
        Assert.Equal("http://127.0.0.1:4318/v1/metrics", Flowmesh.Agent.Metrics.OtlpMetricsExport.Printable(new Uri("http://127.0.0.1:4318/v1/metrics?token=abc")));
    }

    [Fact]
    public void ConflictingOptionsAreRefused()
    {
        Assert.Contains("libpcap captures one interface", ParseFailure(["--capture", "pcap", "-i", "a", "-i", "b"]).Error);
        Assert.Contains("no effect with --capture none", ParseFailure(["--capture", "none", "-i", "a"]).Error);
        Assert.Contains("give them different ports", ParseFailure(["--bind", "127.0.0.1:7000", "--api", "127.0.0.1:7000"]).Error);
        Assert.Contains("at least two epochs", ParseFailure(["--epoch", "1h", "--retention", "1h"]).Error);
        Assert.Contains("64 bytes", ParseFailure(["--name", new string('n', 65)]).Error);
        Assert.Contains("--api-allow-host", ParseFailure(["--api-allow-host", "http://evil.example/"]).Error);
        Assert.Contains("--api-allow-host", ParseFailure(["--api-allow-host", "host:7947"]).Error);
    }

    [Fact]
    public void ValuesOutsideTheChoicesAreParseErrors()
    {
        Assert.NotEmpty(Command(out _).Parse(["agent", "--capture", "tcpdump"]).Errors);
        Assert.NotEmpty(Command(out _).Parse(["agent", "--profile", "wan"]).Errors);
    }

    private static AgentOptions Parse(string[] args)
    {
        var seen = new List<AgentOptions>();
        var errors = new List<string>();
        int code = new RootCommand { AgentCommand.Create(o => { seen.Add(o); return 0; }, errors.Add, defaultConfigPath: null) }.Parse(["agent", .. args]).Invoke();
        Assert.True(code == 0, string.Join("\n", errors));
        return Assert.Single(seen);
    }

    private static (int Code, string Error) ParseFailure(string[] args)
    {
        var errors = new List<string>();
        var seen = new List<AgentOptions>();
        var parse = new RootCommand { AgentCommand.Create(o => { seen.Add(o); return 0; }, errors.Add, defaultConfigPath: null) }.Parse(["agent", .. args]);
        Assert.Empty(parse.Errors);
        int code = parse.Invoke();
        Assert.Empty(seen);
        return (code, Assert.Single(errors));
    }

    private static RootCommand Command(out List<AgentOptions> seen)
    {
        var list = new List<AgentOptions>();
        seen = list;
        return new RootCommand { AgentCommand.Create(o => { list.Add(o); return 0; }, _ => { }, defaultConfigPath: null) };
    }
}
