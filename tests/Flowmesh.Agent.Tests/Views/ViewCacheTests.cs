using Flowmesh.Agent.ViewSources;
using Flowmesh.Core.Detections;
using Flowmesh.Core.Views;
using static Flowmesh.Agent.Tests.Views.ViewTestTraffic;

namespace Flowmesh.Agent.Tests.Views;

/// <summary>The cache builds each window once per refresh interval, shares it across threads and with the detection round, and stays bounded.</summary>
public sealed class ViewCacheTests
{
    private static readonly ViewTestTraffic Traffic = Generate(seed: 7, origins: 3, start: T0, seconds: 120);
    private static readonly ExpectedOrigin[] Expected = Traffic.Origins.Select(o => new ExpectedOrigin(o, OriginLiveness.Alive)).ToArray();

    private static FakeViewSource Source() => new(Traffic.Records, Expected, T0 + 125 * Second);

    [Fact]
    public void OneBuildPerIntervalWhateverTheNumberOfRequests()
    {
        var source = Source();
        var cache = new ViewCache(source);
        var first = cache.Last(TimeSpan.FromMinutes(5));
        Assert.Same(first, cache.Last(TimeSpan.FromMinutes(5)));
        source.NowMicros += 9 * Second; // still within one epoch of the build
        Assert.Same(first, cache.Last(TimeSpan.FromMinutes(5)));
        Assert.Equal(1, cache.Builds);
        Assert.Equal(1, source.Reads);

        source.NowMicros += 1 * Second; // a full epoch after the build: rebuilt, and the window moved with the clock
        var second = cache.Last(TimeSpan.FromMinutes(5));
        Assert.NotSame(first, second);
        Assert.Equal(2, cache.Builds);
        Assert.Equal(first.Window.ToMicros + 10 * Second, second.Window.ToMicros);
    }

    [Fact]
    public void LongWindowsAreRebuiltLessOften()
    {
        var source = Source();
        var cache = new ViewCache(source);
        var day = cache.Last(TimeSpan.FromHours(24));
        source.NowMicros += 23 * 60 * Second; // 24 h / 60 = 24 min
        Assert.Same(day, cache.Last(TimeSpan.FromHours(24)));
        source.NowMicros += 60 * Second;
        Assert.NotSame(day, cache.Last(TimeSpan.FromHours(24)));
        Assert.Equal(2, cache.Builds);
        Assert.Equal(10 * Second, cache.RefreshMicros(ViewWindow.Between(0, 5 * 60 * Second)));
    }

    [Fact]
    public void ConcurrentRequestsForOneWindowWaitForASingleBuild()
    {
        var source = Source();
        var cache = new ViewCache(source);
        var views = new GlobalView[16];
        Parallel.For(0, views.Length, new ParallelOptions { MaxDegreeOfParallelism = 8 }, i => views[i] = cache.Last(TimeSpan.FromMinutes(1)));
        Assert.Equal(1, cache.Builds);
        Assert.All(views, v => Assert.Same(views[0], v));
    }

    [Fact]
    public void DifferentWindowsAreSeparateAndTheCacheIsBounded()
    {
        var source = Source();
        var cache = new ViewCache(source, new ViewCacheOptions { Capacity = 2 });
        var oneMinute = cache.Last(TimeSpan.FromMinutes(1));
        var explicitWindow = cache.Between(ViewWindow.Between(T0, T0 + 60 * Second));
        Assert.Equal(TimeSpan.FromMinutes(1), oneMinute.Window.Length);
        Assert.Equal(T0, explicitWindow.Window.FromMicros);
        Assert.Equal(2, cache.Builds);
        cache.Last(TimeSpan.FromMinutes(5)); // a third window evicts the least recently used (1 min)
        Assert.Equal(3, cache.Builds);
        Assert.Same(explicitWindow, cache.Between(ViewWindow.Between(T0, T0 + 60 * Second)));
        Assert.NotSame(oneMinute, cache.Last(TimeSpan.FromMinutes(1)));
        Assert.Equal(4, cache.Builds);
    }

    [Fact]
    public void DetectionRoundSharesTheCachedViewsAndRunsOncePerInterval()
    {
        var source = Source();
        var cache = new ViewCache(source);
        var rounds = new DetectionRounds(cache, new DetectionEngine());
        Assert.True(rounds.EvaluateIfDue());
        long builds = cache.Builds;
        Assert.Equal(rounds.Engine.WindowLengths.Count, builds); // one view per distinct detection window
        Assert.False(rounds.EvaluateIfDue());
        cache.Last(rounds.Engine.Options.ScanWindow); // what the API asks for next is already built
        Assert.Equal(builds, cache.Builds);
        source.NowMicros += 10 * Second;
        Assert.True(rounds.EvaluateIfDue());
        Assert.Equal(2, rounds.Rounds);
    }

    [Fact]
    public void OptionsAreValidated()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new ViewCache(Source(), new ViewCacheOptions { Capacity = 0 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => new ViewCache(Source(), new ViewCacheOptions { RefreshInterval = TimeSpan.Zero }));
        Assert.Throws<ArgumentOutOfRangeException>(() => new ViewCache(Source(), new ViewCacheOptions { LongWindowRefreshFraction = double.NaN }));
    }
}
