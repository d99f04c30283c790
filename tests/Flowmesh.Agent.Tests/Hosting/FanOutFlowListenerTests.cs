using Flowmesh.Agent.Hosting;
using Flowmesh.Core.Epochs;
using Flowmesh.Core.Flows;
using Flowmesh.Core.Packets;

namespace Flowmesh.Agent.Tests.Hosting;

/// <summary>The flow log and the IPFIX export share the capture's deltas: one consumer that throws costs the other nothing.</summary>
public sealed class FanOutFlowListenerTests
{
    private static readonly FlowTableDelta Delta = new(IpProtocol.Udp, IpAddress128.Parse("192.0.2.1"), 1, IpAddress128.Parse("192.0.2.2"), 2,
        1, 60, 0, 0, StartsRecord: true, 1, 1);

    [Fact]
    public void Every_listener_gets_every_call_and_the_first_failure_is_rethrown()
    {
        var failing = new Listener(fail: true);
        var healthy = new Listener(fail: false);
        var fanOut = FanOutFlowListener.Of(failing, null, healthy)!;

        var added = Assert.Throws<InvalidOperationException>(() => fanOut.Add(Delta));
        Assert.Equal("add", added.Message);
        var sealedError = Assert.Throws<InvalidOperationException>(() => fanOut.Sealed(new EpochId("n", 0, 1_000_000)));
        Assert.Equal("sealed", sealedError.Message);
        Assert.Equal((1, 1), (healthy.Added, healthy.Sealed));
        Assert.Equal((1, 1), (failing.Added, failing.Sealed));
    }

    [Fact]
    public void One_listener_is_used_as_it_is_and_none_is_null()
    {
        var only = new Listener(fail: false);
        Assert.Same(only, FanOutFlowListener.Of(null, only));
        Assert.Null(FanOutFlowListener.Of(null, null));
    }

    private sealed class Listener(bool fail) : IEpochFlowListener
    {
        public int Added { get; private set; }
        public int Sealed { get; private set; }

        public void Add(FlowTableDelta delta)
        {
            Added++;
            if (fail) throw new InvalidOperationException("add");
        }

        void IEpochFlowListener.Sealed(EpochId id)
        {
            Sealed++;
            if (fail) throw new InvalidOperationException("sealed");
        }
    }
}
