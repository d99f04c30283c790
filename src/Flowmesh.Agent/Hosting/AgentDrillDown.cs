using Flowmesh.Agent.Api;
using Flowmesh.Agent.Drill;
using Flowmesh.Gossip;
using Flowmesh.Gossip.Transport;
using Microsoft.AspNetCore.Builder;

namespace Flowmesh.Agent.Hosting;

/// <summary>
/// Drill-down (docs/api.md, GET /api/v1/flows): this agent's exact flow records, kept locally in
/// <c>&lt;data-dir&gt;/flows.db</c>, served to authenticated members over <see cref="GossipStreamKind.FlowQuery"/>, and
/// asked of the origins when someone drills into an address here. The flow log's retention runs in
/// <see cref="AgentMaintenance"/>.
/// </summary>
internal sealed class AgentDrillDown : IDisposable
{
    private readonly FlowQueryServer _server;
    private readonly FlowDrill _drill;

    private AgentDrillDown(FlowLog? flowLog, FlowCollector? collector, FlowQueryServer server, FlowDrill drill)
    {
        Log = flowLog;
        Collector = collector;
        _server = server;
        _drill = drill;
    }

    /// <summary>The local flow log, or null when it could not be opened (drill-down is off for this node then).</summary>
    public FlowLog? Log { get; }

    /// <summary>Writes each sealed epoch's flows into <see cref="Log"/>; null without capture or without a flow log.</summary>
    public FlowCollector? Collector { get; }

    /// <summary>
    /// Opens the flow log and serves flow queries on <paramref name="peer"/>. A flow log that cannot be opened (a
    /// foreign or damaged file) turns drill-down off for this node, not the agent: it answers "no flow log".
    /// </summary>
    public static AgentDrillDown Start(AgentOptions options, NodeId self, GossipPeer peer, TextWriter log)
    {
        FlowLog? flowLog = null;
        FlowCollector? collector = null;
        try
        {
            flowLog = FlowLog.Open(options.DataDirectory, options.FlowLog);
            if (options.Capture is not null) collector = new FlowCollector(flowLog, log.WriteLine);
        }
        catch (Exception e) when (e is Microsoft.Data.Sqlite.SqliteException or InvalidDataException or IOException or UnauthorizedAccessException)
        {
            log.WriteLine($"flowmesh: drill-down off: flow log {Path.Combine(options.DataDirectory, FlowLog.FileName)}: {e.Message}");
            flowLog = null;
        }
        var server = new FlowQueryServer(flowLog, log.WriteLine);
        peer.Register(GossipStreamKind.FlowQuery, server.HandleAsync);
        return new AgentDrillDown(flowLog, collector, server, new FlowDrill(self, server, () => peer.Members, peer.Streams));
    }

    public void MapEndpoint(WebApplication app, ApiRefusals refusals) => FlowsEndpoint.Map(app, _drill, Core.UnixMicros.Now, refusals: refusals);

    /// <summary>After the capture stopped: writes the last sealed epoch's flows.</summary>
    public void FinishWrites() => Collector?.Dispose();

    public Dictionary<string, long> RowCounts() => new(StringComparer.Ordinal)
    {
        ["written"] = Log?.RowsWritten ?? 0,
        ["dropped"] = Collector?.RowsDropped ?? 0,
    };

    public Dictionary<string, long> QueryCounts() => new(StringComparer.Ordinal)
    {
        ["served"] = _server.Served,
        ["malformed"] = _server.Malformed,
        ["failed"] = _server.Failed,
    };

    public void Dispose() => Log?.Dispose();
}
