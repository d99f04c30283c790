namespace Flowmesh.Gossip.Tests.Records;

/// <summary>A clock tests set by hand.</summary>
internal sealed class FixedTime(DateTimeOffset now) : TimeProvider
{
    public DateTimeOffset Now { get; set; } = now;
    public override DateTimeOffset GetUtcNow() => Now;
}
