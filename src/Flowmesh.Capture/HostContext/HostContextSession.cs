using Flowmesh.Core.HostContext;

namespace Flowmesh.Capture.HostContext;

/// <summary>
/// The running host-context sources of one live capture (docs/host-context.md): the resolver that joins them to flows,
/// and what each source said when it started (started on which hooks, or why it is unavailable). Disposing stops them
/// and detaches their kernel hooks.
/// </summary>
public sealed class HostContextSession : IDisposable
{
    private readonly List<IDisposable> _parts;
    private int _disposed;

    internal HostContextSession(FlowContextResolver resolver, IReadOnlyList<string> notes, List<IDisposable> parts)
    {
        Resolver = resolver;
        Notes = notes;
        _parts = parts;
    }

    public static HostContextSession Empty => new(FlowContextResolver.None, [], []);

    public FlowContextResolver Resolver { get; }

    /// <summary>
    /// The DNS source, when it runs. Whoever owns the capture's <see cref="Core.Flows.FlowMeter"/> sets its
    /// <see cref="Core.Flows.FlowMeter.DnsMonitor"/> to <see cref="DnsHostContextSource.Monitor"/>, so libpcap frames reach it.
    /// </summary>
    public DnsHostContextSource? Dns { get; init; }

    /// <summary>One line per source: "process: eBPF socket hooks", "dns: unavailable (...)".</summary>
    public IReadOnlyList<string> Notes { get; }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1) return;
        for (int i = _parts.Count - 1; i >= 0; i--) _parts[i].Dispose();
    }
}
