using System.Diagnostics;
using System.Text.Json;
using Flowmesh.Capture.Ebpf;

namespace Flowmesh.Capture.Tests.Ebpf;

/// <summary>Nothing of ours stays in the kernel after Dispose, and a start repairs what a SIGKILLed collector left.</summary>
[Collection(EbpfNetworkCollection.Name)]
public sealed class CleanupTests
{
    private const string Namespace = "fmebpf-ns3";
    private const string Device = "fmebpf4";

    [Theory]
    [InlineData(EbpfAttachMode.Tcx)]
    [InlineData(EbpfAttachMode.Netlink)]
    public void Dispose_leaves_no_filter_link_qdisc_or_program(EbpfAttachMode mode)
    {
        EbpfPrerequisites.SkipUnlessAvailable("tc", "bpftool");
        using var pair = VethNamespace.Create(Namespace, Device, "fmebpf5", "10.254.217.8", v6Prefix: null);

        List<long> mine;
        using (var collector = EbpfFlowCollector.Open(Options(mode)))
        {
            // Our own ids, from the kernel: agents in other test processes load the same programs meanwhile.
            mine = [.. collector.ProgramIds.Select(id => (long)id)];
            Assert.Equal(4, mine.Count);
            Assert.True(mine.All(OurPrograms().Contains), "bpftool does not list the collector's programs");
            Assert.Equal(mode, Assert.Single(collector.Interfaces).Mode);
            if (mode == EbpfAttachMode.Netlink)
            {
                Assert.Contains("flowmesh_in", Filters("ingress"));
                Assert.Contains("flowmesh_out", Filters("egress"));
            }
            else
            {
                Assert.Equal(2, OurLinks(mine).Count);
            }
        }

        Assert.DoesNotContain("flowmesh", Filters("ingress"));
        Assert.DoesNotContain("flowmesh", Filters("egress"));
        Assert.DoesNotContain("flowmesh", Command.Check("bpftool", "net", "show", "dev", Device));
        Assert.Empty(OurLinks(mine));
        Assert.DoesNotContain("clsact", Command.Check("tc", "qdisc", "show", "dev", Device)); // we created it, we removed it
        Assert.True(Eventually(() => !OurPrograms().Intersect(mine).Any()), "flowmesh programs still loaded after Dispose");
    }

    [Fact]
    public void A_start_after_a_SIGKILLed_netlink_collector_removes_the_filters_it_left()
    {
        EbpfPrerequisites.SkipUnlessAvailable("tc", "bpftool");
        using var pair = VethNamespace.Create(Namespace, Device, "fmebpf5", "10.254.217.8", v6Prefix: null);

        // Only the killed runner's programs count (it prints their ids): agents in other test processes load and keep
        // the same programs meanwhile. Its two filters keep two of them loaded after the kill.
        List<long> killed = KillRunnerAttachedWith("netlink");
        Assert.Equal(4, killed.Count);
        Assert.Equal(2, ProgramsFilteredOn(Device).Intersect(killed).Count());
        // The kernel keeps cls_bpf filters after their owner died: the problem the cleanup exists for.
        Assert.Contains("flowmesh_in", Filters("ingress"));
        Assert.Contains("flowmesh_out", Filters("egress"));

        using (var collector = EbpfFlowCollector.Open(Options(EbpfAttachMode.Auto)))
        {
            Assert.Contains($"{Device} ingress", collector.RemovedLeftovers);
            Assert.Contains($"{Device} egress", collector.RemovedLeftovers);
            Assert.DoesNotContain("flowmesh", Filters("ingress"));
            Assert.DoesNotContain("flowmesh", Filters("egress"));
        }
        Assert.True(Eventually(() => !OurPrograms().Intersect(killed).Any()), "the killed collector's programs are still loaded");
    }

