using System.Buffers.Binary;
using System.Diagnostics;
using Flowmesh.Capture.Live;
using Flowmesh.Core.Packets;

namespace Flowmesh.Capture.Tests.Live;

/// <summary>Real libpcap on a real veth pair into a network namespace; needs root.</summary>
public sealed class LibpcapLiveTests
{
    [Fact]
    public void Captures_exactly_the_icmp_of_20_pings_with_no_drops()
    {
        TestEnvironment.RootOrSkip();
        TestEnvironment.ToolOrSkip("ping");
        using var veth = new VethNamespace();
        using var capture = LibpcapCapture.Open(new LiveCaptureOptions { Interface = VethNamespace.HostSide, Filter = "icmp" });
        Assert.Equal(LinkType.Ethernet, capture.LinkType);
        long startMicros = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() * 1000;

        // IPv6 pings at the same time must not pass the "icmp" filter (that is ICMPv4 only).
        using var ping6 = VethNamespace.StartInNamespace("ping", "-6", "-c", "5", "-i", "0.05", VethNamespace.HostAddress6);
        using var ping = VethNamespace.StartInNamespace("ping", "-c", "20", "-i", "0.05", "-W", "1", VethNamespace.HostAddress);
        int requests = 0, replies = 0, others = 0;
        var deadline = Stopwatch.StartNew();
        TimeSpan? pingsDoneAt = null;
        while (deadline.Elapsed < TimeSpan.FromSeconds(20))
        {
            if (capture.TryReadNext(out var frame))
            {
                Assert.InRange(frame.TimestampMicros, startMicros - 1_000_000, startMicros + 60_000_000);
                switch (IcmpType(frame.Data))
                {
                    case 8: requests++; break;
                    case 0: replies++; break;
                    default: others++; break;
                }
            }
            else if (ping.HasExited && ping6.HasExited)
            {
                // The kernel hands over a ring block when its 100 ms timer fires; on a loaded machine
                // that can lag, so keep reading for a full second after the last echo.
                pingsDoneAt ??= deadline.Elapsed;
                if (deadline.Elapsed - pingsDoneAt > TimeSpan.FromSeconds(1)) break;
            }
        }
        Assert.True(ping.WaitForExit(5000) && ping6.WaitForExit(5000));
        Assert.Equal(0, ping.ExitCode);
        Assert.Equal(0, ping6.ExitCode);
        capture.RefreshKernelStatistics();
        var stats = capture.Statistics;

        Assert.True(requests == 20 && replies == 20 && others == 0,
            $"{requests} requests, {replies} replies, {others} others; {stats}");
        Assert.Equal(40, stats.Frames);
        Assert.Equal(0, stats.KernelDrops);
        Assert.Null(stats.StoppedEarly);
        Assert.Equal(40L * 98, stats.CapturedBytes);   // 14 Ethernet + 20 IPv4 + 8 ICMP + 56 data, under the 128-byte snap length
    }

    [Fact]
    public void A_bad_filter_is_a_clear_error()
    {
        TestEnvironment.RootOrSkip();
        using var veth = new VethNamespace();
        var e = Assert.Throws<CaptureSetupException>(() =>
            LibpcapCapture.Open(new LiveCaptureOptions { Interface = VethNamespace.HostSide, Filter = "icmp and and" }));
        Assert.StartsWith("bad capture filter \"icmp and and\": ", e.Message);
        Assert.Contains("syntax error", e.Message);
    }

    [Fact]
    public void An_unknown_interface_is_a_clear_error_naming_the_available_ones()
    {
        var e = Assert.Throws<CaptureSetupException>(() =>
            LibpcapCapture.Open(new LiveCaptureOptions { Interface = "fmcap-none" }));
        Assert.StartsWith("no network interface named \"fmcap-none\"; available: ", e.Message);
        Assert.Contains("lo", e.Message);
    }

