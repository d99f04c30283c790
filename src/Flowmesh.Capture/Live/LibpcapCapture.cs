using System.Runtime.InteropServices;
using Flowmesh.Core.Packets;
using SharpPcap;
using SharpPcap.LibPcap;

namespace Flowmesh.Capture.Live;

/// <summary>
/// A live libpcap handle read frame by frame without allocating: SharpPcap opens and configures
/// the device, frames come straight from libpcap's ring through GetNextPacketPointers. All libpcap
/// use is inside this type (and <see cref="LibpcapNative"/>), so a Windows/Npcap build only swaps these.
/// Not thread-safe except <see cref="Statistics"/>; one loop owns it.
/// </summary>
public sealed class LibpcapCapture : IDisposable
{
    private readonly LibPcapLiveDevice _device;
    private readonly int _descriptor;
    private readonly int _readTimeoutMilliseconds;
    private long _frames;
    private long _capturedBytes;
    private long _kernelDrops;
    private long _interfaceDrops;
    private string? _stoppedEarly;

    private LibpcapCapture(LibPcapLiveDevice device, LiveCaptureOptions options)
    {
        _device = device;
        _readTimeoutMilliseconds = options.ReadTimeoutMilliseconds;
        InterfaceName = device.Name;
        Filter = options.Filter;
        LinkType = LinkTypes.Normalize((uint)device.LinkType);
        _descriptor = LibpcapNative.SelectableDescriptor(device.Handle.DangerousGetHandle());
    }

    public string InterfaceName { get; }
    public string? Filter { get; }
    public LinkType LinkType { get; }

    /// <summary>
    /// Opens the named interface (or the default-route one). Throws <see cref="CaptureSetupException"/>
    /// with an actionable message for an unknown interface, missing privileges or a bad filter.
    /// </summary>
    public static LibpcapCapture Open(LiveCaptureOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        string name = options.Interface ?? CaptureInterfaces.ChooseDefault()
            ?? throw new CaptureSetupException("no network interface is up to capture on; name one explicitly");
        LibPcapLiveDeviceList devices;
        try
        {
            devices = LibPcapLiveDeviceList.New();
        }
        catch (Exception e) when (e is DllNotFoundException or TypeInitializationException)
        {
            throw new CaptureSetupException("libpcap is not installed (Debian/Ubuntu: apt-get install libpcap0.8)", e);
        }
        var device = devices.FirstOrDefault(d => d.Name == name)
            ?? throw new CaptureSetupException(
                $"no network interface named \"{name}\"; available: {string.Join(", ", devices.Select(d => d.Name))}");
        if (!CapturePrivileges.CanCapture()) throw new CaptureSetupException(CapturePrivileges.MissingMessage(name));

        var configuration = new DeviceConfiguration
        {
            Mode = options.Promiscuous ? DeviceModes.Promiscuous : DeviceModes.None,
            Snaplen = options.SnapLength,
            ReadTimeout = options.ReadTimeoutMilliseconds,
            BufferSize = options.KernelBufferBytes,
            Immediate = false,
        };
        try
        {
            device.Open(configuration);
        }
        catch (PcapException e) when (e.Error is PcapError.PermissionDenied or PcapError.PromiscuousPermissionDenied)
        {
            throw new CaptureSetupException(CapturePrivileges.MissingMessage(name), e);
        }
        catch (PcapException e)
        {
            throw new CaptureSetupException($"cannot open {name} for capture: {e.Message} {SafeLastError(device)}".TrimEnd(), e);
        }
        try
        {
            if (options.Filter is not null) ApplyFilter(device, options.Filter);
            // Non-blocking reads plus our own poll: a blocking TPACKET_V3 read never returns while the
            // link is idle, and we must wake up to expire flows and to notice cancellation.
            device.NonBlockingMode = true;
            return new LibpcapCapture(device, options);
        }
        catch
        {
            device.Close();
            throw;
        }
    }

    /// <summary>
    /// The next frame, valid until the next call; false when none arrived within the read timeout
    /// (or the capture failed: then <see cref="CaptureStatistics.StoppedEarly"/> says why and
    /// <see cref="Failed"/> is true). Never allocates.
    /// </summary>
    public unsafe bool TryReadNext(out CapturedFrame frame)
    {
        frame = default;
        if (Failed) return false;
        IntPtr header = IntPtr.Zero, data = IntPtr.Zero;
        int result = _device.GetNextPacketPointers(ref header, ref data);
        if (result == 0)
        {
            LibpcapNative.WaitReadable(_descriptor, _readTimeoutMilliseconds);
            result = _device.GetNextPacketPointers(ref header, ref data);
        }
        if (result == 1)
        {
            ref readonly var h = ref *(PcapPacketHeader*)header;
            long micros = (long)h.Seconds.Value * 1_000_000 + (long)h.Microseconds.Value;
            int captured = (int)h.CapturedLength;
            frame = new CapturedFrame(LinkType, micros, (int)Math.Min(h.OriginalLength, int.MaxValue),
                new ReadOnlySpan<byte>((void*)data, captured));
            Volatile.Write(ref _frames, _frames + 1);
            Volatile.Write(ref _capturedBytes, _capturedBytes + captured);
            return true;
        }
        if (result < 0)
        {
            Volatile.Write(ref _stoppedEarly, $"capture on {InterfaceName} failed after {_frames} frames: {SafeLastError(_device)}");
        }
        return false;
    }

    public bool Failed => Volatile.Read(ref _stoppedEarly) is not null;

    /// <summary>
    /// Reads the kernel's drop counters. Call from the capture loop: libpcap's stats call is not
    /// thread-safe against reads, so other threads only ever see the cached values.
    /// </summary>
    public void RefreshKernelStatistics()
    {
        if (Failed) return;
        try
        {
            if (_device.Statistics is PcapStatistics stats)
            {
                Volatile.Write(ref _kernelDrops, stats.DroppedPackets);
                Volatile.Write(ref _interfaceDrops, stats.InterfaceDroppedPackets);
            }
        }
        catch (PcapException)
        {
            // Counters stay at their last value; the read loop reports a dead handle itself.
        }
    }

    public CaptureStatistics Statistics => new()
    {
        Frames = Volatile.Read(ref _frames),
        CapturedBytes = Volatile.Read(ref _capturedBytes),
        KernelDrops = Volatile.Read(ref _kernelDrops),
        InterfaceDrops = Volatile.Read(ref _interfaceDrops),
        StoppedEarly = Volatile.Read(ref _stoppedEarly),
    };

    public void Dispose() => _device.Close();

    private static void ApplyFilter(LibPcapLiveDevice device, string filter)
    {
        try
        {
            device.Filter = filter;
        }
        catch (PcapException e)
        {
            throw new CaptureSetupException($"bad capture filter \"{filter}\": {SafeLastError(device)}".TrimEnd(), e);
        }
    }

    private static string SafeLastError(PcapDevice device)
    {
        try
        {
            return device.LastError ?? "";
        }
        catch (Exception e) when (e is PcapException or ObjectDisposedException or InvalidOperationException)
        {
            return "";
        }
    }

    /// <summary>struct pcap_pkthdr: a struct timeval (two C longs), then the captured and original lengths.</summary>
    [StructLayout(LayoutKind.Sequential)]
    private readonly struct PcapPacketHeader
    {
        public readonly CLong Seconds;
        public readonly CLong Microseconds;
        public readonly uint CapturedLength;
        public readonly uint OriginalLength;
    }
}
