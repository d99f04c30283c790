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
    public static HostContextSession StartLive(HostContextOptions options, LiveCaptureRequest capture, IDnsObservationListener? dns, TextWriter log)
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
        return new HostContextSession(new FlowContextResolver(providers), notes, parts, providers);
    }
}
