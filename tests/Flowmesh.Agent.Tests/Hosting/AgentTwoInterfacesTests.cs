using System.Diagnostics;
using System.Text.Json;

namespace Flowmesh.Agent.Tests.Hosting;

/// <summary>
/// Issue 12: a PC with two captured interfaces, each with IPv4 and IPv6 addresses, owns all of them without
/// configuration. Two veth pairs whose far ends are in a namespace this test creates (fmh- prefix) and removes; the
/// agent captures both near ends with eBPF. Truth: `ip -o addr show dev X`. Root only.
/// </summary>
[Collection(nameof(AgentProcessCollection))]
public sealed class AgentTwoInterfacesTests : IDisposable
{
    private readonly string _namespace = $"fmh-tw{Environment.ProcessId % 100000}";
    private readonly string[] _hostSides = [$"fmh-t{Environment.ProcessId % 100000}a", $"fmh-t{Environment.ProcessId % 100000}b"];
    private readonly string _directory = Directory.CreateTempSubdirectory("fmh-two-").FullName;
    private AgentProcess? _agent;

    [Fact]
    public async Task EveryAddressOfBothCapturedInterfacesIsOwnedAndFollowsChanges()
    {
        if (!Environment.IsPrivilegedProcess) Assert.Skip("needs root: network namespaces and eBPF");
        VethNamespace.Run("ip", "netns", "add", _namespace);
        for (int i = 0; i < 2; i++)
        {
            string inside = $"fmh-tw-in{i}";
            VethNamespace.Run("ip", "link", "add", _hostSides[i], "type", "veth", "peer", "name", inside, "netns", _namespace);
            VethNamespace.Run("sysctl", "-qw", $"net.ipv6.conf.{_hostSides[i]}.disable_ipv6=0");
            VethNamespace.Run("ip", "addr", "add", $"10.231.{80 + i}.1/24", "dev", _hostSides[i]);
            VethNamespace.Run("ip", "-6", "addr", "add", $"fd00:231:{80 + i}::1/64", "dev", _hostSides[i], "nodad");
            VethNamespace.Run("ip", "link", "set", _hostSides[i], "up");
            VethNamespace.Run("ip", "-n", _namespace, "addr", "add", $"10.231.{80 + i}.2/24", "dev", inside);
            VethNamespace.Run("ip", "-n", _namespace, "link", "set", inside, "up");
        }

        _agent = AgentProcess.StartRaw(["agent", "--name", "two", "--data-dir", Path.Combine(_directory, "two"), "--bind", "127.0.0.1:0", "--api", "127.0.0.1:0",
            "--no-discovery", "--capture", "ebpf", "-i", _hostSides[0], "-i", _hostSides[1], "--epoch", "1s"], waitForStart: false);
        try
        {
            _agent.WaitForStartOrExit(TimeSpan.FromSeconds(60));
        }
        catch (InvalidOperationException e) when (e.Message.Contains("eBPF capture unavailable", StringComparison.Ordinal))
        {
            Assert.Skip($"eBPF cannot run here: {e.Message}");
        }

        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        async Task<List<string>> Local()
        {
            using var status = JsonDocument.Parse(await http.GetStringAsync(new Uri(_agent.Api, "api/v1/status"), TestContext.Current.CancellationToken));
            return [.. status.RootElement.GetProperty("ownership").GetProperty("local").EnumerateArray().Select(a => a.GetString()!).Order(StringComparer.Ordinal)];
        }
        async Task<List<string>> WaitFor(List<string> expected)
        {
            var clock = Stopwatch.StartNew();
            List<string> seen;
            while (!(seen = await Local()).SequenceEqual(expected) && clock.Elapsed < TimeSpan.FromSeconds(15))
                await Task.Delay(250, TestContext.Current.CancellationToken);
            return seen;
        }

        // IPv4 and IPv6 (global and link-local) of both interfaces: exactly what `ip` lists, nothing of other interfaces.
        var truth = Truth();
        Assert.Contains("10.231.80.1", truth);
        Assert.Contains("fd00:231:81::1", truth);
        Assert.Contains(truth, a => a.StartsWith("fe80:", StringComparison.Ordinal));
        Assert.Equal(truth, await WaitFor(truth));

        // An address added later (a DHCP renewal, a second prefix) is owned within a second or two; a removed one is dropped.
        VethNamespace.Run("ip", "addr", "add", "10.231.82.1/24", "dev", _hostSides[1]);
        VethNamespace.Run("ip", "-6", "addr", "del", "fd00:231:80::1/64", "dev", _hostSides[0]);
        var changed = Truth();
        Assert.Contains("10.231.82.1", changed);
        Assert.DoesNotContain("fd00:231:80::1", changed);
        Assert.Equal(changed, await WaitFor(changed));

        _agent.Terminate();
        Assert.Equal(0, _agent.WaitForExit(TimeSpan.FromSeconds(20)));
    }

    private List<string> Truth()
    {
        var result = new List<string>();
        foreach (string dev in _hostSides)
        {
            string listing = VethNamespace.Run("ip", "-o", "addr", "show", "dev", dev);
            foreach (string line in listing.Split('\n', StringSplitOptions.RemoveEmptyEntries))
            {
                string[] f = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                if (f.Length > 3 && f[2] is "inet" or "inet6") result.Add(System.Net.IPAddress.Parse(f[3].Split('/')[0]).ToString());
            }
        }
        return [.. result.Distinct().Order(StringComparer.Ordinal)];
    }


    public void Dispose()
    {
        _agent?.Dispose();
        foreach (string side in _hostSides)
            try { VethNamespace.Run("ip", "link", "del", side); } catch (Exception e) when (e is InvalidOperationException or System.ComponentModel.Win32Exception) { }
        try { VethNamespace.Run("ip", "netns", "del", _namespace); } catch (Exception e) when (e is InvalidOperationException or System.ComponentModel.Win32Exception) { }
        try { Directory.Delete(_directory, recursive: true); } catch (IOException) { }
    }
}
