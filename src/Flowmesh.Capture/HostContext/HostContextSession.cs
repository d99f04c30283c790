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
    private readonly IHostContextCounters[] _counters;
    private int _disposed;

    /// <param name="sources">The providers and parts; those that count (<see cref="IHostContextCounters"/>) are read by <see cref="Counters"/>.</param>
    internal HostContextSession(FlowContextResolver resolver, IReadOnlyList<string> notes, List<IDisposable> parts, IEnumerable<object>? sources = null)
    {
        Resolver = resolver;
        Notes = notes;
        _parts = parts;
        _counters = [.. (sources ?? []).Concat(parts).OfType<IHostContextCounters>().Distinct()];
    }

    public static HostContextSession Empty => new(FlowContextResolver.None, [], []);

    /// <summary>
    /// Every source's counters and the resolver's (<c>context.flows</c>: flows looked up, <c>context.with_context</c>:
    /// those any source knew, <c>context.provider_failures</c>: a source threw and lost its part).
    /// </summary>
    public IReadOnlyDictionary<string, long> Counters()
    {
        var counters = new SortedDictionary<string, long>(StringComparer.Ordinal);
        if (Resolver.IsEmpty) return counters;
        counters["context.flows"] = Resolver.Resolved;
        counters["context.with_context"] = Resolver.WithContext;
        counters["context.provider_failures"] = Resolver.ProviderFailures;
        foreach (var source in _counters) source.AddTo(counters);
        return counters;
    }

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
