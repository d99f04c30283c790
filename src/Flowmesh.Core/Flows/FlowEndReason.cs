namespace Flowmesh.Core.Flows;

/// <summary>Why a flow record was emitted (IPFIX flowEndReason in spirit, RFC 5102 5.11.3).</summary>
public enum FlowEndReason : byte
{
    IdleTimeout = 1,
    ActiveTimeout = 2,
    /// <summary>TCP FIN seen in both directions, or RST, and the closing grace period passed.</summary>
    EndOfFlow = 3,
    /// <summary>Emitted because the input ended or the table was flushed.</summary>
    ForcedEnd = 4,
    /// <summary>Evicted to keep the table within its entry cap.</summary>
    LackOfResources = 5,
}
