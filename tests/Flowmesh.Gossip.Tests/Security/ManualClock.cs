namespace Flowmesh.Gossip.Tests.Security;

/// <summary>A clock the test moves by hand, so window checks are exact rather than timing-dependent.</summary>
internal sealed class ManualClock(DateTimeOffset start) : TimeProvider
{
    public DateTimeOffset Now { get; set; } = start;

    public override DateTimeOffset GetUtcNow() => Now;

    public void Advance(TimeSpan by) => Now += by;
}
