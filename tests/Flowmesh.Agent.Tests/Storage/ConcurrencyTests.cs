using Flowmesh.Core.Epochs;
using Flowmesh.Gossip.Records;

namespace Flowmesh.Agent.Tests.Storage;

public sealed class ConcurrencyTests : IDisposable
{
    private const long Minute = 60_000_000;
    private readonly StorageFixture _fixture = new();

    [Fact]
    public void WritersAndReadersOnThreadsEndWithExactlyTheUnionAndConsistentDigests()
    {
        // Four writers over overlapping id ranges (so duplicates race), two readers reading all the while.
        const int writers = 4, perWriter = 150;
        using var database = _fixture.Open();
        var store = database.Records;
        var accepted = new int[writers];
        var readerErrors = new List<string>();
        using var stop = new CancellationTokenSource();

        var readerThreads = Enumerable.Range(0, 2).Select(r => new Thread(() =>
        {
            var random = new Random(100 + r);
            while (!stop.IsCancellationRequested)
            {
                foreach (var digest in store.Digest())
                {
                    // A record visible by id must read back with the exact bytes written for it.
                    foreach (var id in store.IdsOf(digest.Origin).Take(5))
                    {
                        var bytes = store.Read(id);
                        if (bytes is null || !bytes.AsSpan().SequenceEqual(Expected(id).SignedEnvelope))
                            lock (readerErrors) readerErrors.Add($"read {id} wrong");
                    }
                }
                store.RecordsBetween(0, random.Next(300) * Minute);
                store.UsageByOrigin();
            }
        })).ToList();
        var writerThreads = Enumerable.Range(0, writers).Select(w => new Thread(() =>
        {
            for (int i = 0; i < perWriter; i++)
            {
                int n = w * perWriter / 2 + i; // writer w overlaps half of writer w+1's range
                if (store.Write(Expected(IdOf(n)))) Interlocked.Increment(ref accepted[w]);
            }
        })).ToList();
        readerThreads.ForEach(t => t.Start());
        writerThreads.ForEach(t => t.Start());
        writerThreads.ForEach(t => t.Join());
        stop.Cancel();
        readerThreads.ForEach(t => t.Join());

        var expected = Enumerable.Range(0, writers).SelectMany(w => Enumerable.Range(w * perWriter / 2, perWriter)).Distinct().Select(IdOf).ToList();
        Assert.Empty(readerErrors);
        Assert.Equal(expected.Count, accepted.Sum()); // every distinct id accepted exactly once
        RecordStoreTests.AssertMatches(store, expected);
        foreach (var id in expected) Assert.Equal(Expected(id).SignedEnvelope, store.Read(id));
    }

    private static EpochId IdOf(int n) => new($"w{n % 5}", n * Minute, Minute);

    private static VerifiedRecord Expected(EpochId id) => StorageFixture.Record(id.Origin, id.StartMicros, size: 64 + (int)(id.StartMicros / Minute % 500));

    public void Dispose() => _fixture.Dispose();
}
