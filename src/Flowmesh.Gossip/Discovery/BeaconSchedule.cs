namespace Flowmesh.Gossip.Discovery;

/// <summary>
/// When the next beacon goes out: every <see cref="LanDiscoveryOptions.FastInterval"/> during the fast phase after
/// start, then every <see cref="LanDiscoveryOptions.SlowInterval"/> while the node has peers (gossip holds the
/// cluster together; beacons are only for newcomers), or every <see cref="LanDiscoveryOptions.AloneInterval"/>
/// while it has none. Each period is jittered so nodes started together spread out.
/// </summary>
public sealed class BeaconSchedule(LanDiscoveryOptions options, Random random)
{
    public TimeSpan NextDelay(TimeSpan sinceStart, bool hasPeers)
    {
        var period = sinceStart < options.FastPhaseDuration ? options.FastInterval
            : hasPeers ? options.SlowInterval
            : options.AloneInterval;
        return period * (1 - options.Jitter + 2 * options.Jitter * random.NextDouble());
    }
}
