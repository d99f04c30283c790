using System.Net;
using Flowmesh.Agent.Cli;
using Flowmesh.Agent.Hosting;
using Flowmesh.Capture;
using System.CommandLine;

namespace Flowmesh.Agent.Tests.Configuration;

/// <summary>`flowmesh agent --config FILE` and `--print-config`: flags over the file over the defaults, and errors that say where the mistake is.</summary>
public sealed class AgentSettingsTests : IDisposable
{
    private readonly DirectoryInfo _directory = Directory.CreateTempSubdirectory("fmh-settings-");

    public void Dispose() => _directory.Delete(recursive: true);

    private string WriteFile(string text, string name = "agent.json")
    {
        string path = Path.Combine(_directory.FullName, name);
        File.WriteAllText(path, text);
        return path;
    }

    private static (int Code, AgentOptions? Options, string Output, string Error) Run(string[] args, string? defaultConfigPath = null)
    {
        var seen = new List<AgentOptions>();
        var errors = new List<string>();
        var output = new StringWriter();
        int code = new RootCommand { AgentCommand.Create(o => { seen.Add(o); return 0; }, errors.Add, defaultConfigPath, output) }.Parse(["agent", .. args]).Invoke();
        return (code, seen.SingleOrDefault(), output.ToString(), string.Join("\n", errors));
    }

    [Fact]
    public void FlagsOverrideTheFileAndTheFileOverridesDefaults()
    {
        string path = WriteFile("""{ "name": "from-file", "epoch": "1m", "join": ["10.0.0.5", "10.0.0.6"], "no-discovery": true, "retention-mib": 64 }""");
        var (code, options, _, error) = Run(["--config", path, "--epoch", "30s", "--join", "10.0.0.9"]);
        Assert.True(code == 0, error);
        Assert.Equal("from-file", options!.Name);
        Assert.Equal(TimeSpan.FromSeconds(30), options.EpochLength);
        Assert.Equal([new JoinTarget("10.0.0.9", 7946)], options.Join); // a repeatable flag replaces the file's list, not adds to it
        Assert.False(options.Discovery);
        Assert.Equal(64L << 20, options.RetentionBytes);
        Assert.Equal(new IPEndPoint(IPAddress.Loopback, 7947), options.Api); // default
    }

    [Fact]
    public void PrintConfigShowsEverySettingWithItsSourceAndDoesNotRun()
    {
        string key = WriteFile("0123456789abcdef0123456789abcdef", "cluster.key");
        string path = WriteFile($$"""{ "name": "from-file", "epoch": "1m", "key-file": "{{key}}", "capture": "none" }""");
        var (code, options, output, error) = Run(["--config", path, "--epoch", "30s", "--print-config", "--data-dir", _directory.FullName]);
        Assert.True(code == 0, error);
        Assert.Null(options); // printed, not run
        var rows = output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Skip(2)
            .Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries)).ToDictionary(c => c[0], c => (Value: string.Join(' ', c[1..^1]), Source: c[^1]));
        Assert.StartsWith($"# configuration file: {path}\n", output);
        Assert.Equal(("from-file", "file"), rows["name"]);
        Assert.Equal(("30s", "flag"), rows["epoch"]);
        Assert.Equal((key, "file"), rows["key-file"]);
        Assert.Equal(("none", "file"), rows["capture"]);
        Assert.Equal(("127.0.0.1:7947", "default"), rows["api"]);
        Assert.Equal((Path.Combine(_directory.FullName, "api.token"), "default"), rows["api-token-file"]); // resolved, not "-"
        Assert.Equal(AgentConfigFileTests.Schema().Keys.Order(), rows.Keys.Order());
        Assert.DoesNotContain("0123456789abcdef", output); // the key file's path, never its contents
    }

    [Fact]
    public void TheDefaultFileIsReadOnlyWhenItExists()
    {
        string path = WriteFile("""{ "name": "default-file" }""");
        Assert.Equal("default-file", Run([], defaultConfigPath: path).Options!.Name);
        var (code, _, output, _) = Run(["--print-config"], defaultConfigPath: path + ".absent");
        Assert.Equal(0, code);
        Assert.StartsWith($"# configuration file: none ({path}.absent does not exist)", output);
        // An explicit --config must exist.
        var missing = Run(["--config", path + ".absent"]);
        Assert.Equal(2, missing.Code);
        Assert.Contains($"{path}.absent: cannot be read", missing.Error);
    }

    [Theory]
    [InlineData("""{ "capture": "tcpdump" }""", "setting 'capture': Argument 'tcpdump' not recognized")]
    [InlineData("""{ "epoch": "ten seconds" }""", "--epoch 'ten seconds' is not a positive duration")]
    [InlineData("""{ "epoch": "ten seconds" }""", "(setting 'epoch' in ")]
    [InlineData("""{ "retention-mib": 0 }""", "(setting 'retention-mib' in ")]
    [InlineData("""{ "zone": "a/b/c/d/e/f/g/h/i" }""", "(setting 'zone' in ")]
    [InlineData("""{ "name": "pc-7", "nmae": "pc-8" }""", "unknown setting 'nmae' (did you mean 'name'?)")]
    public void AValueTheFlagWouldRefuseIsRefusedNamingTheFileAndSetting(string text, string expected)
    {
        string path = WriteFile(text);
        var (code, options, _, error) = Run(["--config", path]);
        Assert.Equal(2, code);
        Assert.Null(options);
        Assert.Contains(expected, error);
    }

    [Fact]
    public void TheShippedFileListsEverySettingAndChangesNothingAsShipped()
    {
        // As shipped every setting is commented out: the agent runs on its defaults.
        string shipped = AgentConfigFileTests.DeployFile("agent.json");
        var asShipped = Run(["--config", shipped, "--print-config"]);
        var none = Run(["--print-config"]);
        Assert.True(asShipped.Code == 0, asShipped.Error);
        Assert.Equal(none.Output.Split('\n')[1..], asShipped.Output.Split('\n')[1..]);
        Assert.DoesNotContain(" file\n", asShipped.Output);
        // Uncommented, it holds every setting the agent has, each with a value of the right type that the agent accepts.
        string every = WriteFile(System.Text.Encoding.UTF8.GetString(AgentConfigFileTests.Uncommented()));
        var file = Flowmesh.Agent.Configuration.AgentConfigFile.Load(every, AgentConfigFileTests.Schema(), out string? error);
        Assert.True(file is not null, error);
        Assert.Equal(AgentConfigFileTests.Schema().Keys.Order(), file.Values.Keys.Order());
        var all = Run(["--config", every]);
        Assert.True(all.Code == 0, all.Error);
        Assert.Equal(CaptureBackend.Ebpf, all.Options!.Capture);
        Assert.Equal("pc-7", all.Options.Name);
    }
}
