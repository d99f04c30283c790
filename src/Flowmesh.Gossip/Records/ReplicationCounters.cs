namespace Flowmesh.Gossip.Records;

/// <summary>What replication did, for the agent's status API and the simulator. One instance per node; thread-safe.</summary>
public sealed class ReplicationCounters
{
    private long _sessionsStarted, _sessionsCompleted, _sessionsFailed, _sessionErrors, _requestsServed;
    private long _recordsPulled, _recordsPushed, _recordsReceivedByPush, _duplicates, _rejected;
    private long _bytesSent, _bytesReceived, _pushesOverBudget;

    /// <summary>Sessions this node initiated.</summary>
    public long SessionsStarted => Interlocked.Read(ref _sessionsStarted);
    public long SessionsCompleted => Interlocked.Read(ref _sessionsCompleted);
    /// <summary>Sessions cut short: no reply (peer down, timeout, loss) or a reply that did not decode.</summary>
    public long SessionsFailed => Interlocked.Read(ref _sessionsFailed);
    /// <summary>Sessions that ended in an unexpected exception (a store error); see RecordReplicator.LastError.</summary>
    public long SessionErrors => Interlocked.Read(ref _sessionErrors);
    /// <summary>Requests this node answered as responder.</summary>
    public long RequestsServed => Interlocked.Read(ref _requestsServed);
    /// <summary>New records stored from replies to our wants.</summary>
    public long RecordsPulled => Interlocked.Read(ref _recordsPulled);
    /// <summary>Records we pushed to peers.</summary>
    public long RecordsPushed => Interlocked.Read(ref _recordsPushed);
    /// <summary>New records stored from peers' pushes.</summary>
    public long RecordsReceivedByPush => Interlocked.Read(ref _recordsReceivedByPush);
    /// <summary>Received records already held (harmless: the first copy stays).</summary>
    public long Duplicates => Interlocked.Read(ref _duplicates);
    /// <summary>Received records the validator refused (reasons in RecordValidator.Rejections).</summary>
    public long Rejected => Interlocked.Read(ref _rejected);
    /// <summary>Pushed records a responder ignored because the push exceeded its budget (a misbehaving initiator).</summary>
    public long PushesOverBudget => Interlocked.Read(ref _pushesOverBudget);
    /// <summary>Sync message bytes this node sent (requests as initiator, replies as responder).</summary>
    public long BytesSent => Interlocked.Read(ref _bytesSent);
    public long BytesReceived => Interlocked.Read(ref _bytesReceived);

    /// <summary>Malformed, oversized or rate-limited sync messages.</summary>
    public SyncDropCounters Drops { get; } = new();

    internal void SessionStarted() => Interlocked.Increment(ref _sessionsStarted);
    internal void SessionCompleted() => Interlocked.Increment(ref _sessionsCompleted);
    internal void SessionFailed() => Interlocked.Increment(ref _sessionsFailed);
    internal void SessionError() => Interlocked.Increment(ref _sessionErrors);
    internal void RequestServed() => Interlocked.Increment(ref _requestsServed);
    internal void Pulled() => Interlocked.Increment(ref _recordsPulled);
    internal void Pushed(int count) => Interlocked.Add(ref _recordsPushed, count);
    internal void ReceivedByPush() => Interlocked.Increment(ref _recordsReceivedByPush);
    internal void Duplicate() => Interlocked.Increment(ref _duplicates);
    internal void RejectedOne() => Interlocked.Increment(ref _rejected);
    internal void OverBudget(int count) => Interlocked.Add(ref _pushesOverBudget, count);
    internal void Sent(int bytes) => Interlocked.Add(ref _bytesSent, bytes);
    internal void Received(int bytes) => Interlocked.Add(ref _bytesReceived, bytes);

    public override string ToString() =>
        $"sessions {SessionsStarted} ({SessionsCompleted} ok, {SessionsFailed} failed, {SessionErrors} errors), served {RequestsServed}, " +
        $"pulled {RecordsPulled}, pushed {RecordsPushed}, received by push {RecordsReceivedByPush}, duplicates {Duplicates}, rejected {Rejected}, over budget {PushesOverBudget}, " +
        $"sent {BytesSent} B, received {BytesReceived} B, drops: {Drops}";
}
