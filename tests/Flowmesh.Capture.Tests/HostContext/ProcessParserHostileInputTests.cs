using System.Buffers.Binary;
using Flowmesh.Capture.HostContext.Processes;
using Flowmesh.Core.Packets;

namespace Flowmesh.Capture.Tests.HostContext;

/// <summary>
/// The socket-table and /proc parsers on valid, truncated, random and hostile input: they return what they can, count
/// what they dropped, and never throw, hang or read past their input.
/// </summary>
public sealed class ProcessParserHostileInputTests
{
    /// <summary>One SOCK_DIAG_BY_FAMILY message as the kernel lays it out (nlmsghdr + inet_diag_msg).</summary>
    private static byte[] DiagMessage(byte family, byte state, byte[] local, ushort localPort, byte[] remote, ushort remotePort, uint uid, uint inode, uint length = 88)
    {
        byte[] message = new byte[88];
        BinaryPrimitives.WriteUInt32LittleEndian(message, length);
        BinaryPrimitives.WriteUInt16LittleEndian(message.AsSpan(4), InetDiagParser.SockDiagByFamily);
        message[16] = family;
        message[17] = state;
        BinaryPrimitives.WriteUInt16BigEndian(message.AsSpan(20), localPort);
        BinaryPrimitives.WriteUInt16BigEndian(message.AsSpan(22), remotePort);
        local.CopyTo(message, 24);
        remote.CopyTo(message, 40);
        BinaryPrimitives.WriteUInt32LittleEndian(message.AsSpan(80), uid);
        BinaryPrimitives.WriteUInt32LittleEndian(message.AsSpan(84), inode);
        return message;
    }

    private static byte[] Done()
    {
        byte[] done = new byte[20];
        BinaryPrimitives.WriteUInt32LittleEndian(done, 20);
        BinaryPrimitives.WriteUInt16LittleEndian(done.AsSpan(4), InetDiagParser.MessageDone);
        return done;
    }

    private static byte[] Dump() =>
    [
        .. DiagMessage(2, 1, [10, 0, 0, 1], 40000, [10, 0, 0, 2], 443, 1000, 4242),
        .. DiagMessage(10, 10, new byte[16], 22, new byte[16], 0, 0, 77),
        .. DiagMessage(2, 7, [0, 0, 0, 0], 5353, [0, 0, 0, 0], 0, 107, 99),
        .. Done(),
    ];

    [Fact]
    public void A_dump_parses_into_exact_and_wildcard_sockets()
    {
        var sockets = new List<InetDiagSocket>();
        long malformed = 0;
        Assert.Equal(InetDiagParser.Outcome.Done, InetDiagParser.Parse(Dump(), 6, sockets, ref malformed));
        Assert.Equal(0, malformed);
        Assert.Equal(3, sockets.Count);
        Assert.Equal(new SocketEndpoints(6, IpAddress128.Parse("10.0.0.1"), 40000, IpAddress128.Parse("10.0.0.2"), 443), sockets[0].Endpoints);
        Assert.Equal((1000u, 4242ul), (sockets[0].UserId, sockets[0].Inode));
        Assert.Equal(new SocketEndpoints(6, default, 22, default, 0), sockets[1].Endpoints); // a listener on ::
        Assert.Equal(new SocketEndpoints(6, default, 5353, default, 0), sockets[2].Endpoints); // 0.0.0.0 is unspecified too
    }

    [Fact]
    public void Every_truncation_of_a_dump_is_cut_cleanly_and_counted()
    {
        byte[] dump = Dump();
        for (int length = 0; length < dump.Length; length++)
        {
            var sockets = new List<InetDiagSocket>();
            long malformed = 0;
            InetDiagParser.Outcome outcome = InetDiagParser.Parse(dump.AsSpan(0, length), 6, sockets, ref malformed);
            int whole = Math.Min(3, length / 88);
            Assert.Equal(whole, sockets.Count);
            bool cutInside = length % 88 != 0 && length < 3 * 88 || length > 3 * 88;
            if (cutInside) Assert.Equal(InetDiagParser.Outcome.Failed, outcome);
            Assert.Equal(cutInside ? 1 : 0, malformed);
        }
    }

    [Fact]
    public void Hostile_lengths_and_families_end_the_batch_without_reading_past_it()
    {
        long malformed = 0;
        var sockets = new List<InetDiagSocket>();
        // A length beyond the buffer, a length below the header, a message too short for inet_diag_msg, an unknown family.
        Assert.Equal(InetDiagParser.Outcome.Failed, InetDiagParser.Parse(DiagMessage(2, 1, [1, 2, 3, 4], 1, [5, 6, 7, 8], 2, 0, 1, length: 4096), 6, sockets, ref malformed));
        Assert.Equal(InetDiagParser.Outcome.Failed, InetDiagParser.Parse(DiagMessage(2, 1, [1, 2, 3, 4], 1, [5, 6, 7, 8], 2, 0, 1, length: 3), 6, sockets, ref malformed));
        Assert.Equal(InetDiagParser.Outcome.More, InetDiagParser.Parse(DiagMessage(2, 1, [1, 2, 3, 4], 1, [5, 6, 7, 8], 2, 0, 1, length: 40).AsSpan(0, 40), 6, sockets, ref malformed));
        Assert.Equal(InetDiagParser.Outcome.More, InetDiagParser.Parse(DiagMessage(99, 1, [1, 2, 3, 4], 1, [5, 6, 7, 8], 2, 0, 1), 6, sockets, ref malformed));
        Assert.Empty(sockets);
        Assert.Equal(4, malformed);
    }

