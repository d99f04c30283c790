using Flowmesh.Core.Flows;
using Flowmesh.Core.Packets;

namespace Flowmesh.Core.Tests.Flows;

public sealed class CommunityIdTests
{
    // Expected values are the published Community ID v1 test vectors of the specification repository,
    // https://github.com/corelight/community-id-spec: the tables in baseline/README.md (default seed
    // and seed=1) and rows of baseline/baseline_deflt.json (computed from the spec's pcaps). For ICMP
    // rows, "sport" is the type and "dport" the code, as in those tables.
    [Theory]
    // baseline/README.md, default settings
    [InlineData(6, "1.2.3.4", 1122, "5.6.7.8", 3344, 0, "1:wCb3OG7yAFWelaUydu0D+125CLM=")]
    [InlineData(6, "5.6.7.8", 3344, "1.2.3.4", 1122, 0, "1:wCb3OG7yAFWelaUydu0D+125CLM=")]
    [InlineData(17, "1.2.3.4", 1122, "5.6.7.8", 3344, 0, "1:0Mu9InQx6z4ZiCZM/7HXi2WMhOg=")]
    [InlineData(17, "5.6.7.8", 3344, "1.2.3.4", 1122, 0, "1:0Mu9InQx6z4ZiCZM/7HXi2WMhOg=")]
    [InlineData(132, "1.2.3.4", 1122, "5.6.7.8", 3344, 0, "1:EKt4MsxuyaE6mL+hmrEkQ9csDD8=")]
    [InlineData(132, "5.6.7.8", 3344, "1.2.3.4", 1122, 0, "1:EKt4MsxuyaE6mL+hmrEkQ9csDD8=")]
    [InlineData(1, "1.2.3.4", 8, "5.6.7.8", 0, 0, "1:crodRHL2FEsHjbv3UkRrfbs4bZ0=")]
    [InlineData(1, "5.6.7.8", 0, "1.2.3.4", 0, 0, "1:crodRHL2FEsHjbv3UkRrfbs4bZ0=")]
    [InlineData(1, "1.2.3.4", 11, "5.6.7.8", 0, 0, "1:f/YiSyWqczrTgfUCZlBUnvHRcPk=")]
    [InlineData(58, "fe80:0001:0203:0405:0607:0809:0A0B:0C0D", 128, "fe80:1011:1213:1415:1617:1819:1A1B:1C1D", 0, 0, "1:0bf7hyMJUwt3fMED7z8LIfRpBeo=")]
    [InlineData(58, "fe80:1011:1213:1415:1617:1819:1A1B:1C1D", 129, "fe80:0001:0203:0405:0607:0809:0A0B:0C0D", 0, 0, "1:0bf7hyMJUwt3fMED7z8LIfRpBeo=")]
    [InlineData(58, "fe80:0001:0203:0405:0607:0809:0A0B:0C0D", 146, "fe80:1011:1213:1415:1617:1819:1A1B:1C1D", 0, 0, "1:fYC8+pz24E+EhANP1EZhpX0Dw10=")]
    [InlineData(46, "1.2.3.4", 0, "5.6.7.8", 0, 0, "1:ikv3kmf89luf73WPz1jOs49S768=")]
    [InlineData(46, "5.6.7.8", 0, "1.2.3.4", 0, 0, "1:ikv3kmf89luf73WPz1jOs49S768=")]
    [InlineData(46, "fe80:0001:0203:0405:0607:0809:0A0B:0C0D", 0, "fe80:1011:1213:1415:1617:1819:1A1B:1C1D", 0, 0, "1:wQ/2mwrnXP4lmJcHdGL5ePjR+e0=")]
    [InlineData(46, "fe80:1011:1213:1415:1617:1819:1A1B:1C1D", 0, "fe80:0001:0203:0405:0607:0809:0A0B:0C0D", 0, 0, "1:wQ/2mwrnXP4lmJcHdGL5ePjR+e0=")]
    // baseline/README.md, seed=1
    [InlineData(6, "1.2.3.4", 1122, "5.6.7.8", 3344, 1, "1:HhA1B+6CoLbiKPEs5nhNYN4XWfk=")]
    [InlineData(17, "5.6.7.8", 3344, "1.2.3.4", 1122, 1, "1:OShq+iKDAMVouh/4bMxB9Sz4amw=")]
    [InlineData(132, "1.2.3.4", 1122, "5.6.7.8", 3344, 1, "1:uitchpn5MMGAQKBJh7bIr/bAr7s=")]
    [InlineData(1, "5.6.7.8", 0, "1.2.3.4", 0, 1, "1:9pr4ZGTICiuZoIh90RRYE2RyXpU=")]
    [InlineData(1, "1.2.3.4", 11, "5.6.7.8", 0, 1, "1:1DD7cWGC/Yg91YGsQeni8du3pIA=")]
    [InlineData(58, "fe80:0001:0203:0405:0607:0809:0A0B:0C0D", 146, "fe80:1011:1213:1415:1617:1819:1A1B:1C1D", 0, 1, "1:Cv4IKJe56BNkF0MBW2YxQ3Nwc3s=")]
    [InlineData(46, "fe80:1011:1213:1415:1617:1819:1A1B:1C1D", 0, "fe80:0001:0203:0405:0607:0809:0A0B:0C0D", 0, 1, "1:j6EyyfBzL4vWKHFXgUqb5Az3OxM=")]
    // baseline/baseline_deflt.json (real traffic from the spec's pcaps)
    [InlineData(6, "2001:470:e5bf:dead:4957:2174:e82c:4887", 63943, "2607:f8b0:400c:c03::1a", 25, 0, "1:/qFaeAR+gFe1KYjMzVDsMv+wgU4=")]
    [InlineData(6, "2607:f8b0:400c:c03::1a", 25, "2001:470:e5bf:dead:4957:2174:e82c:4887", 63943, 0, "1:/qFaeAR+gFe1KYjMzVDsMv+wgU4=")]
    [InlineData(6, "128.232.110.120", 34855, "66.35.250.204", 80, 0, "1:LQU9qZlK+B5F3KDmev6m5PMibrg=")]
    [InlineData(17, "8.8.8.8", 53, "192.168.1.52", 54585, 0, "1:d/FP5EW3wiY1vCndhwleRRKHowQ=")]
    [InlineData(132, "192.168.170.8", 7, "192.168.170.56", 7, 0, "1:MP2EtRCAUIZvTw6MxJHLV7N7JDs=")]
    [InlineData(132, "192.168.170.56", 7, "192.168.170.8", 7, 0, "1:MP2EtRCAUIZvTw6MxJHLV7N7JDs=")]
    [InlineData(1, "192.168.0.89", 8, "192.168.0.1", 0, 0, "1:X0snYXpgwiv9TZtqg64sgzUn6Dk=")]
    [InlineData(1, "192.168.0.1", 0, "192.168.0.89", 0, 0, "1:X0snYXpgwiv9TZtqg64sgzUn6Dk=")]
    [InlineData(1, "10.0.0.1", 11, "10.0.0.2", 0, 0, "1:YHxtAirCG//0OzkcVAukqKQN9xM=")]
    [InlineData(58, "fe80::200:86ff:fe05:80da", 135, "fe80::260:97ff:fe07:69ea", 0, 0, "1:dGHyGvjMfljg6Bppwm3bg0LO8TY=")]
    [InlineData(58, "fe80::260:97ff:fe07:69ea", 136, "fe80::200:86ff:fe05:80da", 0, 0, "1:dGHyGvjMfljg6Bppwm3bg0LO8TY=")]
    [InlineData(58, "fe80::260:97ff:fe07:69ea", 135, "fe80::200:86ff:fe05:80da", 0, 0, "1:zavyT/cezQr1fmImYCwYnMXbgck=")]
    [InlineData(58, "3ffe:501:1800:2345::2", 3, "3ffe:507:0:1:200:86ff:fe05:80da", 0, 0, "1:2ObVBgIn28oZvibYZhZMBgh7WdQ=")]
    [InlineData(58, "3ffe:501:410:0:2c0:dfff:fe47:33e", 1, "3ffe:507:0:1:200:86ff:fe05:80da", 4, 0, "1:hLZd0XGWojozrvxqE0dWB1iM6R0=")]
    [InlineData(58, "3ffe:507:0:1:200:86ff:fe05:80da", 128, "3ffe:501:0:1001::2", 0, 0, "1:+TW+HtLHvV1xnGhV1lv7XoJrqQg=")]
    [InlineData(58, "3ffe:501:0:1001::2", 129, "3ffe:507:0:1:200:86ff:fe05:80da", 0, 0, "1:+TW+HtLHvV1xnGhV1lv7XoJrqQg=")]
    [InlineData(58, "fe80::200:86ff:fe05:80da", 133, "ff02::2", 0, 0, "1:hO+sN4H+MG5MY/8hIrXPqc4ZQz0=")]
    [InlineData(58, "fe80::260:97ff:fe07:69ea", 134, "ff02::1", 0, 0, "1:pkvHqCL88/tg1k4cPigmZXUtL00=")]
    public void MatchesSpecVectors(byte protocol, string source, int sourcePortOrType, string destination, int destinationPortOrCode, int seed, string expected)
    {
        bool icmp = IpProtocol.IsIcmp(protocol);
        bool ports = IpProtocol.HasPorts(protocol);
        var record = new FlowRecord
        {
            Protocol = protocol,
            SourceAddress = IpAddress128.Parse(source),
            SourcePort = ports ? (ushort)sourcePortOrType : (ushort)0,
            DestinationAddress = IpAddress128.Parse(destination),
            DestinationPort = ports ? (ushort)destinationPortOrCode : (ushort)0,
            IcmpType = icmp ? (byte)sourcePortOrType : (byte)0,
            IcmpCode = icmp ? (byte)destinationPortOrCode : (byte)0,
        };

        Assert.Equal(expected, CommunityId.Compute(record, (ushort)seed));
    }

