using System.Diagnostics;
using Flowmesh.IntegrationTests.Infrastructure;

namespace Flowmesh.IntegrationTests.Cluster;

/// <summary>
/// The pieces the cluster tests stand on, proven without an agent: the namespace LAN (built, connected, cut, healed,
/// removed without a trace), the launcher (runs inside the right namespace, logs, kill -9 hits the program itself)
/// and the API client (against a static HTTP server in a namespace, from the root namespace and from inside).
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class ClusterHarnessTests
{
    private static readonly TimeSpan Short = TimeSpan.FromSeconds(10);

    [Fact]
    public void Lan_connects_every_node_and_the_root_namespace_cut_isolates_one_node_and_teardown_leaves_nothing()
    {
        if (ClusterNetwork.MissingPrerequisite() is string missing) Assert.Skip(missing);
        {
            using (var network = ClusterNetwork.Create(3))
            {
                Assert.Equal([ClusterNetwork.Namespace(1), ClusterNetwork.Namespace(2), ClusterNetwork.Namespace(3)], ClusterNetwork.ExistingNamespaces().Order(StringComparer.Ordinal));
                Assert.True(Ping(1, ClusterNetwork.Address(3)), "n1 cannot reach n3");
                Assert.True(Ping(3, ClusterNetwork.Address(2)), "n3 cannot reach n2");
                Assert.Equal(0, ChildProcess.Run("ping", ["-c", "1", "-W", "1", ClusterNetwork.Address(2)], Short).ExitCode);

                network.Cut(2);
                Assert.False(Ping(1, ClusterNetwork.Address(2)), "n2 still reachable from n1 while cut");
                Assert.False(Ping(2, ClusterNetwork.Address(3)), "n3 still reachable from n2 while cut");
                Assert.True(Ping(1, ClusterNetwork.Address(3)), "cutting n2 also cut n1 from n3");
                network.Heal(2);
                Poll.Until("n1 reaches n2 again after the heal", () => Ping(1, ClusterNetwork.Address(2)), Short, () => "no ping answer");
            }
            Assert.Empty(ClusterNetwork.ExistingNamespaces());
            Assert.Empty(ClusterNetwork.ExistingRootLinks());
        }
    }

    [Fact]
    public void Creating_a_lan_removes_the_leftovers_of_an_aborted_run()
    {
        if (ClusterNetwork.MissingPrerequisite() is string missing) Assert.Skip(missing);
        using var network = ClusterNetwork.Create(2);
        ChildProcess.Run("ip", ["netns", "add", ClusterNetwork.Namespace(9)], Short);
        ChildProcess.Run("ip", ["link", "add", ClusterNetwork.BridgePort(9), "type", "veth", "peer", "name", ClusterNetwork.Interface(9), "netns", ClusterNetwork.Namespace(9)], Short);
        Assert.Contains(ClusterNetwork.Namespace(9), ClusterNetwork.ExistingNamespaces());
        network.Recreate();
        Assert.Equal([ClusterNetwork.Namespace(1), ClusterNetwork.Namespace(2)], ClusterNetwork.ExistingNamespaces().Order(StringComparer.Ordinal));
        Assert.DoesNotContain(ClusterNetwork.BridgePort(9), ClusterNetwork.ExistingRootLinks());
    }

    [Fact]
    public async Task A_second_lan_waits_until_the_first_is_torn_down()
    {
        CancellationToken cancel = TestContext.Current.CancellationToken;
        if (ClusterNetwork.MissingPrerequisite() is string missing) Assert.Skip(missing);
        var first = ClusterNetwork.Create(2);
        Task<ClusterNetwork> second;
        try
        {
            second = Task.Run(() => ClusterNetwork.Create(3), cancel);
            Assert.NotSame(second, await Task.WhenAny(second, Task.Delay(TimeSpan.FromSeconds(2), cancel)));
            Assert.Equal([ClusterNetwork.Namespace(1), ClusterNetwork.Namespace(2)], ClusterNetwork.ExistingNamespaces().Order(StringComparer.Ordinal));
        }
        finally
        {
            first.Dispose();
        }
        using ClusterNetwork next = await second.WaitAsync(TimeSpan.FromSeconds(60), cancel);
        Assert.True(next.WaitedForLock >= TimeSpan.FromSeconds(2));
        Assert.Equal([ClusterNetwork.Namespace(1), ClusterNetwork.Namespace(2), ClusterNetwork.Namespace(3)], ClusterNetwork.ExistingNamespaces().Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Launcher_runs_inside_the_namespace_logs_everything_and_kill_nine_hits_the_program_itself()
    {
        if (ClusterNetwork.MissingPrerequisite() is string missing) Assert.Skip(missing);
        using var directory = new TemporaryDirectory();
        string log = directory.File("agent.log");
        {
            using var network = ClusterNetwork.Create(2);
            using (var shell = NamespacedProcess.Start(ClusterNetwork.Namespace(2), log, "sh", ["-c", "ip -o -4 addr show; echo to-stderr >&2"]))
            {
                Assert.True(shell.WaitForExit(Short));
                Poll.Until("output captured", () => shell.Output.Contains("to-stderr"), Short, () => shell.Output);
                Assert.Contains($"inet {ClusterNetwork.Address(2)}/24", shell.Output);
                Assert.DoesNotContain(ClusterNetwork.Address(1) + "/", shell.Output);
            }

            using (var sleeper = NamespacedProcess.Start(ClusterNetwork.Namespace(1), log, "sleep", ["300"]))
            {
                Poll.Until("the pid is sleep itself (ip netns exec execs it)",
                    () => File.ReadAllText($"/proc/{sleeper.Pid}/comm").Trim() == "sleep", Short, () => File.ReadAllText($"/proc/{sleeper.Pid}/comm"));
                var clock = Stopwatch.StartNew();
                sleeper.Kill9();
                Assert.True(sleeper.HasExited);
                Assert.Equal(128 + 9, sleeper.ExitCode);
                Assert.True(clock.Elapsed < Short);
            }

            using (var terminated = NamespacedProcess.Start(ClusterNetwork.Namespace(1), log, "sleep", ["300"]))
            {
                Assert.True(terminated.Terminate(Short));
                Assert.Equal(128 + 15, terminated.ExitCode);
            }

            string written = File.ReadAllText(log);
            Assert.Equal(3, written.Split("=== start:").Length - 1); // one file, appended by every start
            Assert.Contains("=== exit 137", written);
            Assert.Contains("=== exit 143", written);
            Assert.Equal(3, written.Split("=== exit").Length - 1);
            Assert.Contains("to-stderr", written);
            Assert.Contains($"inet {ClusterNetwork.Address(2)}/24", written);
        }
    }

    [Fact]
    public void Api_client_reads_members_and_records_over_the_bridge_and_from_inside_a_cut_node()
    {
        if (ClusterNetwork.MissingPrerequisite() is string missing) Assert.Skip(missing);
        string python = ExternalTool.RequireOrSkip("python3");
        using var directory = new TemporaryDirectory();
        string api = Path.Combine(directory.Path, "api", "v1");
        Directory.CreateDirectory(api);
        File.WriteAllText(Path.Combine(api, "members"), """
            {"self":"n1","members":[{"name":"n1","address":"10.77.0.1:7946","state":"alive","incarnation":3,"sinceSeconds":12.5},
                                    {"name":"n2","address":"10.77.0.2:7946","state":"suspect","incarnation":0,"sinceSeconds":1}]}
            """);
        File.WriteAllText(Path.Combine(api, "records"), """
            [{"origin":"n1","startMicros":2000000,"lengthMicros":2000000,"bytes":512,"contentHash":"ab12"},
             {"origin":"n2","startMicros":4000000,"lengthMicros":2000000,"bytes":9,"contentHash":"cd34"}]
            """);
        File.WriteAllText(Path.Combine(api, "status"), "{}");
        {
            using var network = ClusterNetwork.Create(2);
            using var server = NamespacedProcess.Start(ClusterNetwork.Namespace(1), directory.File("http.log"), python,
                ["-m", "http.server", AgentApi.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--bind", ClusterNetwork.Address(1), "--directory", directory.Path]);
            var direct = new AgentApi(1);
            Poll.Until("the static API answers", () => direct.Status() == "{}", Short, () => server.Output);

            MembersReply view = direct.Members();
            Assert.Equal("n1", view.Self);
            Assert.Equal(new MemberView("n1", "10.77.0.1:7946", "alive", 3, 12.5), view.Find("n1"));
            Assert.Equal("suspect", view.StateOf("n2"));
            Assert.Equal("absent", view.StateOf("n3"));
            var records = direct.Records("n1");
            Assert.Equal("ab12", records[new RecordKey("n1", 2_000_000, 2_000_000)]);
            Assert.Equal(2, records.Count);
            Assert.Throws<AgentApiException>(() => direct.Get("/api/v1/nothing"));

            network.Cut(1);
            Assert.Throws<AgentApiException>(() => direct.Members());
            var inside = new AgentApi(1, inside: true);
            Assert.Equal(view.ToString(), inside.Members().ToString());
            Assert.Throws<AgentApiException>(() => inside.Get("/api/v1/nothing"));
        }
    }

    [Fact]
    public void Record_listing_accepts_both_spellings_and_refuses_duplicates_and_rows_without_an_epoch()
    {
        var snake = RecordListing.Parse("""{"records":[{"origin":"a","start_micros":"10","length_micros":5,"content_hash":"x"}]}""");
        Assert.Equal("x", snake[new RecordKey("a", 10, 5)]);
        Assert.Empty(RecordListing.Parse("[]"));
        var api = RecordListing.Parse("""{"records":[{"origin":"n1","start":"2026-11-24T01:00:00Z","startMicros":7,"lengthMicros":2,"bytes":3,"contentHash":"h"}],"truncated":false}""");
        Assert.Equal("h", api[new RecordKey("n1", 7, 2)]);
        Assert.Throws<FormatException>(() => RecordListing.Parse("""{"records":[],"truncated":true}"""));
        Assert.Throws<FormatException>(() => RecordListing.Parse("""[{"origin":"a","start":1,"length":2},{"origin":"a","start":1,"length":2}]"""));
        Assert.Throws<FormatException>(() => RecordListing.Parse("""[{"origin":"a","length":2}]"""));
        Assert.Throws<FormatException>(() => RecordListing.Parse("""[{"start":1,"length":2}]"""));
    }

    [Fact]
    public void Poll_returns_the_time_taken_treats_an_unreachable_agent_as_not_yet_and_fails_with_the_last_state()
    {
        int calls = 0;
        TimeSpan took = Poll.Until("third time", () => ++calls switch
        {
            1 => throw new AgentApiException("not up yet"),
            2 => false,
            _ => true,
        }, Short, () => "", TimeSpan.FromMilliseconds(50));
        Assert.Equal(3, calls);
        Assert.InRange(took, TimeSpan.FromMilliseconds(90), Short);

        var failure = Assert.ThrowsAny<Exception>(() =>
            Poll.Until("never", () => throw new AgentApiException("connection refused"), TimeSpan.FromMilliseconds(300), () => "n1 sees n2 suspect", TimeSpan.FromMilliseconds(50)));
        Assert.Contains("never: not reached within 0.3 s", failure.Message);
        Assert.Contains("n1 sees n2 suspect", failure.Message);
        Assert.Contains("connection refused", failure.Message);
    }

    private static bool Ping(int from, string address) =>
        ClusterNetwork.RunIn(from, Short, "ping", "-c", "1", "-W", "1", address).ExitCode == 0;
}
