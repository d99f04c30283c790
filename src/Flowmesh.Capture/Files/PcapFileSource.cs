using Flowmesh.Core.Flows;

namespace Flowmesh.Capture.Files;

/// <summary>
/// A pcap or pcapng file (or standard input, "-") as a capture source: replays every frame into the
/// meter with its recorded time. Does not flush the meter at the end; the caller decides when the
/// input is over (it may feed several files into one meter).
/// </summary>
public sealed class PcapFileSource : ICaptureSource
{
    // Checking the token costs little, but not nothing: look every few thousand frames.
    private const int CancellationCheckInterval = 4096;
    private readonly CaptureFileReader _reader;

    public PcapFileSource(string path) : this(CaptureFileReader.Open(path))
    {
    }

    public PcapFileSource(CaptureFileReader reader)
    {
        _reader = reader;
        Description = $"{(reader.Format == CaptureFileFormat.PcapNg ? "pcapng" : "pcap")} file {reader.Name}";
    }

    public string Description { get; }

    public CaptureStatistics Statistics => _reader.Statistics;

    public void Run(FlowMeter meter, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(meter);
        Run(new FlowMeterSink(meter), cancellationToken);
    }

    /// <summary>Replays the file into any sink; <see cref="Run(FlowMeter, CancellationToken)"/> uses the meter.</summary>
    public void Run<TSink>(TSink sink, CancellationToken cancellationToken) where TSink : ICaptureSink
    {
        int untilCheck = CancellationCheckInterval;
        while (_reader.TryReadNext(out var frame))
        {
            sink.ObservePacket(frame.LinkType, frame.TimestampMicros, frame.Data);
            if (--untilCheck == 0)
            {
                if (cancellationToken.IsCancellationRequested) return;
                untilCheck = CancellationCheckInterval;
            }
        }
    }

    public void Dispose() => _reader.Dispose();
}
