using Flowmesh.Core.Export;

namespace Flowmesh.Core.Tests.Export;

/// <summary>Keeps a copy of every message the encoder finishes.</summary>
internal sealed class CollectingSink : IIpfixMessageSink
{
    public List<(byte[] Message, int Records)> Messages { get; } = [];

    public void Send(ReadOnlySpan<byte> message, int dataRecords) => Messages.Add((message.ToArray(), dataRecords));
}
