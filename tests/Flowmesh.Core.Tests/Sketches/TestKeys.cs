using Flowmesh.Core.Sketches;

namespace Flowmesh.Core.Tests.Sketches;

internal static class TestKeys
{
    public static readonly SketchHashKey Primary = new(Enumerable.Range(0, 16).Select(i => (byte)(0xA0 + i)).ToArray());
    public static readonly SketchHashKey Other = new(Enumerable.Range(0, 16).Select(i => (byte)(0x10 + i)).ToArray());

    /// <summary>SplitMix64 stream: a cheap, seeded source of uniform 64-bit values (stand-ins for keyed hashes).</summary>
    public static ulong Next(ref ulong state)
    {
        ulong z = state += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    public static byte[] Item(long value) => BitConverter.GetBytes(value);
}
