namespace Flowmesh.Core.Export;

/// <summary>Takes each finished IPFIX message (the encoder does no I/O; the agent's exporter sends it).</summary>
public interface IIpfixMessageSink
{
    /// <param name="message">The whole message; valid only during the call (the encoder reuses its buffer).</param>
    /// <param name="dataRecords">Data records in it (0 for a message of templates only).</param>
    void Send(ReadOnlySpan<byte> message, int dataRecords);
}
