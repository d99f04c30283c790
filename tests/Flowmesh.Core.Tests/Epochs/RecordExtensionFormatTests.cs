using Flowmesh.Core.Epochs;
using Flowmesh.Core.Packets;
using static Flowmesh.Core.Tests.Epochs.EpochTestTraffic;

namespace Flowmesh.Core.Tests.Epochs;

/// <summary>
/// The extension block (monitored addresses, monitor traffic, left to peers) on hostile input: a
/// <see cref="EpochRecordFormatException"/> or a valid record that re-encodes to the same bytes, nothing else.
/// </summary>
[Collection(nameof(RunsAloneCollection))]
public sealed class RecordExtensionFormatTests
{
    /// <summary>A record of agent b from the two-PC traffic: all three extensions, with many left flows.</summary>
    private static readonly Lazy<byte[]> Sample = new(() =>
    {
        var packets = AutomaticOwnershipTests.TwoPcs(seed: 50, extraFlowsBetween: 200);
        var monitor = new MonitorTrafficFilter([(IpAddress128.Parse("10.0.0.1"), 7946), (IpAddress128.Parse("10.0.0.2"), 7946)]);
        string[] a = ["10.0.0.1", "2001:db8::1"], b = ["10.0.0.2", "10.0.5.2", "2001:db8::2"];
        var records = AutomaticOwnershipTests.Agent("b", b, "a", a, packets.Where(p => b.Contains(p.Source) || b.Contains(p.Destination)), monitor);
        return records.OrderByDescending(r => r.Contents.Extensions.Left.Sum(l => l.Flows.Count)).First().Encode();
    });

    private static int ExtensionStart(byte[] bytes)
    {
        // The block follows the last section; find it by re-encoding without extensions.
        var record = EpochRecord.Decode(bytes, Key);
        var plain = EpochRecord.Decode(bytes, Key).Contents;
        var saved = plain.Extensions;
        plain.Extensions = new();
        int length = plain.Encode(record.Id).Length - 4;
        plain.Extensions = saved;
        return length;
    }

    [Fact]
    public void RoundTripIsByteIdenticalAndHasEveryExtension()
    {
        byte[] bytes = Sample.Value;
        var record = EpochRecord.Decode(bytes, Key);
        Assert.Equal(bytes, record.Encode());
        Assert.Equal(bytes, EpochRecord.FromContents(record.Id, record.Contents).Encode());
        Assert.Equal(RecordExtensions.FlagExtensions, bytes[5]);
        var x = record.Contents.Extensions;
        Assert.Equal(3, x.Addresses!.Length);
        Assert.Contains(x.Left, l => l.Flows.Any(f => f.Monitor)); // b's gossip with a, which a owns
        var left = Assert.Single(x.Left);
        Assert.Equal(RecordExtensions.MaxLeftFlowsPerPeer, left.Flows.Count);
        Assert.True(left.Unlisted.Packets > 0);
    }

    [Fact]
    public void TheBlockIsCompact()
    {
        // The sample lists 128 flows left to one peer plus 3 addresses: the block's cost in bytes (702 B when measured).
        var record = EpochRecord.Decode(Sample.Value, Key);
        var contents = record.Contents;
        var saved = contents.Extensions;
        contents.Extensions = new();
        int without = contents.Encode(record.Id).Length;
        contents.Extensions = saved;
        int cost = Sample.Value.Length - without;
        TestContext.Current.TestOutputHelper?.WriteLine($"extension block: {cost} B for {saved.Left.Sum(l => l.Flows.Count)} left flows, {saved.Addresses!.Length} addresses (record {Sample.Value.Length} B)");
        Assert.InRange(cost, 100, 128 * 70 / 2); // deflate at least halves the sorted flow list
    }

    [Fact]
    public void RecordsWithoutExtensionsKeepTheirBytes()
    {
        var record = Summarize(Generate(seed: 40, seconds: 10), TimeSpan.FromSeconds(10))[0];
        byte[] bytes = record.Encode();
        Assert.Equal(0, bytes[5]);
        Assert.True(record.Contents.Extensions.IsEmpty);
    }

    [Fact]
    public void EveryTruncationOfTheBlockIsRejected()
    {
        byte[] bytes = Sample.Value;
        int start = ExtensionStart(bytes);
        for (int length = start - 8; length < bytes.Length; length += length < start + 400 ? 1 : 37)
        {
            Reject(bytes[..length]);
            Reject(Reseal(bytes[..length]));
        }
        Reject(Reseal([.. bytes[..^4], 0, 0, 0, 0, 0]));
    }

