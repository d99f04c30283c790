using System.CommandLine;
using Flowmesh.Agent.Cli;
using Flowmesh.Gossip.Security;

namespace Flowmesh.Agent.Tests.Cli;

public sealed class KeygenCommandTests
{
    [Fact]
    public void PrintsAFreshKeyThatParsesBackAsAClusterKey()
    {
        string first = Run(), second = Run();
        Assert.Equal(32, Convert.FromBase64String(first).Length);
        Assert.NotEqual(first, second);
        Assert.Equal(first, ClusterKey.Parse(first).ExportBase64());
    }

    private static string Run()
    {
        var output = new StringWriter();
        var original = Console.Out;
        Console.SetOut(output);
        try
        {
            Assert.Equal(0, new RootCommand { KeygenCommand.Create() }.Parse(["keygen"]).Invoke());
        }
        finally
        {
            Console.SetOut(original);
        }
        return output.ToString().Trim();
    }
}
