namespace Flowmesh.Agent.Storage;

/// <summary>
/// The "now" retention prunes by (issue 15: a +8 day jump of the wall clock deleted all history and then refused
/// own and replicated records for a day). It is the cluster's time (<see cref="Gossip.Membership.ClusterTime"/>), but
/// never later than the last confirmed time plus the monotonic time elapsed since (plus <see cref="Slack"/>): a jump
/// of the wall clock cannot move retention further than the monotonic clock did. Going back is always allowed (it
/// deletes less). What confirms a later time: at least <see cref="ConfirmingPeers"/> peers whose clocks agree with it
/// (the median of a majority), which also covers a legitimate gap the monotonic clock does not count (a suspended
/// laptop). Each prune that was held back is counted, so the operator sees it. Thread-safe.
/// </summary>
public sealed class RetentionClock
{
    /// <summary>Tolerated lead of the wall clock over the monotonic one (slews, rounding) before retention holds back.</summary>
    public static readonly TimeSpan Slack = TimeSpan.FromMinutes(1);

    /// <summary>Sampled peers needed for the cluster's time to confirm a jump: with two, a lone wrong clock is outvoted.</summary>
    public const int ConfirmingPeers = 2;

    /// <summary>Offsets beyond a century are not a clock, they are an error: retention then uses the wall clock alone.</summary>
    private static readonly TimeSpan Sane = TimeSpan.FromDays(365 * 100);

    private readonly TimeProvider _wall;
    private readonly Func<(TimeSpan SelfOffset, int PeersSampled)> _cluster;
    private readonly object _lock = new();
    private DateTimeOffset _anchor;
    private long _anchorTimestamp;
    private long _heldBack;

    /// <param name="cluster">This node's clock offset from the cluster's time and how many peers it was sampled against.</param>
    public RetentionClock(TimeProvider wall, Func<(TimeSpan SelfOffset, int PeersSampled)> cluster)
    {
        ArgumentNullException.ThrowIfNull(wall);
        ArgumentNullException.ThrowIfNull(cluster);
        _wall = wall;
        _cluster = cluster;
        _anchor = wall.GetUtcNow();
        _anchorTimestamp = wall.GetTimestamp();
    }

    /// <summary>Prunes that wanted a later time than the monotonic clock allowed (the wall clock jumped ahead, unconfirmed).</summary>
    public long HeldBack => Interlocked.Read(ref _heldBack);

    /// <summary>The time to prune by, and how much later the wall/cluster clock claimed it was (zero when not held back).</summary>
    public (DateTimeOffset Now, TimeSpan HeldBackBy) Now()
    {
        var (selfOffset, peers) = _cluster();
        var wall = _wall.GetUtcNow();
        var cluster = selfOffset > -Sane && selfOffset < Sane ? wall - selfOffset : wall;
        lock (_lock)
        {
            var monotonic = _anchor + _wall.GetElapsedTime(_anchorTimestamp);
            if (cluster <= monotonic + Slack || peers >= ConfirmingPeers)
            {
                // Confirmed (or not ahead): the monotonic reference follows, so a later jump is measured from here.
                _anchor = cluster;
                _anchorTimestamp = _wall.GetTimestamp();
                return (cluster, TimeSpan.Zero);
            }
            Interlocked.Increment(ref _heldBack);
            return (monotonic, cluster - monotonic);
        }
    }
}
