namespace Flowmesh.Core.HostContext;

/// <summary>
/// One source of host context (the process table, the TCP stack, the DNS cache, drop counters). Called on the capture
/// thread for every flow delta and exported record: it must answer from what it already holds, without blocking on I/O
/// for long, and must look the flow up in both orientations where its own state is keyed by the PC's side.
/// </summary>
public interface IFlowContextProvider
{
    /// <summary>Adds what this provider knows about <paramref name="flow"/> to <paramref name="context"/>; leaves the rest alone.</summary>
    void Describe(in FlowContextKey flow, FlowHostContextBuilder context);
}
