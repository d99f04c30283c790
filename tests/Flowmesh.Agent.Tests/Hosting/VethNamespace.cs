using System.Diagnostics;

namespace Flowmesh.Agent.Tests.Hosting;

/// <summary>
/// A network namespace (fmh- prefix) joined to the root namespace by a veth pair, for agent processes that watch
/// the root side: created here, removed by Dispose also when the test failed. Root only.
/// </summary>
internal sealed class VethNamespace : IDisposable
{
    private VethNamespace(string name, string hostSide, string peerSide, string hostAddress, string peerAddress)
    {
        Name = name;
        HostSide = hostSide;
        PeerSide = peerSide;
        HostAddress = hostAddress;
        PeerAddress = peerAddress;
    }

    public string Name { get; }
    public string HostSide { get; }
    public string PeerSide { get; }
    public string HostAddress { get; }
    public string PeerAddress { get; }

    /// <param name="tag">A few letters that keep this test's names apart from other tests' (names carry the process id too).</param>
    /// <param name="subnet">The first three octets of a /24: the host side gets .1, the namespace .2.</param>
    /// <param name="ipv4Only">No IPv6 on the link, so its only traffic is the test's own (no router solicitations, no MLD).</param>
    public static VethNamespace Create(string tag, string subnet, bool ipv4Only = false)
    {
        int id = Environment.ProcessId % 100000;
        var pair = new VethNamespace($"fmh-{tag}{id}", $"fmh-{tag}{id}a", $"fmh-{tag}-in", $"{subnet}.1", $"{subnet}.2");
        try
        {
            Run("ip", "netns", "add", pair.Name);
            Run("ip", "link", "add", pair.HostSide, "type", "veth", "peer", "name", pair.PeerSide, "netns", pair.Name);
            if (ipv4Only)
            {
                Run("sysctl", "-qw", $"net.ipv6.conf.{pair.HostSide}.disable_ipv6=1");
                pair.Exec("sysctl", "-qw", $"net.ipv6.conf.{pair.PeerSide}.disable_ipv6=1");
            }
            Run("ip", "addr", "add", $"{pair.HostAddress}/24", "dev", pair.HostSide);
            Run("ip", "link", "set", pair.HostSide, "up");
            Run("ip", "-n", pair.Name, "addr", "add", $"{pair.PeerAddress}/24", "dev", pair.PeerSide);
            Run("ip", "-n", pair.Name, "link", "set", pair.PeerSide, "up");
            Run("ip", "-n", pair.Name, "link", "set", "lo", "up");
            return pair;
        }
        catch
        {
            pair.Dispose();
            throw;
        }
    }

    /// <summary>Runs a command inside the namespace; throws with its stderr when it fails.</summary>
    public string Exec(string program, params string[] arguments) => Run("ip", ["netns", "exec", Name, program, .. arguments]);

    /// <summary>Starts a command inside the namespace, its output discarded.</summary>
    public Process Start(string program, params string[] arguments)
    {
        var process = Process.Start(new ProcessStartInfo("ip", ["netns", "exec", Name, program, .. arguments])
            { RedirectStandardError = true, RedirectStandardOutput = true })!;
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    /// <summary>Deletes the host side (and with it the pair) now: the interface vanishes under whoever watches it.</summary>
    public void DeleteLink() => Run("ip", "link", "del", HostSide);

    public static string Run(string command, params string[] arguments)
    {
        using var process = Process.Start(new ProcessStartInfo(command, arguments) { RedirectStandardError = true, RedirectStandardOutput = true })!;
        var error = process.StandardError.ReadToEndAsync();
        string output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0) throw new InvalidOperationException($"{command} {string.Join(' ', arguments)}: {error.Result}");
        return output;
    }

    public void Dispose()
    {
        try { Run("ip", "link", "del", HostSide); } catch (Exception e) when (e is InvalidOperationException or System.ComponentModel.Win32Exception) { }
        try { Run("ip", "netns", "del", Name); } catch (Exception e) when (e is InvalidOperationException or System.ComponentModel.Win32Exception) { }
    }
}
