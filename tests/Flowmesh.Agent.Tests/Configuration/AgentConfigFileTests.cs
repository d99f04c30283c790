using System.CommandLine;
using System.Text;
using Flowmesh.Agent.Cli;
using Flowmesh.Agent.Configuration;

namespace Flowmesh.Agent.Tests.Configuration;

/// <summary>
/// The configuration file decoder on good, truncated, random and hostile input: every bad file is refused with one
/// message that names the file (and the setting, where one is to blame), nothing throws, nothing hangs.
/// </summary>
public sealed class AgentConfigFileTests
{
    private const string Path = "/etc/flowmesh/agent.json";

    internal static IReadOnlyDictionary<string, SettingKind> Schema()
    {
        var command = AgentCommand.Create(_ => 0, _ => { }, defaultConfigPath: null);
        return AgentSettings.Schema(command, [.. command.Options.Where(o => o.Name is "--config" or "--print-config")]);
    }

    private static (AgentConfigFile? File, string? Error) Decode(string text) => Decode(Encoding.UTF8.GetBytes(text));

    private static (AgentConfigFile? File, string? Error) Decode(byte[] bytes)
    {
        var file = AgentConfigFile.Decode(bytes, Path, Schema(), out string? error);
        Assert.True((file is null) != (error is null), "exactly one of a file and an error");
        if (error is not null) Assert.StartsWith(Path + ": ", error);
        return (file, error);
    }

    [Fact]
    public void EveryKindOfSettingDecodes()
    {
        var (file, error) = Decode("""
            // a comment, and a trailing comma below
            { "name": "pc-7", "join": ["10.0.0.5", "pc-3:7000"], "no-discovery": true, "retention-mib": 64, "interface": [], "ipfix-rate": 2500.5, }
            """);
        Assert.Null(error);
        Assert.Equal(["pc-7"], file!.Values["name"]);
        Assert.Equal(["10.0.0.5", "pc-3:7000"], file.Values["join"]);
        Assert.Equal(["true"], file.Values["no-discovery"]);
        Assert.Equal(["64"], file.Values["retention-mib"]);
        Assert.Empty(file.Values["interface"]);
        Assert.Equal(["2500.5"], file.Values["ipfix-rate"]);
        Assert.Equal(6, file.Values.Count);
    }

    [Fact]
    public void TheSchemaHasEveryAgentFlagButConfigAndPrintConfig()
    {
        var schema = Schema();
        var command = AgentCommand.Create(_ => 0, _ => { }, defaultConfigPath: null);
        var flags = command.Options.Select(o => o.Name.TrimStart('-')).Where(n => n is not ("config" or "print-config")).ToHashSet();
        Assert.Equal(flags.Order(), schema.Keys.Order());
        Assert.Equal(SettingKind.TextList, schema["join"]);
        Assert.Equal(SettingKind.Switch, schema["no-discovery"]);
        Assert.Equal(SettingKind.Integer, schema["retention-mib"]);
        Assert.Equal(SettingKind.Text, schema["epoch"]);
        Assert.Equal(SettingKind.Number, schema["ipfix-rate"]);
    }

    [Theory]
    [InlineData("""{"epooch": "10s"}""", "unknown setting 'epooch' (did you mean 'epoch'?)")]
    [InlineData("""{"--join": ["a"]}""", "unknown setting '--join' (without the dashes: 'join')")]
    [InlineData("""{"password": "x"}""", "unknown setting 'password'")]
    [InlineData("""{"config": "/etc/other.json"}""", "unknown setting 'config'")]
    [InlineData("""{"name": "a", "name": "b"}""", "setting 'name' is given twice")]
    [InlineData("""{"name": 7}""", "setting 'name' must be a string, not a number")]
    [InlineData("""{"name": null}""", "setting 'name' must be a string, not null")]
    [InlineData("""{"ipfix-rate": "fast"}""", "setting 'ipfix-rate' must be a number, not a string")]
    [InlineData("""{"join": "10.0.0.5"}""", "setting 'join' must be a list of strings")]
    [InlineData("""{"join": ["10.0.0.5", 7]}""", "setting 'join' must be a list of strings [\"...\", ...] (at most 1024), not a list holding other than strings")]
    [InlineData("""{"join": [["nested"]]}""", "setting 'join' must be a list of strings")]
    [InlineData("""{"no-discovery": "yes"}""", "setting 'no-discovery' must be true or false, not a string")]
    [InlineData("""{"retention-mib": 1.5}""", "setting 'retention-mib' must be a whole number, not a number that is not a whole 64-bit number")]
    [InlineData("""{"retention-mib": 99999999999999999999}""", "setting 'retention-mib' must be a whole number")]
    [InlineData("""{"retention-mib": "512"}""", "setting 'retention-mib' must be a whole number, not a string")]
    [InlineData("""["name", "pc-7"]""", "must hold one JSON object")]
    [InlineData("""{"name": "a"} {"name": "b"}""", "not valid JSON at line 1, column 15")]
    [InlineData("", "not valid JSON")]
    [InlineData("{", "not valid JSON")]
    [InlineData("""{"name": "pc-7" "epoch": "1m"}""", "not valid JSON at line 1")]
    [InlineData("""{"a": {"b": {"c": {"d": {"e": 1}}}}}""", "not valid JSON")]
    public void BadFilesAreRefusedNamingTheSetting(string text, string expected)
    {
        var (file, error) = Decode(text);
        Assert.Null(file);
        Assert.Contains(expected, error);
    }

