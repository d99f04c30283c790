using Flowmesh.Core.Packets;

namespace Flowmesh.Core.Dns;

/// <summary>What ties a response to its query: both ends, the transport and the transaction id (RFC 5452 9.1).</summary>
public readonly record struct DnsTransactionKey(
    IpAddress128 Client, ushort ClientPort, IpAddress128 Server, ushort ServerPort, byte Transport, ushort TransactionId);
