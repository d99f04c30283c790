namespace Flowmesh.Agent.Export;

/// <summary>What one IPFIX exporter did (read from any thread: /metrics, the CLI's summary).</summary>
internal sealed class IpfixExportCounters
{
    private long _messages, _records, _sendErrors, _recordsLost, _flowsDropped;

    /// <summary>Messages the socket accepted.</summary>
    public long Messages => Interlocked.Read(ref _messages);

    /// <summary>Data records in those messages.</summary>
    public long Records => Interlocked.Read(ref _records);

    /// <summary>Sends or connects that failed (the collector is down or unreachable); the message is lost, not retried.</summary>
    public long SendErrors => Interlocked.Read(ref _sendErrors);

    /// <summary>Data records in messages whose send failed.</summary>
    public long RecordsLost => Interlocked.Read(ref _recordsLost);

    /// <summary>Flows never encoded: the exporter's queue was full, or no TCP connection stood.</summary>
    public long FlowsDropped => Interlocked.Read(ref _flowsDropped);

    public void Sent(int records)
    {
        Interlocked.Increment(ref _messages);
        Interlocked.Add(ref _records, records);
    }

    public void SendFailed(int records)
    {
        Interlocked.Increment(ref _sendErrors);
        Interlocked.Add(ref _recordsLost, records);
    }

    /// <summary>A connect that failed: nothing was in flight, but the collector is down.</summary>
    public void ConnectFailed() => Interlocked.Increment(ref _sendErrors);

    public void Dropped(long flows) => Interlocked.Add(ref _flowsDropped, flows);
}
