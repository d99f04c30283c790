using System.Text.Json;
using Flowmesh.Agent.Tests.Hosting;

namespace Flowmesh.Agent.Tests.Cli;

/// <summary>`flowmesh simulate` as an operator runs it: the documented JSON fields on stdout, progress on stderr.</summary>
public sealed class SimulateCommandTests
{
    [Fact]
    public void Json_has_the_documented_fields_and_progress_goes_to_stderr()
    {
        var (code, stdout, stderr) = AgentProcess.Cli("simulate", "--nodes", "10", "--epochs", "3", "--format", "json");
        Assert.Equal(0, code);
        using var json = JsonDocument.Parse(stdout);
        var root = json.RootElement;
        Assert.Equal(10, root.GetProperty("nodes").GetInt32());
        Assert.Equal(1, root.GetProperty("zones").GetInt32());
        Assert.Equal(1, root.GetProperty("levels").GetInt32());
        Assert.True(root.GetProperty("exactly_once").GetBoolean());
        Assert.Equal(0, root.GetProperty("lost_sealed_records").GetInt32());
        foreach (string field in new[] { "bytes_per_node_per_second", "records_per_node_per_epoch", "cpu_percent_per_node", "coverage_seconds" })
            Assert.True(root.GetProperty(field).GetDouble() > 0, field);
        Assert.Contains("simulate: epoch 3/3", stderr);
        Assert.DoesNotContain("simulate:", stdout);
    }

    [Fact]
    public void A_plan_it_cannot_run_is_a_usage_error()
    {
        var (code, _, stderr) = AgentProcess.Cli("simulate", "--nodes", "1");
        Assert.Equal(2, code);
        Assert.Contains("--nodes 1", stderr);
        (code, _, stderr) = AgentProcess.Cli("simulate", "--loss", "0.9");
        Assert.Equal(2, code);
        Assert.Contains("--loss", stderr);
    }
}
