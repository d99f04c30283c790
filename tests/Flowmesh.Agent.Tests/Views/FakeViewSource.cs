using Flowmesh.Agent.ViewSources;
using Flowmesh.Core.Epochs;
using Flowmesh.Core.Views;

namespace Flowmesh.Agent.Tests.Views;

/// <summary>An <see cref="IViewSource"/> over a fixed list of records, with a clock the test moves.</summary>
internal sealed class FakeViewSource(IReadOnlyList<EpochRecord> records, IReadOnlyList<ExpectedOrigin> expected, long nowMicros) : IViewSource
{
    private long _now = nowMicros;
    private int _reads;

    public int Reads => Volatile.Read(ref _reads);

    public long NowMicros
    {
        get => Interlocked.Read(ref _now);
        set => Interlocked.Exchange(ref _now, value);
    }

    public TimeSpan EpochLength => ViewTestTraffic.Epoch;

    public IReadOnlyList<ExpectedOrigin> ExpectedOrigins() => expected;

    public IReadOnlyList<EpochRecord> RecordsOverlapping(long fromMicros, long toMicros)
    {
        Interlocked.Increment(ref _reads);
        return records.Where(r => r.Id.StartMicros < toMicros && fromMicros < r.Id.EndMicros).ToList();
    }
}
