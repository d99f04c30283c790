using Flowmesh.Core.Flows;

namespace Flowmesh.Capture;

/// <summary>
/// Anything that observes traffic: a pcap file, a libpcap live handle, the eBPF flow map. Each source owns its loop
/// and pushes what it sees into an <see cref="ICaptureSink"/>: packet sources as frames, the eBPF source as flows
/// the kernel aggregated, both with the passing of time.
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

    /// <summary>As <see cref="Run(FlowMeter, CancellationToken)"/>, into any sink (the agent's feeds its epoch summarizer).</summary>
    void Run<TSink>(TSink sink, CancellationToken cancellationToken) where TSink : ICaptureSink;

    /// <summary>A snapshot; safe to call from another thread while <see cref="Run"/> is going.</summary>
    CaptureStatistics Statistics { get; }
}