    [Fact]
    public void Random_bytes_never_throw_and_yield_a_bounded_list()
    {
        var random = new Random(20261207);
        for (int round = 0; round < 2000; round++)
        {
            byte[] garbage = new byte[random.Next(0, 600)];
            random.NextBytes(garbage);
            // Half the rounds start with a plausible header so the parser gets past the first check.
            if (round % 2 == 0 && garbage.Length >= 16)
            {
                BinaryPrimitives.WriteUInt32LittleEndian(garbage, (uint)random.Next(16, garbage.Length + 1));
                BinaryPrimitives.WriteUInt16LittleEndian(garbage.AsSpan(4), InetDiagParser.SockDiagByFamily);
            }
            var sockets = new List<InetDiagSocket>();
            long malformed = 0;
            InetDiagParser.Parse(garbage, 17, sockets, ref malformed);
            Assert.True(sockets.Count <= garbage.Length / 88);
        }
    }

    [Fact]
    public void Request_is_a_dump_of_every_state_for_one_family_and_protocol()
    {
        byte[] request = InetDiagParser.Request(10, 17, 5);
        Assert.Equal(72, request.Length);
        Assert.Equal(72u, BinaryPrimitives.ReadUInt32LittleEndian(request));
        Assert.Equal(0x301, BinaryPrimitives.ReadUInt16LittleEndian(request.AsSpan(6)));
        Assert.Equal((10, 17), (request[16], request[17]));
        Assert.Equal(uint.MaxValue, BinaryPrimitives.ReadUInt32LittleEndian(request.AsSpan(20)));
    }

    [Theory]
    [InlineData("0::/system.slice/ssh.service\n", "ssh.service")]
    [InlineData("0::/user.slice/user-1000.slice/user@1000.service/app.slice/app-firefox-1234.scope\n", "app-firefox-1234.scope")]
    [InlineData("0::/user.slice/user-1000.slice/session-3.scope\n", "session-3.scope")]
    [InlineData("12:pids:/x\n1:name=systemd:/system.slice/cron.service\n", "cron.service")]
    [InlineData("0::/docker/0123abcd\n", "/docker/0123abcd")]
    [InlineData("0::/\n", null)]
    [InlineData("", null)]
    [InlineData("0::", null)]
    [InlineData("0::relative/path", null)]
    [InlineData("garbage\0\u0001:::\n::", null)]
    [InlineData("0::/a\u0007b.service", null)]
    public void Cgroup_files_give_the_unit_or_nothing(string text, string? unit) => Assert.Equal(unit, CgroupUnit.FromProcCgroup(text));

    [Fact]
    public void Cgroup_paths_are_bounded()
    {
        string longPath = "/" + string.Join('/', Enumerable.Repeat("slice", 400));
        Assert.Equal(512, CgroupUnit.FromProcCgroup("0::" + longPath)!.Length);
        Assert.Null(CgroupUnit.FromPath("/" + new string('a', 600) + ".service"));
    }

    [Fact]
    public void Passwd_lines_map_uids_and_skip_damage()
    {
        var names = PasswdUserNames.Parse(
        [
            "root:x:0:0:root:/root:/bin/bash",
            "alice:x:1000:1000::/home/alice:/bin/sh",
            "# comment",
            "",
            "truncated:x",
            "baduid:x:-1:0::/:/bin/false",
            "huge:x:99999999999:0::/:/bin/false",
            ":x:5:5::/:/bin/false",
            "dup:x:1000:1000::/:/bin/sh",
            "\0\0\0:x:7:7",
        ]);
        Assert.Equal("root", names[0]);
        Assert.Equal("alice", names[1000]);
        Assert.Equal("\0\0\0", names[7]); // odd but harmless: printed escaped by the JSON writer
        Assert.Equal(3, names.Count);
    }

