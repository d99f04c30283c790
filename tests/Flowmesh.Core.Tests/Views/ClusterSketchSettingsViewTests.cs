using Flowmesh.Core.Epochs;
using Flowmesh.Core.Tests.Epochs;
using Flowmesh.Core.Views;
using static Flowmesh.Core.Tests.Views.ViewTraffic;

namespace Flowmesh.Core.Tests.Views;

/// <summary>
/// Issue 16: given the cluster's sketch settings, the view merges records built with them however many records use
/// others. Without them (the view before, and files today) the majority wins: three origins with other settings
/// outvote two with the cluster's and the cluster's records drop out of the window.
/// </summary>
public sealed class ClusterSketchSettingsViewTests
{
    private const int Seconds = 30;
    private static readonly ViewWindow Window = ViewWindow.Between(T0, T0 + Seconds * Second);
    private static readonly long Settled = T0 + (Seconds + 30) * Second;

    [Fact]
    public void The_clusters_settings_are_merged_even_when_most_records_use_others()
    {
        var random = new Random(16);
        var honest = Enumerable.Range(0, 2).SelectMany(o => Summarize(o, Normal(random, o, T0, Seconds))).ToList();
        var others = EpochSummaryOptions.Default with { TopCapacity = 8 };
        var hostile = Enumerable.Range(2, 3).SelectMany(o =>
            EpochTestTraffic.Summarize(Normal(random, o, T0, Seconds), Epoch, Origin(o), options: others)).ToList();
        var expected = Enumerable.Range(0, 5).Select(o => new ExpectedOrigin(Origin(o), OriginLiveness.Alive));
        double honestBytes = GlobalView.Build(honest, [], Settled, Window).Totals().Bytes.Value;

        var majority = GlobalView.Build(honest.Concat(hostile), expected, Settled, Window);
        Assert.NotEqual(honestBytes, majority.Totals().Bytes.Value); // the insiders' settings won

        var options = GlobalViewOptions.Default with { EpochLength = Epoch, SketchSettings = EpochRecord.SketchSettingsOf(EpochTestTraffic.Key, EpochSummaryOptions.Default) };
        var fixedSettings = GlobalView.Build(honest.Concat(hostile), expected, Settled, Window, options);
        Assert.Equal(honestBytes, fixedSettings.Totals().Bytes.Value);
        Assert.Contains("other sketch parameters", Assert.Single(fixedSettings.Coverage.Conflicts));
    }
}