    [Fact]
    public void ResealedMutationsOfTheBlockNeverEscapeAsOtherExceptions()
    {
        byte[] bytes = Sample.Value;
        int start = ExtensionStart(bytes);
        var random = new Random(51);
        int accepted = 0;
        for (int i = 0; i < 4000; i++)
        {
            byte[] copy = (byte[])bytes.Clone();
            int flips = 1 + random.Next(3);
            for (int f = 0; f < flips; f++)
                copy[random.Next(start, bytes.Length - 4)] = (byte)random.Next(256);
            if (AcceptOrReject(Reseal(copy))) accepted++;
        }
        Assert.True(accepted < 4000);
    }

    [Fact]
    public void HostileListsAreRejectedByWhatTheyBreak()
    {
        // Built by hand so each rule is hit on its own: raw (uncompressed) sections, valid framing.
        var record = EpochRecord.Decode(Sample.Value, Key);
        string Rejected(Action<RecordExtensions> change) => RejectedWith(record, change);
        Assert.Contains("monitor traffic exceeds", Rejected(x => x.Monitor = new TrafficCounters(ulong.MaxValue, 1, 0)));
        Assert.Contains("monitor pairs exceed", Rejected(x => x.MonitorPairs.Add(new MonitorPairTraffic(IpAddress128.Parse("ff::1"), IpAddress128.Parse("ff::2"), 1UL << 40, 1))));
        Assert.Contains("bytes without packets", Rejected(x => x.Left.Add(x.Left[0] with
        {
            Peer = "zz",
            Flows = [x.Left[0].Flows[0] with { Packets = 0, Bytes = 5 }],
        })));
        Assert.Contains("peer name", Rejected(x => x.Left.Add(x.Left[0] with { Peer = new string('p', 65) })));
        // The owned-from mark lies inside the epoch it marks (after its start, at most its end).
        Assert.Contains("not inside the epoch", Rejected(x => x.OwnedFromMicros = record.Id.StartMicros));
        Assert.Contains("not inside the epoch", Rejected(x => x.OwnedFromMicros = record.Id.EndMicros + 1));
        Assert.Contains("out of range", Rejected(x => x.OwnedFromMicros = 0));
        Assert.Contains("out of range", Rejected(x => x.OwnedFromMicros = unchecked((long)ulong.MaxValue)));
    }

    [Fact]
    public void TheOwnedFromMarkRoundTripsAndIsTheOnlyExtensionItNeeds()
    {
        var record = EpochRecord.Decode(Sample.Value, Key);
        var contents = record.Contents;
        var saved = contents.Extensions;
        try
        {
            var marked = new RecordExtensions();
            marked.MergeFrom(saved);
            marked.OwnedFromMicros = record.Id.EndMicros;
            contents.Extensions = marked;
            byte[] bytes = contents.Encode(record.Id);
            var decoded = EpochRecord.Decode(bytes, Key);
            Assert.Equal(record.Id.EndMicros, decoded.OwnedFromMicros);
            Assert.False(decoded.OwnedItsAddresses);
            Assert.Equal(bytes, decoded.Encode());
            // Alone (an agent with no addresses yet) it still makes a valid block.
            contents.Extensions = new RecordExtensions { OwnedFromMicros = record.Id.EndMicros };
            Assert.Equal(record.Id.EndMicros, EpochRecord.Decode(contents.Encode(record.Id), Key).OwnedFromMicros);
        }
        finally
        {
            contents.Extensions = saved;
        }
        Assert.True(record.OwnedItsAddresses);
    }

    [Fact]
    public void TheOwnedLaterListRoundTripsAndNamesOnlyAnnouncedAddressesOwnedAfterTheStart()
    {
        var record = EpochRecord.Decode(Sample.Value, Key);
        var announced = record.MonitoredAddresses!;
        Assert.True(announced.Count >= 2);
        var contents = record.Contents;
        var saved = contents.Extensions;
        try
        {
            var marked = new RecordExtensions();
            marked.MergeFrom(saved);
            // Owned from a later epoch (beyond this one's end is allowed: the lead spans epochs).
            marked.OwnedLater = [(announced[1], record.Id.EndMicros + record.Id.LengthMicros)];
            contents.Extensions = marked;
            byte[] bytes = contents.Encode(record.Id);
            var decoded = EpochRecord.Decode(bytes, Key);
            Assert.Equal(bytes, decoded.Encode());
            Assert.Equal([(announced[1], record.Id.EndMicros + record.Id.LengthMicros)], decoded.AddressesOwnedLater!);
            Assert.True(decoded.Owned(announced[0]));
            Assert.False(decoded.Owned(announced[1]));
            Assert.True(decoded.OwnedAnyAddress);
            Assert.False(decoded.OwnedItsAddresses);
        }
        finally
        {
            contents.Extensions = saved;
        }
        Assert.Contains("not among the announced", RejectedWith(record, x => x.OwnedLater = [(IpAddress128.Parse("192.0.2.77"), record.Id.EndMicros)]));
        Assert.Contains("not after the epoch's start", RejectedWith(record, x => x.OwnedLater = [(announced[0], record.Id.StartMicros)]));
        Assert.Contains("out of range", RejectedWith(record, x => x.OwnedLater = [(announced[0], 0)]));
        Assert.Contains("not among the announced", RejectedWith(record, x =>
        {
            x.OwnedLater = [(announced[0], record.Id.EndMicros)];
            x.Addresses = null;
        }));
    }

