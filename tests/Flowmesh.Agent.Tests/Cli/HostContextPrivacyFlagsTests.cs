using System.CommandLine;
using Flowmesh.Agent.Cli;
using Flowmesh.Agent.Hosting;
using Flowmesh.Core.HostContext;

namespace Flowmesh.Agent.Tests.Cli;

/// <summary>--share-programs, --share-users, --share-names: the documented defaults, every mode, and refusals.</summary>
public sealed class HostContextPrivacyFlagsTests
{
    [Fact]
    public void DefaultsShareProgramsAndNamesAndKeepUsersLocal()
    {
        var (code, options, _) = Run([]);
        Assert.Equal(0, code);
        Assert.Equal(new HostContextPrivacy { Programs = SharingMode.Shared, Users = SharingMode.Local, Names = SharingMode.Shared }, options!.Privacy);
    }

    [Theory]
    [InlineData("hashed", "shared", "off", SharingMode.Hashed, SharingMode.Shared, SharingMode.Off)]
    [InlineData("local", "off", "hashed", SharingMode.Local, SharingMode.Off, SharingMode.Hashed)]
    [InlineData("OFF", "Hashed", "local", SharingMode.Off, SharingMode.Hashed, SharingMode.Local)]
    public void EveryModeReachesTheOptions(string programs, string users, string names, SharingMode p, SharingMode u, SharingMode n)
    {
        var (code, options, _) = Run(["--share-programs", programs, "--share-users", users, "--share-names", names]);
        Assert.Equal(0, code);
        Assert.Equal(new HostContextPrivacy { Programs = p, Users = u, Names = n }, options!.Privacy);
    }

    [Fact]
    public void AnUnknownModeIsAUsageErrorNamingTheFlag()
    {
        var (code, options, error) = Run(["--share-users", "public"]);
        Assert.NotEqual(0, code);
        Assert.Null(options);
        Assert.Contains("--share-users 'public'", error);
        Assert.Contains("shared, hashed, local or off", error);
    }

    private static (int Code, AgentOptions? Options, string Error) Run(string[] args)
    {
        var seen = new List<AgentOptions>();
        var errors = new List<string>();
        int code = new RootCommand { AgentCommand.Create(o => { seen.Add(o); return 0; }, errors.Add, defaultConfigPath: null) }.Parse(["agent", .. args]).Invoke();
        return (code, seen.SingleOrDefault(), string.Join("\n", errors));
    }
}
