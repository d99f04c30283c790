using Flowmesh.Gossip.Planning;

namespace Flowmesh.Gossip.Tests.Planning;

/// <summary>
/// The planning run behind `flowmesh simulate`: its figures against the flat-replication model of
/// docs/replication.md, and its checks (views against the records' flows, records of crashed nodes) on a run with
/// loss and crashes.
/// </summary>
public sealed class PlanningRunTests
{
    private static readonly PlanningOptions Small = new() { Nodes = 30, Epochs = 6, Loss = 0.01, Crash = 0.1, Seed = 4 };

    [Fact]
    public void A_small_cluster_with_loss_and_crashes_matches_the_flat_model()
    {
        var result = PlanningRun.Run(Small);
        Assert.True(result.ExactlyOnce);
        Assert.Equal(16, result.ViewsChecked);
        Assert.Equal(3, result.CrashedNodes);
        Assert.Equal(0, result.LostSealedRecords);
        Assert.NotNull(result.CoverageSeconds);
        Assert.InRange(result.CoverageSeconds!.Value, 0.5, 15);
        // Each node receives the others' records once: 29 per epoch before the crash, 26 after (plus the dead nodes'
        // last ones), a few more when a record arrives by push and pull in the same second.
        Assert.InRange(result.RecordsPerNodePerEpoch, 24, 31);
        // Flat model: in + out ≈ 2 · (N − 1) · S / E, the digests on top (docs/replication.md "Scale plan").
        double model = 2 * (Small.Nodes - 1) * result.MeanRecordBytes / 10;
        Assert.InRange(result.BytesPerNodePerSecond, 0.75 * model, 1.35 * model);
        Assert.Equal(result.RecordsPerNodePerEpoch * 5 / 10_000 * 100, result.CpuPercentPerNode, 6);
        Assert.InRange(result.MeanRecordBytes, 5_000, 7_000);
    }

    [Fact]
    public void The_same_seed_gives_the_same_run()
    {
        var options = Small with { Nodes = 12, Epochs = 3 };
        var a = PlanningRun.Run(options) with { WallSeconds = 0 };
        var b = PlanningRun.Run(options) with { WallSeconds = 0 };
        Assert.Equal(a, b);
    }

    [Theory]
    [InlineData(1, 12, 0.0, 0.0)]
    [InlineData(10, 0, 0.0, 0.0)]
    [InlineData(10, 12, 0.6, 0.0)]
    [InlineData(10, 12, 0.0, 1.0)]
    [InlineData(10, 12, double.NaN, 0.0)]
    public void Impossible_plans_are_refused(int nodes, int epochs, double loss, double crash) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => PlanningRun.Run(new PlanningOptions { Nodes = nodes, Epochs = epochs, Loss = loss, Crash = crash }));
}