    [Fact]
    public void Passwd_names_come_from_the_file_and_unknown_uids_stay_unnamed()
    {
        string path = Path.GetTempFileName();
        try
        {
            File.WriteAllText(path, "root:x:0:0::/root:/bin/sh\nbob:x:1234:1234::/home/bob:/bin/sh\n");
            var users = new PasswdUserNames(path);
            Assert.Equal("bob", users.Find(1234));
            Assert.Null(users.Find(4321));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Theory]
    [InlineData("socket:[12345]", 12345ul)]
    [InlineData("socket:[0]", null)]
    [InlineData("socket:[]", null)]
    [InlineData("socket:[-1]", null)]
    [InlineData("socket:[99999999999999999999999]", null)]
    [InlineData("socket:[12", null)]
    [InlineData("pipe:[12345]", null)]
    [InlineData("/dev/null", null)]
    [InlineData("", null)]
    [InlineData(null, null)]
    public void Fd_links_name_socket_inodes_or_nothing(string? link, ulong? inode) => Assert.Equal(inode, ProcSocketInodes.SocketInode(link));

    [Theory]
    [InlineData("net:[4026531840]", 4026531840u)]
    [InlineData("net:[]", 0u)]
    [InlineData("mnt:[4026531840]", 0u)]
    [InlineData("net:[99999999999]", 0u)]
    [InlineData(null, 0u)]
    public void Namespace_links_parse_or_give_zero(string? link, uint inode) => Assert.Equal(inode, NetworkNamespace.Parse(link));

    [Theory]
    [InlineData("Name:\tcurl\nUid:\t1000\t1000\t1000\t1000\n", 1000u)]
    [InlineData("Uid:", null)]
    [InlineData("Uid:\tabc\n", null)]
    [InlineData("Name: x\n", null)]
    [InlineData(null, null)]
    public void Status_files_give_the_real_uid_or_nothing(string? status, uint? uid) => Assert.Equal(uid, ProcStatus.RealUserId(status));

    [Theory]
    [InlineData("ffffffff81234567 T tcp_connect", "tcp_connect")]
    [InlineData("ffffffffc0123456 t packet_sendmsg\t[af_packet]", "packet_sendmsg")]
    [InlineData("ffffffff81234567 D some_data", null)]
    [InlineData("ffffffff81234567", null)]
    [InlineData("", null)]
    public void Kallsyms_lines_name_functions_only(string line, string? name) => Assert.Equal(name, KernelFunctions.SymbolName(line));

    [Fact]
    public void Ip_helper_tables_parse_rows_and_cut_lying_counts()
    {
        byte[] table = new byte[4 + 2 * IpHelperTableParser.TcpRowV4];
        BinaryPrimitives.WriteUInt32LittleEndian(table, 2);
        // An established connection and a listener (state 2), ports in network order in their DWORD's first bytes.
        BinaryPrimitives.WriteUInt32LittleEndian(table.AsSpan(4), 5);
        new byte[] { 192, 168, 1, 5 }.CopyTo(table, 8);
        BinaryPrimitives.WriteUInt16BigEndian(table.AsSpan(12), 50000);
        new byte[] { 203, 0, 113, 9 }.CopyTo(table, 16);
        BinaryPrimitives.WriteUInt16BigEndian(table.AsSpan(20), 443);
        BinaryPrimitives.WriteUInt32LittleEndian(table.AsSpan(24), 4242);
        BinaryPrimitives.WriteUInt32LittleEndian(table.AsSpan(28), 2);
        BinaryPrimitives.WriteUInt16BigEndian(table.AsSpan(36), 3389);
        BinaryPrimitives.WriteUInt32LittleEndian(table.AsSpan(48), 900);
        var sockets = new List<(SocketEndpoints Socket, int Pid)>();
        Assert.Equal(0, IpHelperTableParser.Parse(table, 6, ipv6: false, sockets));
        Assert.Equal((new SocketEndpoints(6, IpAddress128.Parse("192.168.1.5"), 50000, IpAddress128.Parse("203.0.113.9"), 443), 4242), sockets[0]);
        Assert.Equal((new SocketEndpoints(6, default, 3389, default, 0), 900), sockets[1]);

        // The count claims more rows than the buffer holds: the whole rows are kept, the rest counted.
        BinaryPrimitives.WriteUInt32LittleEndian(table, uint.MaxValue);
        sockets.Clear();
        Assert.Equal(int.MaxValue, IpHelperTableParser.Parse(table.AsSpan(0, table.Length - 1), 6, ipv6: false, sockets));
        Assert.Single(sockets);
    }

    [Fact]
    public void Ip_helper_parser_survives_random_tables()
    {
        var random = new Random(17);
        for (int round = 0; round < 2000; round++)
        {
            byte[] garbage = new byte[random.Next(0, 400)];
            random.NextBytes(garbage);
            var sockets = new List<(SocketEndpoints Socket, int Pid)>();
            byte protocol = round % 2 == 0 ? (byte)6 : (byte)17;
            IpHelperTableParser.Parse(garbage, protocol, ipv6: round % 4 < 2, sockets);
            Assert.True(sockets.Count <= garbage.Length / IpHelperTableParser.UdpRowV4);
            Assert.All(sockets, s => Assert.True(s.Pid >= 0));
        }
    }
}
