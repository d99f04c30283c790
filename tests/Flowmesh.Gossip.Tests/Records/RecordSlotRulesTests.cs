using Flowmesh.Core.Epochs;
using Flowmesh.Gossip.Records;
using Flowmesh.Gossip.Security;
using static Flowmesh.Gossip.Tests.Records.TestRecords;

namespace Flowmesh.Gossip.Tests.Records;

/// <summary>
/// Issue 16: the cluster fixes its sketch settings and its epoch grid. Each attack is a validly signed record that the
/// code before accepted; here it is refused with its own counted reason while honest records (issue 15's parts
/// included) still pass.
/// </summary>
public sealed class RecordSlotRulesTests : IDisposable
{
    private readonly NodeIdentity _mallory = NodeIdentity.Generate();
    private readonly NodeIdentity _alice = NodeIdentity.Generate();
    private readonly RecordValidator _validator = new(new TrustedOrigins(), Key, new ReplicationOptions(), new FixedTime(Now));

    public void Dispose()
    {
        _mallory.Dispose();
        _alice.Dispose();
    }

    private byte[] Signed(EpochRecord record, NodeIdentity signer) => SignedRecord.Create(signer, new NodeId(record.Id.Origin), record.Encode()).Encode();

    private bool Accepts(EpochRecord record, NodeIdentity signer, out RecordRejection why) =>
        _validator.TryVerify(Signed(record, signer), out _, out why);

    private static EpochRecord Built(EpochId id, EpochSummaryOptions options)
    {
        var summary = new EpochSummary(id, Key, options);
        summary.Add(new Core.Flows.FlowTableDelta(Core.Packets.IpProtocol.Udp, Core.Packets.IpAddress128.FromIPv4(0x0A000001), 5000,
            Core.Packets.IpAddress128.FromIPv4(0x0A000002), 53, 1, 80, 1, 120, true, id.StartMicros, id.StartMicros));
        return summary.Seal();
    }

    [Fact]
    public void A_record_built_with_other_sketch_settings_is_refused_and_counted_while_the_clusters_settings_pass()
    {
        var epoch = Id("mallory", 1);
        foreach (var other in new[]
        {
            EpochSummaryOptions.Default with { TopCapacity = 8 },
            EpochSummaryOptions.Default with { DistinctPrecision = 4 },
            EpochSummaryOptions.Default with { SpreadWidth = 2 },
            EpochSummaryOptions.Default with { MatrixCells = 1 },
        })
        {
            Assert.False(Accepts(Built(epoch, other), _mallory, out var why));
            Assert.Equal(RecordRejection.OtherSketchSettings, why);
        }
        Assert.Equal(4, _validator.Rejections[RecordRejection.OtherSketchSettings]);
        Assert.True(Accepts(Built(Id("alice", 1), EpochSummaryOptions.Default), _alice, out _));
        Assert.True(Accepts(Typical(Id("alice", 2)), _alice, out _));
    }

    [Fact]
    public void Records_off_the_epoch_grid_are_refused_and_issue_15s_parts_and_aligned_roll_ups_pass()
    {
        long slot = Id("x", 0).StartMicros; // aligned to 10 s
        long minute = slot - slot % (60 * Second) - 60 * Second;
        var refused = new[]
        {
            new EpochId("mallory", slot + 5 * Second, 10 * Second), // straddles two epochs
            new EpochId("mallory", slot + 9 * Second, 2 * Second), // a short record across a boundary
            new EpochId("mallory", minute + 10 * Second, 60 * Second), // a minute roll-up off the minute grid
            new EpochId("mallory", minute, 120 * Second), // no tier is 2 min long
            new EpochId("mallory", minute, 20 * Second), // longer than an epoch, not a roll-up
        };
        foreach (var id in refused)
        {
            Assert.False(Accepts(Typical(id), _mallory, out var why), id.ToString());
            Assert.Equal(RecordRejection.Misaligned, why);
        }
        Assert.Equal(refused.Length, _validator.Rejections[RecordRejection.Misaligned]);

        var honest = new[]
        {
            new EpochId("alice", slot, 10 * Second), // a whole epoch
            new EpochId("alice", slot + 10 * Second, 3_400_000), // stopped 3.4 s into the epoch
            new EpochId("alice", slot + 13_400_000, 6_600_000), // restarted: the rest of it
            new EpochId("alice", slot + 20 * Second + 3 * Second, Second), // a 1 s moved record (clock put back)
            new EpochId("alice", minute, 60 * Second), // roll-ups on their own grids
            new EpochId("alice", minute - minute % (600 * Second) - 600 * Second, 600 * Second),
        };
        foreach (var id in honest) Assert.True(Accepts(Typical(id), _alice, out var why), $"{id}: {why}");
    }

    [Fact]
    public void The_slot_rule_refuses_overlaps_and_parts_past_the_cap_and_follows_the_clusters_epoch()
    {
        var rule = EpochSlotRule.Default;
        var first = new EpochId("a", 100 * Second, 4 * Second);
        Assert.Equal(new EpochSlot(100 * Second, 10 * Second, RollUp: false), rule.SlotOf(first));
        Assert.Equal(SlotVerdict.Fits, rule.Judge(new EpochId("a", 104 * Second, 6 * Second), [first]));
        Assert.Equal(SlotVerdict.Overlaps, rule.Judge(new EpochId("a", 103 * Second, 2 * Second), [first]));
        var ten = Enumerable.Range(0, 10).Select(i => new EpochId("a", 100 * Second + i * 900_000, 900_000)).ToList();
        Assert.Equal(SlotVerdict.SlotFull, rule.Judge(new EpochId("a", 109 * Second, 900_000), ten));
        Assert.Equal(SlotVerdict.Misaligned, rule.Judge(new EpochId("a", 105 * Second, 10 * Second), []));

        // A cluster of 1 min epochs: raw records are minutes, roll-ups 10 min and 1 h; 60 parts fit a slot.
        var minutes = EpochSlotRule.ForEpoch(TimeSpan.FromMinutes(1), RecordRetention.Default);
        Assert.Equal(60, minutes.MaxPartsPerSlot);
        Assert.Null(minutes.SlotOf(new EpochId("a", 30 * Second, 60 * Second)));
        Assert.Equal(new EpochSlot(0, 60 * Second, RollUp: false), minutes.SlotOf(new EpochId("a", 0, 60 * Second)));
        Assert.Equal(new EpochSlot(0, 600 * Second, RollUp: true), minutes.SlotOf(new EpochId("a", 0, 600 * Second)));
    }
}
