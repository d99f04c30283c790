namespace Flowmesh.Benchmarks;

/// <summary>A clock the benchmark moves by hand (one epoch per simulated round).</summary>
internal sealed class FixedClock(DateTimeOffset now) : TimeProvider
{
    public DateTimeOffset Now { get; set; } = now;

    public override DateTimeOffset GetUtcNow() => Now;
}
