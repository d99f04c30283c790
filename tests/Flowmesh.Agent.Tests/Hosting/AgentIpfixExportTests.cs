using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Flowmesh.Core.Export;
using Flowmesh.Tests.Shared;

namespace Flowmesh.Agent.Tests.Hosting;

/// <summary>
/// `flowmesh agent --ipfix`: a capturing agent (libpcap on loopback, so root) exports every flow it observes, one
/// record per flow and epoch with delta counters that add up to the traffic the test made, in messages whose
/// sequence numbers count the data records before them, the templates leading. The collector is the test's own
/// socket, read with the RFC-based reader the encoder's tests use.
/// </summary>
[Collection(nameof(AgentProcessCollection))]
public sealed class AgentIpfixExportTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("fmh-ipfix-").FullName;
    private AgentProcess? _agent;

    [Fact]
    public void Every_observed_flow_reaches_the_collector_with_counters_that_add_up()
    {
        if (!Environment.IsPrivilegedProcess) Assert.Skip("needs root: the agent captures on loopback with libpcap");
        using var collector = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
        int port = ((IPEndPoint)collector.Client.LocalEndPoint!).Port;
        _agent = AgentProcess.Start("x", Path.Combine(_directory, "x"), "--capture", "pcap", "-i", "lo", "--epoch", "1s", "--ipfix", $"127.0.0.1:{port}");

        // Ten 100-byte datagrams one way, three 50-byte ones back, spread over more than one epoch.
        using var client = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
        using var server = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
        var serverEndpoint = (IPEndPoint)server.Client.LocalEndPoint!;
        var clientEndpoint = (IPEndPoint)client.Client.LocalEndPoint!;
        for (int i = 0; i < 10; i++)
        {
            client.Send(new byte[100], serverEndpoint);
            if (i < 3) server.Send(new byte[50], clientEndpoint);
            Thread.Sleep(150);
        }

        var decoder = new IpfixTestDecoder();
        long forwardPackets = 0, forwardBytes = 0, reversePackets = 0, reverseBytes = 0, expectedSequence = -1;
        int messages = 0, withTemplates = 0;
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        collector.Client.ReceiveTimeout = 1000;
        while ((forwardPackets < 10 || reversePackets < 3) && DateTime.UtcNow < deadline)
        {
            byte[] datagram;
            try
            {
                IPEndPoint? from = null;
                datagram = collector.Receive(ref from);
            }
            catch (SocketException)
            {
                continue;
            }
            var message = decoder.Read(datagram);
            Assert.NotNull(message);
            if (messages == 0) Assert.True(message.TemplateRecords > 0, "the first message carries the templates");
            if (expectedSequence >= 0) Assert.Equal((uint)expectedSequence, message.Sequence);
            expectedSequence = message.Sequence + message.Records.Count;
            messages++;
            if (message.TemplateRecords > 0) withTemplates++;
            foreach (var record in message.Records)
            {
                if (record.Unsigned(IpfixElement.ProtocolIdentifier) != 17
                    || record.Unsigned(IpfixElement.SourceTransportPort) != (ulong)clientEndpoint.Port
                    || record.Unsigned(IpfixElement.DestinationTransportPort) != (ulong)serverEndpoint.Port) continue;
                Assert.Equal(new byte[] { 127, 0, 0, 1 }, record.Bytes(IpfixElement.SourceIPv4Address));
                forwardPackets += (long)record.Unsigned(IpfixElement.PacketDeltaCount);
                forwardBytes += (long)record.Unsigned(IpfixElement.OctetDeltaCount);
                reversePackets += (long)record.Unsigned(IpfixElement.PacketDeltaCount, IpfixElement.ReversePen);
                reverseBytes += (long)record.Unsigned(IpfixElement.OctetDeltaCount, IpfixElement.ReversePen);
            }
        }

        Assert.Empty(decoder.Problems);
        // IP total lengths: 20 + 8 + payload.
        Assert.Equal((10L, 10L * 128, 3L, 3L * 78), (forwardPackets, forwardBytes, reversePackets, reverseBytes));
        Assert.True(withTemplates >= 1);
        string metrics = _agent.Get("metrics");
        double records = metrics.Split('\n').Where(l => l.StartsWith("flowmesh_ipfix_records_total ", StringComparison.Ordinal))
            .Select(l => double.Parse(l.Split(' ')[1], CultureInfo.InvariantCulture)).Single();
        Assert.True(records >= 1, metrics);
    }

    public void Dispose()
    {
        _agent?.Dispose();
        try { Directory.Delete(_directory, recursive: true); } catch (IOException) { }
    }
}
