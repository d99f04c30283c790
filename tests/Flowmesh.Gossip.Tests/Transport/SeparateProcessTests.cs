using System.Diagnostics;
using System.Net;
using Flowmesh.Gossip.Membership;
using Flowmesh.Gossip.Security;
using Flowmesh.Gossip.Tests.Security;
using Flowmesh.Gossip.Transport;

namespace Flowmesh.Gossip.Tests.Transport;

/// <summary>
/// Peers as separate OS processes: the test assembly re-runs itself (xunit's own console runner, one method) as a
/// child peer, configured through environment variables. Each child writes its member view to a status file.
/// </summary>
[Collection(RunsAloneCollection.Name)]
public sealed class SeparateProcessTests
{
    private const string ChildVariable = "FLOWMESH_TEST_PEER_CHILD";
    private const int KeySeed = 41;

    [Fact]
    public void Child_peer_process()
    {
        var statusPath = Environment.GetEnvironmentVariable(ChildVariable);
        if (statusPath is null)
            Assert.Skip($"entry point of a child peer process (set {ChildVariable}); started by {nameof(Peers_in_separate_processes_converge_and_a_killed_one_is_declared_dead)}");
        var id = new NodeId(Environment.GetEnvironmentVariable("FLOWMESH_TEST_PEER_ID")!);
        var bind = new IPEndPoint(IPAddress.Parse(Environment.GetEnvironmentVariable("FLOWMESH_TEST_PEER_IP")!), 0);
        var seed = new GossipAddress(Environment.GetEnvironmentVariable("FLOWMESH_TEST_PEER_SEED")!);
        using var peer = new GossipPeer(id, bind, new Keyring(TestKeys.Key(KeySeed)), GossipPeerClusterTests.Fast);
        peer.Start();
        peer.Join([seed]);
        var lifetime = Stopwatch.StartNew();
        var path = statusPath ?? throw new InvalidOperationException("unreachable after the skip");
        while (lifetime.Elapsed < TimeSpan.FromSeconds(90))
        {
            var lines = new List<string> { $"self {peer.LocalAddress}" };
            lines.AddRange(peer.Members.Select(m => $"member {m.Id} {m.State} {m.Incarnation}"));
            lines.Add($"pushpull-tcp {peer.ReliableRepliesOverTcp}");
            File.WriteAllLines(path + ".tmp", lines);
            File.Move(path + ".tmp", path, overwrite: true);
            Thread.Sleep(100);
        }
    }

    [Fact]
    public async Task Peers_in_separate_processes_converge_and_a_killed_one_is_declared_dead()
    {
        if (Environment.GetEnvironmentVariable(ChildVariable) is not null) Assert.Skip("this is a child process");
        var exe = Path.ChangeExtension(typeof(SeparateProcessTests).Assembly.Location, null);
        if (!File.Exists(exe)) Assert.Skip($"no test executable next to the assembly ({exe})");

        var dir = Directory.CreateTempSubdirectory("fmt-peers-");
        using var seed = new GossipPeer(new NodeId("proc0"), new IPEndPoint(IPAddress.Parse("127.77.40.1"), 0),
            new Keyring(TestKeys.Key(KeySeed)), GossipPeerClusterTests.Fast);
        seed.Start();
        var children = new List<(Process Process, string Status, string Id)>();
        var output = new List<string>();
        try
        {
            for (var i = 1; i <= 3; i++)
            {
                var status = Path.Combine(dir.FullName, $"proc{i}.status");
                var start = new ProcessStartInfo(exe, ["-method", $"{typeof(SeparateProcessTests).FullName}.{nameof(Child_peer_process)}"])
                {
                    RedirectStandardOutput = true,
                    RedirectStandardError = true,
                    UseShellExecute = false,
                };
                start.Environment[ChildVariable] = status;
                start.Environment["FLOWMESH_TEST_PEER_ID"] = $"proc{i}";
                start.Environment["FLOWMESH_TEST_PEER_IP"] = $"127.77.40.{i + 1}";
                start.Environment["FLOWMESH_TEST_PEER_SEED"] = seed.LocalAddress.Value;
                var process = Process.Start(start)!;
                process.OutputDataReceived += (_, e) => { if (e.Data is { } line) lock (output) output.Add($"proc{i}: {line}"); };
                process.ErrorDataReceived += (_, e) => { if (e.Data is { } line) lock (output) output.Add($"proc{i}: {line}"); };
                process.BeginOutputReadLine();
                process.BeginErrorReadLine();
                children.Add((process, status, $"proc{i}"));
            }
            var all = new[] { "proc0", "proc1", "proc2", "proc3" };

            var converged = await Eventually.Within(TimeSpan.FromSeconds(40), () =>
                all.All(id => seed.Members.Any(m => m.Id.Value == id && m.State == MemberState.Alive))
                && children.All(c => all.All(id => StateIn(c.Status, id) == "Alive")));
            lock (output) Assert.True(converged.HasValue, "four processes did not converge; children said:\n" + string.Join('\n', output.TakeLast(40)));
            Assert.All(children, c => Assert.True(long.Parse(Line(c.Status, "pushpull-tcp")![1]) >= 1, $"{c.Id}: no push-pull over TCP"));

            var victim = children[2];
            victim.Process.Kill(); // SIGKILL: no leave, no goodbye
            var bound = 2 * GossipPeerClusterTests.Fast.ProbeInterval + GossipPeerClusterTests.Fast.SuspicionMaxTimeout(4) + TimeSpan.FromSeconds(5);
            var took = await Eventually.Within(bound + TimeSpan.FromSeconds(10), () =>
                seed.Members.Any(m => m.Id.Value == victim.Id && m.State == MemberState.Dead)
                && children.Take(2).All(c => StateIn(c.Status, victim.Id) == "Dead"));
            Assert.True(took.HasValue, "the killed process was never declared dead");
            Assert.True(took <= bound, $"declared dead after {took.Value.TotalSeconds:0.0} s, bound {bound.TotalSeconds:0.0} s");
            TestContext.Current.TestOutputHelper?.WriteLine($"killed process declared dead after {took.Value.TotalSeconds:0.0} s (bound {bound.TotalSeconds:0.0} s)");
        }
        finally
        {
            foreach (var (process, _, _) in children)
            {
                try { if (!process.HasExited) process.Kill(entireProcessTree: true); }
                catch (InvalidOperationException) { /* already gone */ }
                process.WaitForExit(5000);
                process.Dispose();
            }
            dir.Delete(recursive: true);
        }
    }

    private static string[]? Line(string statusPath, string key)
    {
        try
        {
            return File.ReadAllLines(statusPath).Select(l => l.Split(' ')).FirstOrDefault(p => p[0] == key);
        }
        catch (IOException)
        {
            return null; // not written yet
        }
    }

    private static string? StateIn(string statusPath, string id)
    {
        try
        {
            return File.ReadAllLines(statusPath).Select(l => l.Split(' ')).FirstOrDefault(p => p[0] == "member" && p[1] == id)?[2];
        }
        catch (IOException)
        {
            return null;
        }
    }
}