    [Fact]
    public void DefaultSeedIsZero()
    {
        var record = new FlowRecord
        {
            Protocol = IpProtocol.Tcp,
            SourceAddress = IpAddress128.Parse("1.2.3.4"),
            SourcePort = 1122,
            DestinationAddress = IpAddress128.Parse("5.6.7.8"),
            DestinationPort = 3344,
        };
        Assert.Equal("1:wCb3OG7yAFWelaUydu0D+125CLM=", record.CommunityIdV1());
    }

    /// <summary>
    /// End to end: a flow table that only saw the echo reply still names the exchange by its request,
    /// so its record hashes to the spec's value for that ping.
    /// </summary>
    [Fact]
    public void RecordFromReplyOnlyFlowHashesLikeTheRequest()
    {
        var records = new List<FlowRecord>();
        var table = new FlowTable(new FlowTableOptions(), records.Add);
        table.Observe(TestPacket.Icmp("192.168.0.1", "192.168.0.89", type: 0, code: 0, micros: 1));
        table.Flush();

        FlowRecord record = Assert.Single(records);
        Assert.Equal(IpAddress128.Parse("192.168.0.89"), record.SourceAddress);
        Assert.Equal(8, record.IcmpType);
        Assert.Equal("1:X0snYXpgwiv9TZtqg64sgzUn6Dk=", record.CommunityIdV1());
    }
    /// <summary>
    /// Non-first fragments carry no transport header: a flow made of them alone is hashed as a protocol without ports
    /// (Wireshark, the spec's reference implementation), while real port-0 traffic, and a flow where such traffic
    /// joined the fragments, keeps its ports. Expected values from System.Security.Cryptography's SHA-1.
    /// </summary>
    [Fact]
    public void FlowsOfNonFirstFragmentsHashWithoutPorts()
    {
        var records = new List<FlowRecord>();
        var table = new FlowTable(new FlowTableOptions(), records.Add);
        PacketInfo fragment = TestPacket.Udp("192.0.2.53", 0, "198.51.100.9", 0, micros: 1, ipLength: 500);
        fragment.IsNonFirstFragment = true;
        table.Observe(in fragment);
        table.Observe(TestPacket.Udp("192.0.2.7", 0, "198.51.100.9", 0, micros: 2));
        PacketInfo mixed = TestPacket.Udp("192.0.2.8", 0, "198.51.100.9", 0, micros: 3, ipLength: 500);
        mixed.IsNonFirstFragment = true;
        table.Observe(in mixed);
        table.Observe(TestPacket.Udp("192.0.2.8", 0, "198.51.100.9", 0, micros: 4));
        table.Flush();

        FlowRecord From(string source) => records.Single(r => r.SourceAddress == IpAddress128.Parse(source));
        Assert.True(From("192.0.2.53").NonFirstFragmentsOnly);
        Assert.Equal(Expected("192.0.2.53", "198.51.100.9", withPorts: false), From("192.0.2.53").CommunityIdV1());
        Assert.False(From("192.0.2.7").NonFirstFragmentsOnly);
        Assert.Equal(Expected("192.0.2.7", "198.51.100.9", withPorts: true), From("192.0.2.7").CommunityIdV1());
        Assert.False(From("192.0.2.8").NonFirstFragmentsOnly);
    }

    private static string Expected(string low, string high, bool withPorts)
    {
        byte[] input = [0, 0, .. System.Net.IPAddress.Parse(low).GetAddressBytes(), .. System.Net.IPAddress.Parse(high).GetAddressBytes(), IpProtocol.Udp, 0,
            .. (withPorts ? new byte[4] : [])];
        return "1:" + Convert.ToBase64String(System.Security.Cryptography.SHA1.HashData(input));
    }
}
