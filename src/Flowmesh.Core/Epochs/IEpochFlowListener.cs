using Flowmesh.Core.Flows;

namespace Flowmesh.Core.Epochs;

/// <summary>
/// Something besides the epoch summary that takes every flow delta of a capture and learns when each epoch seals
/// (the agent's drill-down flow log). Called on the capture thread. The agent counts and drops a delta whose listener
/// throws, and captures on.
/// </summary>
public interface IEpochFlowListener
{
    void Add(FlowTableDelta delta);

    /// <summary>The epoch closed: everything added since the previous call belongs to it. Called before its record is published.</summary>
    void Sealed(EpochId id);
}
