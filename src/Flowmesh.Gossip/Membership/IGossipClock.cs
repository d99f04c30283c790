namespace Flowmesh.Gossip.Membership;

/// <summary>
/// Time and timers for the protocol: monotonic <see cref="Now"/> and one-shot callbacks. Callbacks and
/// <see cref="MembershipNode.HandlePacket(GossipAddress, ReadOnlySpan{byte})"/> must run on one logical thread (the node is not thread-safe), which a
/// real event loop and the simulator's virtual clock both guarantee.
/// </summary>
public interface IGossipClock
{
    TimeSpan Now { get; }

    /// <summary>Runs <paramref name="callback"/> once after <paramref name="delay"/>; dispose the result to cancel.</summary>
    IDisposable Schedule(TimeSpan delay, Action callback);
}
