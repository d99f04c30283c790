using Flowmesh.Capture.Ebpf;
using Flowmesh.Core.Dns;
using Flowmesh.Core.HostContext;
using Flowmesh.Capture.HostContext.Tcp;

namespace Flowmesh.Capture.HostContext;

/// <summary>
/// Starts the host-context sources a live capture asked for (docs/host-context.md). Each source is optional: one that
/// cannot start on this kernel or platform says why in <see cref="HostContextSession.Notes"/>, and the capture goes on
/// without it.
/// </summary>
public static class HostContextSources
{
    /// <param name="dns">Receives every finished DNS transaction the DNS source sees (the agent's epoch summary); null: none.</param>
    /// <param name="source">The flow capture that was opened for <paramref name="capture"/>: the DNS source reads its frames (libpcap) or needs its own packets (eBPF).</param>
    public static HostContextSession StartLive(HostContextOptions options, LiveCaptureRequest capture, IDnsObservationListener? dns, TextWriter log,
        ICaptureSource? source = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(capture);
        ArgumentNullException.ThrowIfNull(log);
        var providers = new List<IFlowContextProvider>();
        var parts = new List<IDisposable>();
        var notes = new List<string>();
        if (!options.AnyEnabled) return new HostContextSession(FlowContextResolver.None, notes, parts);
        // Each source adds its provider, its disposable part and one note here.
        if (options.Processes)
        {
            try
            {
                var (provider, part, note) = Processes.ProcessAttribution.Start();
                providers.Add(provider);
                if (part is not null) parts.Add(part);
                notes.Add(note);
            }
            catch (PlatformNotSupportedException e)
            {
                notes.Add($"process: unavailable ({e.Message})");
            }
        }
        if (options.Tcp || options.Drops) TcpStatsSource.Start(options, providers, parts, notes);
        DnsHostContextSource? dnsSource = options.Dns ? StartDns(capture, source, dns, notes) : null;
        if (dnsSource is not null)
        {
            providers.Add(dnsSource.Provider);
            parts.Add(dnsSource);
        }
        return new HostContextSession(new FlowContextResolver(providers), notes, parts, providers) { Dns = dnsSource };
    }

    /// <summary>
    /// A capture file: only DNS applies (the process table and the TCP stack are this PC's, not the file's). The
    /// caller attaches <see cref="HostContextSession.Dns"/>'s monitor to its meter.
    /// </summary>
    public static HostContextSession ForCaptureFile(HostContextOptions options, IDnsObservationListener? dns)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (!options.Dns) return HostContextSession.Empty;
        var monitor = new DnsTrafficMonitor(listener: dns);
        var source = new DnsHostContextSource(monitor, null, "DNS messages in the file");
        return new HostContextSession(new FlowContextResolver([source.Provider]), [], [source]) { Dns = source };
    }

    private static DnsHostContextSource? StartDns(LiveCaptureRequest capture, ICaptureSource? source, IDnsObservationListener? listener, List<string> notes)
    {
        var monitor = new DnsTrafficMonitor(listener: listener);
        if (!(OperatingSystem.IsLinux() && source is EbpfCaptureSource ebpf))
        {
            notes.Add("dns: port-53 packets of the capture" + (capture.SnapLength < 512 ? $" (snap length {capture.SnapLength}: long answers are read as far as they go; --snaplen 512 keeps them whole)" : ""));
            return new DnsHostContextSource(monitor, null, "the capture's port-53 packets");
        }
        // eBPF counts flows in the kernel and hands over no frames: its TC program copies port-53 packets into a ring
        // buffer; a flow program without one (an older object) leaves a port-53 libpcap handle.
        try
        {
            if (DnsRingBuffer.Open(ebpf, monitor) is { } ring)
            {
                notes.Add("dns: port-53 packets from the eBPF TC program's ring buffer");
                return new DnsHostContextSource(monitor, ring, "the eBPF ring buffer");
            }
        }
        catch (EbpfUnavailableException e)
        {
            notes.Add($"dns: {e.Reason}; falling back to libpcap");
        }
        string device = ebpf.InterfaceNames.Count == 1 ? ebpf.InterfaceNames[0] : "any";
        try
        {
            var port = new DnsPortCapture(device, monitor);
            notes.Add($"dns: libpcap \"port 53\" on {port.InterfaceName} (eBPF counts the flows)");
            return new DnsHostContextSource(monitor, port, $"libpcap port 53 on {port.InterfaceName}");
        }
        catch (CaptureSetupException e)
        {
            notes.Add($"dns: unavailable ({e.Message})");
            return null;
        }
    }
}
