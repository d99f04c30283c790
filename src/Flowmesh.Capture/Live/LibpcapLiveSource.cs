using System.Diagnostics;
using Flowmesh.Core.Flows;

namespace Flowmesh.Capture.Live;

/// <summary>
/// A live interface as a capture source: frames go to the meter as they arrive; while the link is
/// quiet the meter's clock still moves with the wall clock, so idle flows end on time.
/// </summary>
public sealed class LibpcapLiveSource : ICaptureSource
{
    private static readonly long StatisticsIntervalTicks = Stopwatch.Frequency;
    private readonly LibpcapCapture _capture;
    private int _running;

    public LibpcapLiveSource(LiveCaptureOptions options) : this(LibpcapCapture.Open(options))
    {
    }

    public LibpcapLiveSource(LibpcapCapture capture)
    {
        _capture = capture;
        Description = capture.Filter is null
            ? $"libpcap {capture.InterfaceName}"
            : $"libpcap {capture.InterfaceName} (filter: {capture.Filter})";
    }

    /// <summary>
    /// How far behind the wall clock idle time is reported: five read timeouts. libpcap hands packets over in blocks
    /// that the kernel holds up to the read timeout (100 ms), so at the wall-clock end of an epoch some of its packets
    /// may not have been delivered yet; a sink that cut then would count them in the next epoch, while the agent at the
    /// other end of the conversation (whose blocks filled sooner) counts them in this one. Where one of the two records
    /// is missing and the view uses the other end's "left to peer" section, that disagreement counted a packet twice
    /// or not at all (issue 12). A packet stamped at or after a deadline still reaches the sink at once.
    /// </summary>
    public const long DeliveryLagMicros = 500_000;

    public string Description { get; }

    /// <summary>The captured interface.</summary>
    public string InterfaceName => _capture.InterfaceName;

    public CaptureStatistics Statistics => _capture.Statistics;

    public void Run(FlowMeter meter, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(meter);
        Run(new FlowMeterSink(meter), cancellationToken);
    }

    /// <summary>Captures into any sink until cancelled or the handle fails (see <see cref="Statistics"/>).</summary>
    public void Run<TSink>(TSink sink, CancellationToken cancellationToken) where TSink : ICaptureSink
    {
        if (Interlocked.Exchange(ref _running, 1) == 1) throw new InvalidOperationException($"{Description} is already running");
        try
        {
            Capture(sink, cancellationToken);
        }
        finally
        {
            Volatile.Write(ref _running, 0);
        }
    }

    /// <summary>Closes the handle. Cancel <see cref="Run"/> and let it return first: libpcap must not be closed under a read.</summary>
    public void Dispose()
    {
        if (Volatile.Read(ref _running) == 1)
        {
            throw new InvalidOperationException($"{Description} is still running: cancel Run and wait for it to return before disposing");
        }
        _capture.Dispose();
    }

    private void Capture<TSink>(TSink sink, CancellationToken cancellationToken) where TSink : ICaptureSink
    {
        long nextStatistics = Stopwatch.GetTimestamp() + StatisticsIntervalTicks;
        while (!cancellationToken.IsCancellationRequested && !_capture.Failed)
        {
            if (_capture.TryReadNext(out var frame))
            {
                sink.ObservePacket(frame.LinkType, frame.TimestampMicros, frame.Data);
            }
            else
            {
                // Kernel packet timestamps are wall-clock time, so idle time is measured on the same clock, minus
                // what the kernel may still hold (see DeliveryLagMicros).
                sink.AdvanceTime(Core.UnixMicros.Now() - DeliveryLagMicros);
            }
            if (Stopwatch.GetTimestamp() >= nextStatistics)
            {
                _capture.RefreshKernelStatistics();
                nextStatistics = Stopwatch.GetTimestamp() + StatisticsIntervalTicks;
            }
        }
        _capture.RefreshKernelStatistics();
    }
}