    [Fact]
    public void HostileKeysAreEchoedPrintableAndShort()
    {
        var (_, error) = Decode("{\"na\\u001b[31mme" + new string('x', 5000) + "\": 1}");
        Assert.DoesNotContain('\u001b', error!);
        Assert.True(error!.Length < 400, error);
    }

    [Fact]
    public void InvalidUtf8AndByteOrderMarks()
    {
        Assert.Null(Decode([0xEF, 0xBB, 0xBF, .. "{\"name\": \"pc-7\"}"u8]).Error);
        Assert.Contains("not UTF-8", Decode([.. "{\"name\": \""u8, 0xC3, 0x28, .. "\"}"u8]).Error);
        Assert.Contains("not UTF-8", Decode([.. "{\""u8, 0xFF, .. "\": 1}"u8]).Error);
    }

    [Fact]
    public void EveryTruncationOfAGoodFileIsRefusedOrAPrefixOfIt()
    {
        byte[] good = Uncommented();
        var full = Decode(good).File!;
        for (int length = 0; length < good.Length; length++)
        {
            var (file, _) = Decode(good[..length]);
            // A cut inside the trailing comments still holds the whole object; any other cut is refused.
            if (file is not null) Assert.Equal(full.Values.Keys.Order(), file.Values.Keys.Order());
        }
    }

    [Fact]
    public void RandomAndMutatedInputNeverThrows()
    {
        var random = new Random(18);
        byte[] good = Uncommented();
        for (int i = 0; i < 3000; i++)
        {
            byte[] input;
            if (i % 2 == 0)
            {
                input = new byte[random.Next(0, 200)];
                random.NextBytes(input);
            }
            else
            {
                input = (byte[])good.Clone();
                for (int flips = random.Next(1, 8); flips > 0; flips--) input[random.Next(input.Length)] = (byte)random.Next(256);
            }
            Decode(input); // asserts one of file/error, and that an error names the file
        }
    }

    [Fact]
    public void LargeFilesAreRefusedWithoutReadingThemWhole()
    {
        string path = System.IO.Path.Combine(Directory.CreateTempSubdirectory("fmh-config-").FullName, "agent.json");
        try
        {
            using (var stream = File.Create(path)) stream.SetLength(64L << 20); // 64 MiB of zeros, sparse
            var file = AgentConfigFile.Load(path, Schema(), out string? error);
            Assert.Null(file);
            Assert.Contains("larger than 1024 KiB", error);
            Assert.Null(AgentConfigFile.Load(path + ".missing", Schema(), out error));
            Assert.Contains("cannot be read", error);
        }
        finally
        {
            Directory.Delete(System.IO.Path.GetDirectoryName(path)!, recursive: true);
        }
    }

    /// <summary>deploy/agent.json with every setting's comment marks removed: every setting, each with a value of its type.</summary>
    internal static byte[] Uncommented() =>
        Encoding.UTF8.GetBytes(string.Join('\n', File.ReadAllLines(DeployFile("agent.json")).Select(l => l.StartsWith("  // \"", StringComparison.Ordinal) ? "  " + l[5..] : l)));

    internal static string DeployFile(string name) => RepositoryRoot.File("deploy", name);
}