    [Fact]
    public void An_idle_interface_returns_within_the_read_timeout()
    {
        TestEnvironment.RootOrSkip();
        using var veth = new VethNamespace();
        // "icmp" keeps IPv6 neighbour discovery and router solicitations out: the link is idle.
        using var capture = LibpcapCapture.Open(new LiveCaptureOptions { Interface = VethNamespace.HostSide, Filter = "icmp" });
        var clock = Stopwatch.StartNew();
        for (int i = 0; i < 10; i++) Assert.False(capture.TryReadNext(out _));
        Assert.InRange(clock.ElapsedMilliseconds, 0, 10 * 100 + 500);
    }

    [Fact]
    public void The_live_source_stops_soon_after_cancellation_and_moves_time_while_idle()
    {
        TestEnvironment.RootOrSkip();
        using var veth = new VethNamespace();
        using var source = new LibpcapLiveSource(new LiveCaptureOptions { Interface = VethNamespace.HostSide, Filter = "icmp" });
        Assert.Equal("libpcap fmcap0 (filter: icmp)", source.Description);
        var sink = new RecordingSink();
        using var cancel = new CancellationTokenSource();
        var run = new Thread(() => source.Run(sink, cancel.Token));
        run.Start();
        Thread.Sleep(500);
        var clock = Stopwatch.StartNew();
        cancel.Cancel();
        Assert.True(run.Join(TimeSpan.FromSeconds(2)));
        Assert.InRange(clock.ElapsedMilliseconds, 0, 200);

        // No packet arrived, yet the loop reported the passing time (about every read timeout).
        Assert.Equal(0, sink.Frames);
        Assert.InRange(sink.IdleCalls, 2, 10);
        Assert.InRange(sink.LastIdleMicros, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() * 1000 - 2_000_000, long.MaxValue);
        Assert.Equal(0, source.Statistics.KernelDrops);
        Assert.Null(source.Statistics.StoppedEarly);
    }

    [Fact]
    public void The_live_source_feeds_a_flow_meter()
    {
        TestEnvironment.RootOrSkip();
        var meter = Files.PcapFileSourceTests.NewMeterOrSkip();
        using var veth = new VethNamespace();
        using var source = new LibpcapLiveSource(new LiveCaptureOptions { Interface = VethNamespace.HostSide, Filter = "icmp" });
        using var cancel = new CancellationTokenSource();
        var run = new Thread(() => source.Run(meter, cancel.Token));
        run.Start();
        using (var ping = VethNamespace.StartInNamespace("ping", "-c", "3", "-i", "0.05", VethNamespace.HostAddress))
        {
            Assert.True(ping.WaitForExit(10_000));
        }
        var deadline = Stopwatch.StartNew();
        while (source.Statistics.Frames < 6 && deadline.Elapsed < TimeSpan.FromSeconds(5)) Thread.Sleep(50);
        cancel.Cancel();
        Assert.True(run.Join(TimeSpan.FromSeconds(2)));
        Assert.Equal(6, meter.FramesSeen);
    }

    [Fact]
    public void An_interface_that_disappears_ends_the_run_with_a_reason()
    {
        TestEnvironment.RootOrSkip();
        var veth = new VethNamespace();
        try
        {
            using var source = new LibpcapLiveSource(new LiveCaptureOptions { Interface = VethNamespace.HostSide });
            var sink = new RecordingSink();
            var run = new Thread(() => source.Run(sink, CancellationToken.None));
            run.Start();
            Thread.Sleep(300);
            veth.Dispose();
            Assert.True(run.Join(TimeSpan.FromSeconds(3)), "Run did not return after its interface was deleted");
            Assert.StartsWith("capture on fmcap0 failed after ", source.Statistics.StoppedEarly);
        }
        finally
        {
            veth.Dispose();
        }
    }

    // Ethernet + IPv4 + ICMP: the ICMP type, or -1 for anything else.
    private static int IcmpType(ReadOnlySpan<byte> frame)
    {
        if (frame.Length < 14 + 20 + 1 || BinaryPrimitives.ReadUInt16BigEndian(frame[12..]) != 0x0800) return -1;
        var ip = frame[14..];
        int headerLength = (ip[0] & 0x0F) * 4;
        if (ip[9] != 1 || ip.Length <= headerLength) return -1;
        return ip[headerLength];
    }
}
