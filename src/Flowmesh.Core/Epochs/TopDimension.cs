namespace Flowmesh.Core.Epochs;

/// <summary>What a top-talker list ranks.</summary>
public enum TopDimension
{
    /// <summary>Sender addresses, by traffic they sent.</summary>
    Talkers = 0,
    /// <summary>Receiver addresses, by traffic they received.</summary>
    Destinations = 1,
    /// <summary>Directed (sender, receiver) pairs.</summary>
    Pairs = 2,
    /// <summary>Flows (protocol, initiator address and port, responder address and port), both directions together.</summary>
    Flows = 3,
}