    [Fact]
    public void CountedTwiceEntriesRoundTripAndHostileOnesAreRejectedByWhatTheyBreak()
    {
        var record = EpochRecord.Decode(Sample.Value, Key);
        long before = record.Id.StartMicros - record.Id.LengthMicros;
        var entry = new CountedTwice(before, record.Id.LengthMicros, "a", IpAddress128.Parse("10.0.0.1"), 0, new TrafficCounters(1500, 3, 1));
        var contents = record.Contents;
        var saved = contents.Extensions;
        byte[] bytes;
        try
        {
            var marked = new RecordExtensions();
            marked.MergeFrom(saved);
            marked.CountedTwice = [entry, entry with { ProtocolClass = 1 }];
            marked.OwnedLater = [(record.MonitoredAddresses![0], record.Id.EndMicros)];
            contents.Extensions = marked;
            bytes = contents.Encode(record.Id);
        }
        finally
        {
            contents.Extensions = saved;
        }
        var decoded = EpochRecord.Decode(bytes, Key);
        Assert.Equal(bytes, decoded.Encode());
        Assert.Equal([entry, entry with { ProtocolClass = 1 }], decoded.Contents.Extensions.CountedTwice!);
        // Every truncation of a record carrying both new extensions is refused with the format's own exception.
        for (int length = ExtensionStart(bytes); length < bytes.Length; length += 3)
        {
            Reject(bytes[..length]);
            Reject(Reseal(bytes[..length]));
        }

        Assert.Contains("ends after the record", RejectedWith(record, x => x.CountedTwice = [entry with { StartMicros = record.Id.EndMicros }]));
        Assert.Contains("protocol class", RejectedWith(record, x => x.CountedTwice = [entry with { ProtocolClass = 9 }]));
        Assert.Contains("out of range", RejectedWith(record, x => x.CountedTwice = [entry with { Traffic = new TrafficCounters(10, 1, 5) }]));
        Assert.Contains("out of range", RejectedWith(record, x => x.CountedTwice = [entry with { Traffic = new TrafficCounters(10, 0, 0) }]));
        Assert.Contains("out of range", RejectedWith(record, x => x.CountedTwice = [entry with { LengthMicros = 0 }]));
        Assert.Contains("owner name", RejectedWith(record, x => x.CountedTwice = [entry with { Owner = new string('o', 65) }]));
    }

    [Fact]
    public void TheLedgerIsBoundedAndReportsEachEntryOnce()
    {
        var ledger = new LateOwnershipLedger();
        var epoch = new EpochId("b", 10_000_000, 10_000_000);
        var outside = IpAddress128.Parse("192.0.2.1");
        for (int i = 0; i < LateOwnershipLedger.MaxPairsPerEpoch + 100; i++)
            ledger.Add(epoch, IpAddress128.From(new System.Net.IPAddress(BitConverter.GetBytes(0x0A000000 + i))), outside, 0, new TrafficCounters(100, 1, 1));
        Assert.Equal(100UL, ledger.Unledgered);
        var everyone = MonitoredAddresses.Build("b", [], [new AddressAnnouncement("a", 0,
            Enumerable.Range(0, LateOwnershipLedger.MaxPairsPerEpoch + 100).Select(i => IpAddress128.From(new System.Net.IPAddress(BitConverter.GetBytes(0x0A000000 + i)))).ToList())]);
        // Not before the epoch ends; then capped per record, each entry once.
        Assert.Empty(ledger.Settle(everyone, epoch.StartMicros, 1024));
        Assert.Equal(1024, ledger.Settle(everyone, epoch.EndMicros, 1024).Count);
        int rest = 0;
        for (int i = 0; i < 10; i++) rest += ledger.Settle(everyone, epoch.EndMicros, 1024).Count;
        Assert.Equal(LateOwnershipLedger.MaxPairsPerEpoch - 1024, rest);
        Assert.Equal((ulong)LateOwnershipLedger.MaxPairsPerEpoch, ledger.Corrections);
    }

