namespace Flowmesh.Core.Epochs;

/// <summary>Which per-key spread a fan-out or fan-in answer measures (initiator = source, responder = destination).</summary>
public enum SpreadKind
{
    /// <summary>Fan-out: distinct responder addresses per initiator (host scans).</summary>
    DestinationsPerSource = 0,
    /// <summary>Fan-out: distinct (protocol, responder port) per (initiator, responder) (port scans).</summary>
    PortsPerPair = 1,
    /// <summary>Fan-in: distinct initiator addresses per responder (floods, spoofed or not).</summary>
    SourcesPerDestination = 2,
}
