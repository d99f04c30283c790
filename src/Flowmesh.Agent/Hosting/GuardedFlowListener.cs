using Flowmesh.Core.Epochs;
using Flowmesh.Core.Flows;

namespace Flowmesh.Agent.Hosting;

/// <summary>
/// The drill-down flow log as the capture's delta listener, guarded on its own: a delta or an epoch hand-over it
/// refuses is counted in <see cref="CaptureErrors"/> (stage flow_log) and dropped, and the summary still gets it.
/// </summary>
internal sealed class GuardedFlowListener(IEpochFlowListener inner, CaptureErrors errors) : IEpochFlowListener
{
    public void Add(FlowTableDelta delta)
    {
        try
        {
            inner.Add(delta);
        }
        catch (Exception e)
        {
            errors.Count(CaptureErrorStage.FlowLog, e, CaptureErrors.Describe(in delta));
        }
    }

    public void Sealed(EpochId id)
    {
        try
        {
            inner.Sealed(id);
        }
        catch (Exception e)
        {
            errors.Count(CaptureErrorStage.FlowLog, e, $"the flow rows of epoch {id}");
        }
    }
}
