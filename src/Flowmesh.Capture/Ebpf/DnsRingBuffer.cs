using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Versioning;
using Flowmesh.Core.Dns;
using Flowmesh.Core.Packets;

namespace Flowmesh.Capture.Ebpf;

/// <summary>
/// The DNS source's packets under eBPF capture: the TC flow program copies the first bytes of every port-53 packet
/// (from the IP header on, at most 512) into a BPF ring buffer (src/ebpf/flowmesh_dns.h), and this reader polls it
/// on a thread of its own ("dns-ring") and hands each packet to the <see cref="DnsTrafficMonitor"/>. A full ring is
/// counted in the kernel (<see cref="RingFullDrops"/>), never waited on, so the flow path never slows for DNS.
/// </summary>
[SupportedOSPlatform("linux")]
public sealed unsafe class DnsRingBuffer : IDisposable
{
    public const string EventsMapName = "flowmesh_dns_events";
    public const string CountersMapName = "flowmesh_dns_counters";

    // struct flowmesh_dns_event: u64 timestamp_ns, u32 wire_length, u32 captured_length, u8 data[512].
    private const int HeaderLength = 16;
    private const int SnapLength = 512;
    private const int PollMilliseconds = 100;

    private readonly DnsTrafficMonitor _monitor;
    private readonly int _countersFd;
    private readonly int _possibleCpus;
    private readonly Thread _thread;
    private GCHandle _self;
    private nint _ring;
    private KernelClock _clock = KernelClock.Now();
    private volatile bool _stop;
    private long _deliveryFailures;

    private DnsRingBuffer(nint ring, GCHandle self, int countersFd, DnsTrafficMonitor monitor)
    {
        _ring = ring;
        _self = self;
        _countersFd = countersFd;
        _monitor = monitor;
        _possibleCpus = Math.Max(1, Libbpf.libbpf_num_possible_cpus());
        _thread = new Thread(Run) { Name = "dns-ring", IsBackground = true };
    }

    /// <summary>Starts reading the ring of <paramref name="source"/>'s flow program; null when that program has none (an older object).</summary>
    public static DnsRingBuffer? Open(EbpfCaptureSource source, DnsTrafficMonitor monitor)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(monitor);
        int events = source.MapFd(EventsMapName);
        int counters = source.MapFd(CountersMapName);
        if (events < 0 || counters < 0) return null;
        var self = GCHandle.Alloc(null, GCHandleType.Normal);
        nint ring = Libbpf.ring_buffer__new(events, &OnSample, GCHandle.ToIntPtr(self), 0);
        if (ring == 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            self.Free();
            throw new EbpfUnavailableException($"cannot read the DNS ring buffer: {Errno.Describe(-errno)}");
        }
        var reader = new DnsRingBuffer(ring, self, counters, monitor);
        self.Target = reader;
        reader._thread.Start();
        return reader;
    }

    /// <summary>Port-53 packets the kernel could not put in the ring because it was full.</summary>
    public long RingFullDrops => ReadCounter(0);

    /// <summary>Port-53 packets the kernel could not copy (bpf_skb_load_bytes refused).</summary>
    public long CopyFailures => ReadCounter(1);

    /// <summary>Samples the monitor threw on (it should not): counted so the reader thread never dies of one.</summary>
    public long DeliveryFailures => Interlocked.Read(ref _deliveryFailures);

    private void Run()
    {
        long clockTaken = Environment.TickCount64;
        while (!_stop)
        {
            int delivered = Libbpf.ring_buffer__poll(_ring, PollMilliseconds);
            if (delivered == 0) _monitor.AdvanceTime(Core.UnixMicros.Now());
            // Follow clock adjustments, like the flow drains (one KernelClock per drain).
            if (Environment.TickCount64 - clockTaken > 1000)
            {
                _clock = KernelClock.Now();
                clockTaken = Environment.TickCount64;
            }
        }
    }

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static int OnSample(nint context, void* data, nuint size)
    {
        // An exception must not cross into libbpf: it would end the process.
        try
        {
            if (GCHandle.FromIntPtr(context).Target is DnsRingBuffer reader) reader.Deliver(new ReadOnlySpan<byte>(data, (int)Math.Min(size, int.MaxValue)));
        }
        catch (Exception)
        {
            if (GCHandle.FromIntPtr(context).Target is DnsRingBuffer reader) Interlocked.Increment(ref reader._deliveryFailures);
        }
        return 0;
    }

    private void Deliver(ReadOnlySpan<byte> sample)
    {
        if (sample.Length < HeaderLength) return;
        ulong timestamp = BinaryPrimitives.ReadUInt64LittleEndian(sample);
        int captured = (int)Math.Min(BinaryPrimitives.ReadUInt32LittleEndian(sample[12..]), (uint)Math.Min(SnapLength, sample.Length - HeaderLength));
        _monitor.ObserveFrame(LinkType.Raw, _clock.ToUnixMicros(timestamp), sample.Slice(HeaderLength, captured));
    }

    private long ReadCounter(uint index)
    {
        ulong* perCpu = stackalloc ulong[_possibleCpus];
        if (Libbpf.bpf_map_lookup_elem(_countersFd, &index, perCpu) != 0) return 0;
        long total = 0;
        for (int cpu = 0; cpu < _possibleCpus; cpu++) total += (long)perCpu[cpu];
        return total;
    }

    public void Dispose()
    {
        if (_ring == 0) return;
        _stop = true;
        _thread.Join(TimeSpan.FromSeconds(5));
        Libbpf.ring_buffer__free(_ring);
        _ring = 0;
        _self.Free();
    }
}
