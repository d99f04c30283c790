namespace Flowmesh.Core.Views;

/// <summary>What a top list ranks.</summary>
public enum TopKind
{
    /// <summary>Sender addresses by traffic sent.</summary>
    Talkers = 0,
    /// <summary>Receiver addresses by traffic received.</summary>
    Destinations = 1,
    /// <summary>Directed (sender, receiver) pairs.</summary>
    Pairs = 2,
    /// <summary>(protocol, responder port): the services used, derived from the top-flows list (see docs/global-view.md).</summary>
    Ports = 3,
    /// <summary>5-tuples (protocol, initiator address:port, responder address:port), both directions together.</summary>
    Flows = 4,
}
