using Flowmesh.Gossip;

namespace Flowmesh.Agent.Drill;

/// <summary>
/// Serves <c>GossipStreamKind.FlowQuery</c>: decodes the request, reads the local <see cref="FlowLog"/> and answers
/// with this agent's matching flows. The stream layer has already authenticated the sender as a cluster member;
/// a malformed request, or one broader than the drill-down caps (<see cref="FlowQuery.Breadth"/>), gets no reply and
/// is counted as malformed.
/// </summary>
internal sealed class FlowQueryServer(FlowLog? log, Action<string>? report = null)
{
    /// <summary>Reply bound: 1 000 rows are 101 kB; the frame limit is far above it.</summary>
    public const int MaxReplyBytes = 1024 * 1024;

    private long _served, _malformed, _failed;

    public long Served => Interlocked.Read(ref _served);
    public long Malformed => Interlocked.Read(ref _malformed);
    public long Failed => Interlocked.Read(ref _failed);

    public ValueTask<byte[]?> HandleAsync(NodeId sender, ReadOnlyMemory<byte> request, CancellationToken cancellationToken)
    {
        var query = FlowQueryCodec.DecodeRequest(request.Span, out bool withContext, out string? error);
        if (query?.Breadth() is { } broad)
        {
            query = null;
            error = broad;
        }
        if (query is null)
        {
            Interlocked.Increment(ref _malformed);
            report?.Invoke($"flowmesh: dropped a flow query from {sender}: {error}");
            return ValueTask.FromResult<byte[]?>(null);
        }
        var reply = Answer(query);
        if (reply is null) return ValueTask.FromResult<byte[]?>(null);
        Interlocked.Increment(ref _served);
        return ValueTask.FromResult<byte[]?>(FlowQueryCodec.EncodeReply(reply, MaxReplyBytes, withContext));
    }

    /// <summary>The local answer (also used directly when the asking agent is the origin). Null when the log cannot be read.</summary>
    public FlowQueryReply? Answer(FlowQuery query)
    {
        if (log is null) return new FlowQueryReply([], false, true, null);
        try
        {
            var rows = log.Query(query, out bool truncated);
            return new FlowQueryReply(rows, truncated, false, log.OldestEpochMicros());
        }
        catch (Exception e) when (e is Microsoft.Data.Sqlite.SqliteException or ObjectDisposedException or InvalidOperationException)
        {
            Interlocked.Increment(ref _failed);
            report?.Invoke($"flowmesh: flow query failed: {e.Message}");
            return null;
        }
    }
}
