using Flowmesh.Gossip;
using Flowmesh.Gossip.Membership;
using Flowmesh.Gossip.Transport;

namespace Flowmesh.Agent.Drill;

/// <summary>
/// The asking side of a drill-down: sends one <see cref="FlowQuery"/> to each chosen origin in parallel (this node
/// answers from its own log without the network), waits at most <see cref="Timeout"/>, and merges the answers.
/// </summary>
/// <remarks>
/// Whom to ask: every alive or suspect member unless the caller names one origin. The global view cannot say
/// reliably who saw an address: its top lists hold 64 keys per record, so a small flow's observer is often not
/// listed, and an address absent from every list may still have been seen by anyone. One small request per member
/// is cheap next to a wrong "no flows".
/// </remarks>
internal sealed class FlowDrill(NodeId self, FlowQueryServer local, Func<IReadOnlyList<Member>> members, IGossipStreams? streams)
{
    /// <summary>A reply-less answer faster than this is a refusal (an older agent's "unknown flag"), not a timeout.</summary>
    private static readonly TimeSpan OldAgentRefusal = TimeSpan.FromSeconds(1);

    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(5);

    private long _badReplies;

    public long BadReplies => Interlocked.Read(ref _badReplies);

    /// <summary>Origins that would be asked: alive and suspect members (self included), or the one named.</summary>
    public IReadOnlyList<Member> Targets(string? origin)
    {
        var all = members();
        if (origin is not null) return [.. all.Where(m => string.Equals(m.Id.Value, origin, StringComparison.Ordinal))];
        return [.. all.Where(m => m.State is MemberState.Alive or MemberState.Suspect || m.Id == self)];
    }

    /// <summary>Dead and left members when every member is asked: their flows cannot be fetched now, so the answer may lack them.</summary>
    public IReadOnlyList<string> Unreachable(string? origin) =>
        origin is not null ? [] : [.. members().Where(m => m.State is MemberState.Dead or MemberState.Left && m.Id != self).Select(m => m.Id.Value).Order(StringComparer.Ordinal)];

    public async Task<FlowDrillResult> AskAsync(FlowQuery query, IReadOnlyList<Member> targets, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(Timeout);
        var asks = targets.Select(m => AskOneAsync(m, query, timeout.Token)).ToArray();
        var answers = await Task.WhenAll(asks).ConfigureAwait(false);
        var rows = new List<(string Origin, FlowRow Row)>();
        var answered = new List<string>();
        var failed = new List<string>();
        bool truncated = false;
        foreach (var (origin, reply) in answers)
        {
            if (reply is null)
            {
                failed.Add(origin);
                continue;
            }
            answered.Add(origin);
            truncated |= reply.Truncated;
            rows.AddRange(reply.Rows.Select(r => (origin, r)));
        }
        var merged = rows.OrderByDescending(r => r.Row.Bytes).ThenByDescending(r => r.Row.LastMicros).ThenBy(r => r.Origin, StringComparer.Ordinal).ToList();
        if (merged.Count > query.Limit)
        {
            truncated = true;
            merged.RemoveRange(query.Limit, merged.Count - query.Limit);
        }
        return new FlowDrillResult(merged, [.. targets.Select(t => t.Id.Value)], answered, failed, truncated,
            answers.Where(a => a.Reply is { LogDisabled: true }).Select(a => a.Origin).ToList());
    }

    private async Task<(string Origin, FlowQueryReply? Reply)> AskOneAsync(Member member, FlowQuery query, CancellationToken cancellationToken)
    {
        string origin = member.Id.Value;
        try
        {
            if (member.Id == self) return (origin, await Task.Run(() => local.Answer(query), cancellationToken).ConfigureAwait(false));
            if (streams is null) return (origin, null);
            long asked = System.Diagnostics.Stopwatch.GetTimestamp();
            var bytes = await streams.RequestAsync(member.Address, GossipStreamKind.FlowQuery, FlowQueryCodec.EncodeRequest(query, withContext: true), cancellationToken).ConfigureAwait(false);
            // An agent from before host context refuses the context flag at once, without a reply: ask it again the old
            // way. A peer that timed out is not asked twice (that would double a dead peer's cost to every drill-down).
            if (bytes is null && System.Diagnostics.Stopwatch.GetElapsedTime(asked) < OldAgentRefusal)
                bytes = await streams.RequestAsync(member.Address, GossipStreamKind.FlowQuery, FlowQueryCodec.EncodeRequest(query), cancellationToken).ConfigureAwait(false);
            if (bytes is null) return (origin, null);
            var reply = FlowQueryCodec.DecodeReply(bytes, out _);
            if (reply is null) Interlocked.Increment(ref _badReplies);
            return (origin, reply);
        }
        catch (OperationCanceledException)
        {
            return (origin, null);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // One member that cannot be reached or answered (a socket error, its own log failing) is a failed origin
            // in the answer, never a failed answer for everyone.
            Interlocked.Increment(ref _badReplies);
            return (origin, null);
        }
    }
}

internal sealed record FlowDrillResult(
    IReadOnlyList<(string Origin, FlowRow Row)> Flows,
    IReadOnlyList<string> Asked,
    IReadOnlyList<string> Answered,
    IReadOnlyList<string> Failed,
    bool Truncated,
    IReadOnlyList<string> WithoutFlowLog);
