using Flowmesh.Capture.Live;
using Flowmesh.Core.Dns;

namespace Flowmesh.Capture.HostContext;

/// <summary>
/// The DNS source's own packets when the flow capture delivers no frames (eBPF counts flows in the kernel): a
/// libpcap handle with the filter "port 53" on a thread of its own, feeding <see cref="DnsTrafficMonitor"/>. DNS is a
/// trickle next to the flows, so this costs little; other packets never leave the kernel's filter.
/// </summary>
public sealed class DnsPortCapture : IDisposable
{
    /// <summary>Enough for the question and a dozen answers; longer messages are read as far as they go.</summary>
    public const int SnapLength = 1024;

    private readonly LibpcapCapture _capture;
    private readonly DnsTrafficMonitor _monitor;
    private readonly Thread _thread;
    private volatile bool _stop;

    /// <param name="interfaceName">One interface, or "any" for all of them (Linux).</param>
    public DnsPortCapture(string interfaceName, DnsTrafficMonitor monitor)
    {
        _monitor = monitor;
        _capture = LibpcapCapture.Open(new LiveCaptureOptions
        {
            Interface = interfaceName,
            Filter = "port 53",
            SnapLength = SnapLength,
            KernelBufferBytes = 2 * 1024 * 1024,
        });
        _thread = new Thread(Run) { Name = "dns-capture", IsBackground = true };
        _thread.Start();
    }

    public string InterfaceName => _capture.InterfaceName;

    /// <summary>Port-53 packets the kernel dropped because this handle's buffer was full.</summary>
    public long KernelDrops => _capture.Statistics.KernelDrops ?? 0;

    private void Run()
    {
        long lastRefresh = Environment.TickCount64;
        while (!_stop && !_capture.Failed)
        {
            if (_capture.TryReadNext(out CapturedFrame frame))
                _monitor.ObserveFrame(frame.LinkType, frame.TimestampMicros, frame.Data);
            else
                _monitor.AdvanceTime(Core.UnixMicros.Now());
            if (Environment.TickCount64 - lastRefresh > 1000)
            {
                _capture.RefreshKernelStatistics();
                lastRefresh = Environment.TickCount64;
            }
        }
    }

    public void Dispose()
    {
        _stop = true;
        _thread.Join(TimeSpan.FromSeconds(5));
        _capture.Dispose();
    }
}