    /// <summary>
    /// The ledger outlasts a partition's heal however short the epochs: with 2 s epochs an entry can still be settled
    /// 170 s later (it was 16 epochs, 32 s: a peer cut off from gossip that learned of the owner 40 s late reported
    /// nothing), and is forgotten after the 3-minute horizon; all epochs together hold at most MaxPairs pairs.
    /// </summary>
    [Theory]
    [InlineData(170, 1)]
    [InlineData(190, 0)]
    public void TheLedgerKeepsEntriesForItsHorizonWhateverTheEpochLength(int learnedAfterSeconds, int settled)
    {
        const long epochMicros = 2_000_000;
        var ledger = new LateOwnershipLedger();
        var owner = IpAddress128.Parse("10.0.0.1");
        var self = IpAddress128.Parse("10.0.0.3");
        var outside = IpAddress128.Parse("192.0.2.1");
        ledger.Add(new EpochId("n3", 0, epochMicros), owner, self, 1, new TrafficCounters(600, 1, 1));
        var nobody = MonitoredAddresses.Build("n3", [self], []);
        // Every later epoch until the owner is learned of holds provisional traffic with the outside (its lower address
        // has no agent), and is settled at its seal with nothing learned.
        for (int e = 1; (e + 1) * epochMicros < epochMicros + learnedAfterSeconds * 1_000_000L; e++)
        {
            ledger.Add(new EpochId("n3", e * epochMicros, epochMicros), outside, self, 0, new TrafficCounters(100, 1, 1));
            Assert.Empty(ledger.Settle(nobody, (e + 1) * epochMicros, 1024));
        }
        var learned = MonitoredAddresses.Build("n3", [self], [new AddressAnnouncement("n1", 0, [owner])]);
        var entries = ledger.Settle(learned, epochMicros + learnedAfterSeconds * 1_000_000L, 1024);
        Assert.Equal(settled, entries.Count);
        Assert.All(entries, e => Assert.Equal(("n1", 0L, 600UL), (e.Owner, e.StartMicros, e.Traffic.Bytes)));

        // Memory: the oldest epochs go once all of them hold more than MaxPairs pairs.
        var full = new LateOwnershipLedger();
        full.Add(new EpochId("n3", 0, epochMicros), owner, self, 1, new TrafficCounters(600, 1, 1));
        for (int e = 1; e <= LateOwnershipLedger.MaxPairs / LateOwnershipLedger.MaxPairsPerEpoch; e++)
            for (int i = 0; i < LateOwnershipLedger.MaxPairsPerEpoch; i++)
                full.Add(new EpochId("n3", e * epochMicros, epochMicros), IpAddress128.From(new System.Net.IPAddress(BitConverter.GetBytes(0x0100000B + (i << 8)))), self, 0, new TrafficCounters(100, 1, 1));
        Assert.DoesNotContain(full.Settle(learned, 40 * epochMicros, 1024), e => e.Owner == "n1");
    }

    [Fact]
    public void UnknownExtensionsAreKeptVerbatimAndSkipped()
    {
        byte[] bytes = Sample.Value;
        int start = ExtensionStart(bytes);
        // Append extension type 200 (no build knows it), version 1: a raw section of 3 bytes.
        byte[] unknown = [200, 1, 0, 3, 0, 0, 0, 0xAA, 0xBB, 0xCC];
        byte[] grown = [.. bytes[..start], (byte)(bytes[start] + 1), .. bytes[(start + 1)..^4], .. unknown, 0, 0, 0, 0];
        grown = Reseal(grown);
        var record = EpochRecord.Decode(grown, Key);
        Assert.Equal(grown, record.Encode());
        Assert.Equal(EpochRecord.Decode(bytes, Key).Contents.Extensions.Left.Count, record.Contents.Extensions.Left.Count);
        // Out of order or repeated types are not canonical.
        byte[] repeated = Reseal([.. bytes[..start], (byte)(bytes[start] + 1), .. bytes[(start + 1)..^4], 1, 1, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
        Assert.Contains("out of order", Reject(repeated).Message);
    }


    private static bool AcceptOrReject(byte[] bytes)
    {
        EpochRecord record;
        try
        {
            record = EpochRecord.Decode(bytes, Key);
        }
        catch (EpochRecordFormatException)
        {
            return false;
        }
        Assert.Equal(bytes, record.Encode());
        var set = new EpochRecordSet();
        set.Add(record);
        Assert.NotNull(EpochRecordSetTests.Answers(Merge(set.Records)));
        return true;
    }
}
