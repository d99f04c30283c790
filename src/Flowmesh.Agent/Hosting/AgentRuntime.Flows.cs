using Flowmesh.Agent.Api;
using Flowmesh.Agent.Drill;
using Flowmesh.Gossip.Transport;
using Microsoft.AspNetCore.Builder;

namespace Flowmesh.Agent.Hosting;

/// <summary>
/// Drill-down (docs/api.md, GET /api/v1/flows): this agent's exact flow records, kept locally in
/// <c>&lt;data-dir&gt;/flows.db</c>, served to authenticated members over <see cref="GossipStreamKind.FlowQuery"/>, and
/// asked of the origins when someone drills into an address here.
/// </summary>
internal sealed partial class AgentRuntime
{
    private FlowLog? _flowLog;
    private FlowCollector? _flowCollector;
    private FlowQueryServer? _flowServer;
    private FlowDrill? _flowDrill;

    internal FlowCollector? FlowCollector => _flowCollector;
    internal FlowQueryServer? FlowServer => _flowServer;

    /// <summary>
    /// Opens the flow log, serves flow queries and prunes the log every minute. A flow log that cannot be opened
    /// (a foreign or damaged file) turns drill-down off for this node, not the agent: it answers "no flow log".
    /// </summary>
    private void StartFlows()
    {
        try
        {
            _flowLog = FlowLog.Open(_options.DataDirectory, _options.FlowLog);
            if (_options.Capture is not null) _flowCollector = new FlowCollector(_flowLog, _log.WriteLine);
        }
        catch (Exception e) when (e is Microsoft.Data.Sqlite.SqliteException or InvalidDataException or IOException or UnauthorizedAccessException)
        {
            _log.WriteLine($"flowmesh: drill-down off: flow log {Path.Combine(_options.DataDirectory, FlowLog.FileName)}: {e.Message}");
            _flowLog = null;
        }
        _flowServer = new FlowQueryServer(_flowLog, _log.WriteLine);
        _peer!.Register(GossipStreamKind.FlowQuery, _flowServer.HandleAsync);
        _flowDrill = new FlowDrill(_self, _flowServer, () => _peer?.Members ?? [], _peer.Streams);
        if (_flowLog is not null) _tasks.Add(PruneFlowsAsync(_flowLog, _background.Token));
    }

    private void MapFlows(WebApplication app)
    {
        if (_flowDrill is not null) FlowsEndpoint.Map(app, _flowDrill, Core.UnixMicros.Now, refusals: _apiRefusals);
    }

    /// <summary>After the capture stopped: writes the last sealed epoch's flows.</summary>
    private void FinishFlowWrites() => _flowCollector?.Dispose();

    private void CloseFlowLog() => _flowLog?.Dispose();

    private Dictionary<string, long> FlowLogRowCounts() => new(StringComparer.Ordinal)
    {
        ["written"] = _flowLog?.RowsWritten ?? 0,
        ["dropped"] = _flowCollector?.RowsDropped ?? 0,
    };

    private Dictionary<string, long> FlowQueryCounts() => new(StringComparer.Ordinal)
    {
        ["served"] = _flowServer?.Served ?? 0,
        ["malformed"] = _flowServer?.Malformed ?? 0,
        ["failed"] = _flowServer?.Failed ?? 0,
    };

    private async Task PruneFlowsAsync(FlowLog log, CancellationToken cancellationToken)
    {
        try
        {
            while (true)
            {
                await Task.Delay(TimeSpan.FromMinutes(1), cancellationToken).ConfigureAwait(false);
                try
                {
                    long deleted = await Task.Run(() => log.Prune(_retentionClock?.Now().Now ?? DateTimeOffset.UtcNow), cancellationToken).ConfigureAwait(false);
                    if (deleted > 0) _log.WriteLine($"flowmesh: flow log retention removed {deleted} rows");
                }
                catch (Exception e) when (e is Microsoft.Data.Sqlite.SqliteException or ObjectDisposedException)
                {
                    _log.WriteLine($"flowmesh: flow log retention failed: {e.Message}");
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }
}