    [Fact]
    public void A_SIGKILLed_tcx_collector_leaves_no_link_behind()
    {
        EbpfPrerequisites.SkipUnlessAvailable("tc", "bpftool");
        using var pair = VethNamespace.Create(Namespace, Device, "fmebpf5", "10.254.217.8", v6Prefix: null);

        List<long> runner = KillRunnerAttachedWith("tcx", whileAttached: ids => Assert.Equal(2, OurLinks(ids).Count));

        Assert.True(Eventually(() => OurLinks(runner).Count == 0), "TCX links outlived the killed collector");
        Assert.DoesNotContain("flowmesh", Filters("ingress"));
    }

    private static EbpfCaptureOptions Options(EbpfAttachMode mode) =>
        new() { Interfaces = [Device], AttachMode = mode, ObjectPath = EbpfPrerequisites.ObjectPath };

    /// <summary>
    /// Runs the collector in a child process, waits until it is attached, then SIGKILLs it: no Dispose, no exit
    /// handlers. Returns the ids of the programs it had loaded.
    /// </summary>
    private static List<long> KillRunnerAttachedWith(string mode, Action<List<long>>? whileAttached = null)
    {
        string runner = Path.Combine(AppContext.BaseDirectory, "Flowmesh.Capture.EbpfRunner");
        using Process child = Command.Start(runner, "--interfaces", Device, "--mode", mode);
        try
        {
            // A plain blocking read on a pool thread: waiting on ReadLineAsync under xunit's synchronization context deadlocks.
            Task<string?> line = Task.Run(child.StandardOutput.ReadLine);
            Assert.True(line.Wait(TimeSpan.FromSeconds(30)), "the runner did not attach within 30 s");
            if (line.Result is null) Assert.Fail("the runner exited: " + child.StandardError.ReadToEnd());
            Assert.StartsWith("attached", line.Result);
            string[] words = line.Result.Split(' ');
            List<long> ids = [.. words[Array.IndexOf(words, "programs") + 1].Split(',').Select(long.Parse)];
            whileAttached?.Invoke(ids);
            return ids;
        }
        finally
        {
            if (!child.HasExited) Command.Signal(child, "KILL");
            child.WaitForExit();
        }
    }

    private static string Filters(string direction) => Command.Check("tc", "filter", "show", "dev", Device, direction);

    /// <summary>Ids of loaded programs named flowmesh_*, from bpftool (the kernel's view, not ours), whoever loaded them.</summary>
    private static List<long> OurPrograms()
    {
        using JsonDocument programs = JsonDocument.Parse(Command.Check("bpftool", "-j", "prog", "show"));
        return programs.RootElement.EnumerateArray()
            .Where(p => p.TryGetProperty("name", out JsonElement name) && name.GetString()!.StartsWith("flowmesh_", StringComparison.Ordinal))
            .Select(p => p.GetProperty("id").GetInt64()).ToList();
    }

    /// <summary>Ids of the programs that tc filters on <paramref name="device"/> run, from bpftool.</summary>
    private static List<long> ProgramsFilteredOn(string device)
    {
        using JsonDocument net = JsonDocument.Parse(Command.Check("bpftool", "-j", "net", "show", "dev", device));
        return net.RootElement.EnumerateArray()
            .SelectMany(e => e.TryGetProperty("tc", out JsonElement tc) ? tc.EnumerateArray().ToList() : [])
            .Select(f => f.GetProperty("id").GetInt64()).ToList();
    }

    /// <summary>bpf_links (TCX shows only there with bpftool 7.1) whose program is one of <paramref name="ours"/>.</summary>
    private static List<long> OurLinks(List<long> ours)
    {
        using JsonDocument links = JsonDocument.Parse(Command.Check("bpftool", "-j", "link", "show"));
        return links.RootElement.EnumerateArray()
            .Where(l => l.TryGetProperty("prog_id", out JsonElement id) && ours.Contains(id.GetInt64()))
            .Select(l => l.GetProperty("id").GetInt64()).ToList();
    }

    private static bool Eventually(Func<bool> condition)
    {
        for (int i = 0; i < 50; i++)
        {
            if (condition()) return true;
            Thread.Sleep(100);
        }
        return condition();
    }
}
