namespace Flowmesh.Core.HostContext;

/// <summary>Packets of a flow the kernel dropped for one reason (the kernel's <c>skb_drop_reason</c> name without its SKB_DROP_REASON_ prefix, such as <c>NETFILTER_DROP</c>).</summary>
public readonly record struct DropReasonCount(string Reason, long Packets);
