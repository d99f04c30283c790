using Flowmesh.Core.Flows;

namespace Flowmesh.Capture;

/// <summary>
/// Anything that observes traffic: a pcap file, a libpcap live handle, the eBPF flow map.
/// A source pushes what it sees into a <see cref="FlowMeter"/>: packet sources as frames,
/// the eBPF source (later) as pre-aggregated counters.
/// </summary>
public interface ICaptureSource : IDisposable
{
    /// <summary>For messages: "pcap file capture.pcapng", "libpcap eth0 (filter: tcp)".</summary>
    string Description { get; }

    /// <summary>
    /// Feeds the meter until the input ends (files) or <paramref name="cancellationToken"/> is
    /// cancelled (live). Returns normally in both cases; a damaged file ends the run early and says
    /// where in <see cref="CaptureStatistics.StoppedEarly"/>.
    /// </summary>
    void Run(FlowMeter meter, CancellationToken cancellationToken);

    /// <summary>A snapshot; safe to call from another thread while <see cref="Run"/> is going.</summary>
    CaptureStatistics Statistics { get; }
}
