using System.Diagnostics;

namespace Flowmesh.IntegrationTests.Epochs;

/// <summary>
/// Two network namespaces (fmepo-a = 10.213.77.1 scanner/client, fmepo-b = 10.213.77.2 server/victim) joined by a
/// veth pair, with IPv6 off so only the generated traffic appears. Records on fmepo-b0 with tcpdump while fmepo-a
/// pings, fetches a page with curl, SYN-scans ports 1-200 with nmap and sends a spoofed SYN flood with hping3.
/// Everything is removed afterwards, also on failure (the script's trap and <see cref="Remove"/>).
/// </summary>
internal static class NamespaceTestbed
{
    public const string Client = "10.213.77.1";
    public const string Server = "10.213.77.2";
    public const int FloodPackets = 300;

    private const string Script = """
        set -euo pipefail
        out="$1"
        td=""; hs=""
        cleanup() {
          [ -n "$td" ] && kill "$td" 2>/dev/null || true
          [ -n "$hs" ] && kill "$hs" 2>/dev/null || true
          ip netns del fmepo-a 2>/dev/null || true
          ip netns del fmepo-b 2>/dev/null || true
        }
        trap cleanup EXIT
        cleanup
        ip netns add fmepo-a
        ip netns add fmepo-b
        ip link add fmepo-a0 type veth peer name fmepo-b0
        ip link set fmepo-a0 netns fmepo-a
        ip link set fmepo-b0 netns fmepo-b
        for n in a b; do
          ip netns exec fmepo-$n sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
          ip -n fmepo-$n link set lo up
        done
        ip -n fmepo-a addr add 10.213.77.1/24 dev fmepo-a0
        ip -n fmepo-b addr add 10.213.77.2/24 dev fmepo-b0
        ip -n fmepo-a link set fmepo-a0 up
        ip -n fmepo-b link set fmepo-b0 up
        ip netns exec fmepo-b tcpdump -i fmepo-b0 -s 256 -U -w "$out" 2>/dev/null & td=$!
        ip netns exec fmepo-b /usr/bin/python3 -m http.server 8080 --bind 10.213.77.2 >/dev/null 2>&1 & hs=$!
        sleep 2
        ip netns exec fmepo-a ping -c 3 -i 0.2 10.213.77.2 >/dev/null
        ip netns exec fmepo-a curl -s -o /dev/null --retry 10 --retry-connrefused --retry-delay 1 http://10.213.77.2:8080/
        ip netns exec fmepo-a nmap -sS -Pn -n -p 1-200 --max-retries 0 10.213.77.2 >/dev/null
        ip netns exec fmepo-a hping3 --rand-source -S -p 80 -c 300 -i u2000 10.213.77.2 >/dev/null 2>&1 || true
        sleep 1
        kill -INT "$td"; wait "$td" || true; td=""
        """;

    public static string? MissingPrerequisite()
    {
        if (Environment.UserName != "root" && !IsRoot()) return "needs root (network namespaces, raw sockets)";
        foreach (string tool in new[] { "/usr/sbin/ip", "/usr/bin/tcpdump", "/usr/bin/nmap", "/usr/sbin/hping3", "/usr/bin/curl", "/usr/bin/python3" })
        {
            if (!File.Exists(tool) && !File.Exists(tool.Replace("/usr/sbin/", "/sbin/").Replace("/usr/bin/", "/bin/")))
                return $"{Path.GetFileName(tool)} is not installed";
        }
        return TsharkFields.Available ? null : "tshark is not installed";
    }

    private static bool IsRoot()
    {
        try
        {
            return File.ReadAllLines("/proc/self/status").Any(l => l.StartsWith("Uid:", StringComparison.Ordinal) && l.Split('\t', StringSplitOptions.RemoveEmptyEntries)[1] == "0");
        }
        catch (IOException)
        {
            return false;
        }
    }

    public static void Record(string capturePath)
    {
        var info = new ProcessStartInfo("bash") { RedirectStandardError = true, RedirectStandardOutput = true };
        info.ArgumentList.Add("-c");
        info.ArgumentList.Add(Script);
        info.ArgumentList.Add("fmepo-testbed");
        info.ArgumentList.Add(capturePath);
        using var process = Process.Start(info)!;
        var stderr = process.StandardError.ReadToEndAsync();
        process.StandardOutput.ReadToEnd();
        if (!process.WaitForExit(TimeSpan.FromMinutes(3)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException("the namespace testbed did not finish");
        }
        Assert.True(process.ExitCode == 0, $"testbed script failed ({process.ExitCode}): {stderr.Result}");
    }

    public static void Remove()
    {
        foreach (string ns in new[] { "fmepo-a", "fmepo-b" })
        {
            using var process = Process.Start(new ProcessStartInfo("ip", ["netns", "del", ns]) { RedirectStandardError = true })!;
            process.WaitForExit();
        }
    }
}
