using Flowmesh.Core.HostContext;

namespace Flowmesh.Core.Dns;

/// <summary>Puts on each flow the name its PC resolved for the other end (<see cref="FlowHostContext.DnsName"/>).</summary>
public sealed class DnsNameContextProvider(DnsTrafficMonitor monitor) : IFlowContextProvider
{
    public void Describe(in FlowContextKey flow, FlowHostContextBuilder context)
    {
        if (monitor.FindName(in flow) is { } name) context.DnsName ??= name;
    }
}
