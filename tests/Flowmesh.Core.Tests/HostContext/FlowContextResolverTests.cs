using Flowmesh.Core.Epochs;
using Flowmesh.Core.Flows;
using Flowmesh.Core.HostContext;
using Flowmesh.Core.Packets;
using Flowmesh.Core.Tests.Epochs;
using static Flowmesh.Core.Tests.Epochs.EpochTestTraffic;

namespace Flowmesh.Core.Tests.HostContext;

/// <summary>The host-context contract: providers joined per flow, failures contained, context on every delta the summarizer cuts.</summary>
public sealed class FlowContextResolverTests
{
    /// <summary>Knows one fixed 5-tuple, in the orientation it was told (as a socket table keyed by the PC's side would).</summary>
    private sealed class OneFlowProvider(FlowContextKey known, Action<FlowHostContextBuilder> describe) : IFlowContextProvider
    {
        public int Calls { get; private set; }

        public void Describe(in FlowContextKey flow, FlowHostContextBuilder context)
        {
            Calls++;
            bool same = flow.Protocol == known.Protocol && flow.SourceAddress == known.SourceAddress && flow.SourcePort == known.SourcePort
                && flow.DestinationAddress == known.DestinationAddress && flow.DestinationPort == known.DestinationPort;
            if (same) describe(context);
        }
    }

    private sealed class ThrowingProvider : IFlowContextProvider
    {
        public void Describe(in FlowContextKey flow, FlowHostContextBuilder context) => throw new InvalidOperationException("broken source");
    }

    private static readonly FlowContextKey Curl = new(6, IpAddress128.Parse("10.1.0.1"), 40000, IpAddress128.Parse("10.2.0.1"), 443, 0);

    [Fact]
    public void EveryProviderAddsItsPartAndAFlowNobodyKnowsHasNoContext()
    {
        var process = new OneFlowProvider(Curl, c => c.Process = new ProcessIdentity(4242, "curl", AttributionSource.KernelSocketHook) { User = "alice" });
        var tcp = new OneFlowProvider(Curl, c => c.Tcp = new TcpPathStats(51_000, 50_200, 53_900, 2));
        var dns = new OneFlowProvider(Curl, c => { c.DnsName = "example.lan"; c.AddDrop("NETFILTER_DROP", 3); });
        var resolver = new FlowContextResolver([process, tcp, dns]);

        var context = resolver.Resolve(in Curl);
        Assert.NotNull(context);
        Assert.Equal(4242, context.Process!.Pid);
        Assert.Equal("alice", context.Process.User);
        Assert.Equal(new TcpPathStats(51_000, 50_200, 53_900, 2), context.Tcp);
        Assert.Equal("example.lan", context.DnsName);
        Assert.Equal([new DropReasonCount("NETFILTER_DROP", 3)], context.Drops);

        // The builder is reused: nothing of the previous flow leaks into the next.
        Assert.Null(resolver.Resolve(Curl with { SourcePort = 40001 }));
        Assert.Equal(2, resolver.Resolved);
        Assert.Equal(1, resolver.WithContext);
        Assert.Equal(2, process.Calls);
    }

    [Fact]
    public void AProviderThatThrowsLosesOnlyItsOwnPartAndIsCounted()
    {
        var process = new OneFlowProvider(Curl, c => c.Process = new ProcessIdentity(7, "ssh", AttributionSource.SocketTable));
        var resolver = new FlowContextResolver([new ThrowingProvider(), process]);
        var context = resolver.Resolve(in Curl);
        Assert.Equal("ssh", context!.Process!.Name);
        Assert.Equal(1, resolver.ProviderFailures);
        Assert.Equal("broken source", resolver.LastFailure!.Message);
    }

    [Fact]
    public void TheSummarizerAttachesContextToEveryDeltaBeforeTheFlowListenerSeesIt()
    {
        var provider = new OneFlowProvider(Curl, c => c.Process = new ProcessIdentity(4242, "curl", AttributionSource.KernelSocketHook));
        var listener = new DeltaLog();
        var records = new List<EpochRecord>();
        var summarizer = new EpochSummarizer(new EpochSummarizerOptions
        {
            Origin = "pc-1", Key = Flowmesh.Core.Tests.Sketches.TestKeys.Primary, Context = new FlowContextResolver([provider]),
        }, records.Add, listener);
        var known = new SyntheticPacket(Start, "10.1.0.1", 40000, "10.2.0.1", 443, IpProtocol.Tcp, 60, 0x02);
        var other = new SyntheticPacket(Start + 1, "10.1.0.1", 40001, "10.2.0.1", 443, IpProtocol.Tcp, 60, 0x02);
        summarizer.ObservePacket(LinkType.Ethernet, known.Micros, known.Frame());
        summarizer.ObservePacket(LinkType.Ethernet, other.Micros, other.Frame());
        summarizer.Finish();

        Assert.Single(records);
        Assert.Equal(2, listener.Deltas.Count);
        Assert.Equal("curl", Assert.Single(listener.Deltas, d => d.SourcePort == 40000).Context?.Process?.Name);
        Assert.Null(Assert.Single(listener.Deltas, d => d.SourcePort == 40001).Context);
    }

    [Fact]
    public void WithContextCopiesTheRecordAndLeavesTheOriginalAlone()
    {
        var record = new FlowRecord
        {
            Protocol = 6, SourceAddress = Curl.SourceAddress, SourcePort = 40000, DestinationAddress = Curl.DestinationAddress, DestinationPort = 443,
            Packets = 3, Bytes = 180, StartMicros = 1, EndMicros = 2, TcpFlags = 0x12,
        };
        Assert.Same(record, record.WithContext(null));
        var context = new FlowHostContext { DnsName = "example.lan" };
        var copy = record.WithContext(context);
        Assert.Same(context, copy.Context);
        Assert.Null(record.Context);
        Assert.Equal((record.Packets, record.Bytes, record.TcpFlags, record.CommunityIdV1()), (copy.Packets, copy.Bytes, copy.TcpFlags, copy.CommunityIdV1()));
    }

    private sealed class DeltaLog : IEpochFlowListener
    {
        public List<FlowTableDelta> Deltas { get; } = [];
        public void Add(FlowTableDelta delta) => Deltas.Add(delta);
        public void Sealed(EpochId id) { }
    }
}
