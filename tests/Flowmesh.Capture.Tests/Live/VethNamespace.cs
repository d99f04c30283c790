using System.Diagnostics;

namespace Flowmesh.Capture.Tests.Live;

/// <summary>
/// A veth pair: fmcap0 in this namespace (10.213.77.1/30, fd13:77::1/64), fmcap1 in network
/// namespace fmcap-ns (.2, ::2). Removes any leftover of a killed run first and always removes itself.
/// </summary>
internal sealed class VethNamespace : IDisposable
{
    public const string Namespace = "fmcap-ns";
    public const string HostSide = "fmcap0";
    public const string PeerSide = "fmcap1";
    public const string HostAddress = "10.213.77.1";
    public const string PeerAddress = "10.213.77.2";
    public const string HostAddress6 = "fd13:77::1";

    public VethNamespace()
    {
        RemoveLeftovers();
        try
        {
            Ip("link", "add", HostSide, "type", "veth", "peer", "name", PeerSide);
            Ip("netns", "add", Namespace);
            Ip("link", "set", PeerSide, "netns", Namespace);
            Ip("addr", "add", HostAddress + "/30", "dev", HostSide);
            Ip("-6", "addr", "add", HostAddress6 + "/64", "dev", HostSide, "nodad");
            Ip("link", "set", HostSide, "up");
            InNamespace("ip", "addr", "add", PeerAddress + "/30", "dev", PeerSide);
            InNamespace("ip", "-6", "addr", "add", "fd13:77::2/64", "dev", PeerSide, "nodad");
            InNamespace("ip", "link", "set", PeerSide, "up");
            InNamespace("ip", "link", "set", "lo", "up");
        }
        catch
        {
            RemoveLeftovers();
            throw;
        }
    }

    /// <summary>Runs a command inside the namespace; returns its exit code and output.</summary>
    public static (int ExitCode, string Stdout, string Stderr) InNamespace(params string[] command) =>
        TestEnvironment.Run("ip", ["netns", "exec", Namespace, .. command]);

    /// <summary>Starts a command inside the namespace without waiting for it.</summary>
    public static Process StartInNamespace(params string[] command) =>
        TestEnvironment.Start("ip", ["netns", "exec", Namespace, .. command]);

    public void Dispose() => RemoveLeftovers();

    private static void RemoveLeftovers()
    {
        // Deleting the namespace destroys fmcap1 and with it its peer; delete fmcap0 too in case the
        // pair never made it into the namespace.
        TestEnvironment.Run("ip", "netns", "del", Namespace);
        TestEnvironment.Run("ip", "link", "del", HostSide);
    }

    private static void Ip(params string[] args)
    {
        var (code, _, stderr) = TestEnvironment.Run("ip", args);
        if (code != 0) throw new InvalidOperationException($"ip {string.Join(' ', args)} failed: {stderr}");
    }
}
