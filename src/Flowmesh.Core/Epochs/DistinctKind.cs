namespace Flowmesh.Core.Epochs;

/// <summary>What a distinct count counts.</summary>
public enum DistinctKind
{
    /// <summary>Addresses that sent at least one packet.</summary>
    Sources = 0,
    /// <summary>Addresses that received at least one packet.</summary>
    Destinations = 1,
    /// <summary>Biflows (direction-free 5-tuples; all ICMP between two hosts is one flow).</summary>
    Flows = 2,
    /// <summary>(protocol, responder port) of TCP, UDP and SCTP flows: the services used.</summary>
    Ports = 3,
}
