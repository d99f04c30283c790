using System.Buffers.Binary;
using System.Text;
using Flowmesh.Core.Epochs;
using static Flowmesh.Core.Tests.Epochs.EpochTestTraffic;

namespace Flowmesh.Core.Tests.Epochs;

/// <summary>
/// Record extension 9 (peer accounts) on truncated, random and hostile input: a <see cref="EpochRecordFormatException"/>
/// that says what was wrong, or a valid record that re-encodes to its own bytes; never a crash, a hang or a large allocation.
/// </summary>
public sealed class PeerAccountsFormatTests
{
    private static readonly Lazy<EpochRecord> Sample = new(() =>
        Summarize(Generate(seed: 90, seconds: 10), TimeSpan.FromSeconds(10))[0]);

    /// <summary>The sample record with <paramref name="payload"/> as a raw extension 9 section.</summary>
    private static byte[] WithPayload(byte[] payload)
    {
        var record = Sample.Value;
        var contents = record.Contents;
        var saved = contents.Extensions;
        var section = new byte[5 + payload.Length];
        BinaryPrimitives.WriteUInt32LittleEndian(section.AsSpan(1), (uint)payload.Length);
        payload.CopyTo(section, 5);
        var x = new RecordExtensions();
        x.Unknown.Add((RecordExtensions.TypePeerAccounts, 1, section));
        contents.Extensions = x;
        try
        {
            return contents.Encode(record.Id);
        }
        finally
        {
            contents.Extensions = saved;
        }
    }

    private static byte[] Payload(params (string Name, ulong Sb, ulong Sp, ulong Rb, ulong Rp)[] accounts) => Payload(accounts, 0, 0);

    private static byte[] Payload((string Name, ulong Sb, ulong Sp, ulong Rb, ulong Rp)[] accounts, ulong unaccountedBytes, ulong unaccountedPackets, int? count = null)
    {
        var bytes = new List<byte>();
        bytes.AddRange(BitConverter.GetBytes((ushort)(count ?? accounts.Length)));
        foreach (var a in accounts)
        {
            var name = Encoding.UTF8.GetBytes(a.Name);
            bytes.Add((byte)name.Length);
            bytes.AddRange(name);
            foreach (var v in new[] { a.Sb, a.Sp, a.Rb, a.Rp }) bytes.AddRange(BitConverter.GetBytes(v));
        }
        bytes.AddRange(BitConverter.GetBytes(unaccountedBytes));
        bytes.AddRange(BitConverter.GetBytes(unaccountedPackets));
        return [.. bytes];
    }

    [Fact]
    public void AValidSectionRoundTrips()
    {
        byte[] bytes = WithPayload(Payload(("alpha", 1000, 10, 500, 5), ("beta", 0, 0, 64, 1)));
        var record = EpochRecord.Decode(bytes, Key);
        Assert.Equal(2, record.PeerAccounts!.Accounts.Count);
        Assert.Equal(new PeerAccount("beta", 0, 0, 64, 1), record.PeerAccounts.Find("beta"));
        Assert.Equal(bytes, record.Encode());
        // An empty section is valid: "I exchanged nothing with any monitored peer", which is testimony too.
        Assert.Empty(EpochRecord.Decode(WithPayload(Payload()), Key).PeerAccounts!.Accounts);
        // A peer listed with nothing exchanged: "I knew it, and we exchanged nothing".
        Assert.Equal(0UL, EpochRecord.Decode(WithPayload(Payload(("a", 0, 0, 0, 0))), Key).PeerAccounts!.Find("a")!.Value.Packets);
    }

    [Theory]
    [InlineData("more than 64", 65)]
    [InlineData("not in order", -1)]
    [InlineData("bytes without packets", -2)]
    [InlineData("implausibly large", -4)]
    [InlineData("name length 0", -5)]
    [InlineData("not valid UTF-8", -6)]
    [InlineData("unexpected bytes", -7)]
    public void HostileSectionsAreRefusedWithAReason(string reason, int kind)
    {
        byte[] payload = kind switch
        {
            65 => Payload(Enumerable.Range(0, 65).Select(i => ($"p{i:00}", 1UL, 1UL, 0UL, 0UL)).ToArray(), 0, 0),
            -1 => Payload(("b", 1, 1, 0, 0), ("a", 1, 1, 0, 0)),
            -2 => Payload(("a", 5, 0, 1, 1)),
            -4 => Payload(("a", ulong.MaxValue, 1, 0, 0)),
            -5 => Payload(("", 1, 1, 0, 0)),
            -6 => [1, 0, 1, 0xFF, .. new byte[48]],
            _ => [.. Payload(("a", 1, 1, 0, 0)), 0],
        };
        var e = Reject(WithPayload(payload));
        Assert.Contains(reason, e.Message);
    }

    [Fact]
    public void EveryTruncationIsRefused()
    {
        byte[] payload = Payload(("alpha", 1000, 10, 500, 5), ("beta", 0, 0, 64, 1));
        for (int n = 0; n < payload.Length; n++) Reject(WithPayload(payload[..n]));
    }

    [Fact]
    public void RandomSectionsAreRefusedOrRoundTrip()
    {
        var random = new Random(16);
        int accepted = 0;
        byte[] valid = Payload(("alpha", 1000, 10, 500, 5), ("beta", 0, 0, 64, 1));
        for (int i = 0; i < 3000; i++)
        {
            byte[] payload = i % 2 == 0 ? new byte[random.Next(0, 200)] : (byte[])valid.Clone();
            if (i % 2 == 0) random.NextBytes(payload);
            else payload[random.Next(payload.Length)] ^= (byte)(1 << random.Next(8));
            byte[] bytes = WithPayload(payload);
            try
            {
                var record = EpochRecord.Decode(bytes, Key);
                Assert.Equal(bytes, record.Encode());
                accepted++;
            }
            catch (EpochRecordFormatException)
            {
            }
        }
        Assert.InRange(accepted, 1, 3000); // some bit flips (inside a counter) stay valid
    }
}
