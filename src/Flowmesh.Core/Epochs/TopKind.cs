namespace Flowmesh.Core.Epochs;

/// <summary>
/// What a top list ranks: the one list of top kinds every layer uses (records, views, API, CLI). Records store four
/// of them (<see cref="EpochContents.TopIndex"/>); <see cref="Ports"/> is derived from the flows list. The names the
/// API and CLI accept are <see cref="TopKindNames"/>.
/// </summary>
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
