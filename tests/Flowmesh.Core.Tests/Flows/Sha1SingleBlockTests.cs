using System.Security.Cryptography;
using Flowmesh.Core.Flows;

namespace Flowmesh.Core.Tests.Flows;

public sealed class Sha1SingleBlockTests
{
    [Fact]
    public void MatchesThePlatformSha1AtEveryLengthThatFitsOneBlock()
    {
        var random = new Random(1234);
        Span<byte> ours = stackalloc byte[20];
        for (int length = 0; length <= Sha1SingleBlock.MaxMessageLength; length++)
        {
            for (int trial = 0; trial < 20; trial++)
            {
                var message = new byte[length];
                random.NextBytes(message);
                Sha1SingleBlock.Hash(message, ours);
                Assert.Equal(SHA1.HashData(message), ours.ToArray());
            }
        }
    }

    [Fact]
    public void KnownAnswerForAbc() // FIPS 180-2 appendix A.1
    {
        Span<byte> digest = stackalloc byte[20];
        Sha1SingleBlock.Hash("abc"u8, digest);
        Assert.Equal("A9993E364706816ABA3E25717850C26C9CD0D89D", Convert.ToHexString(digest));
    }

    [Fact]
    public void RefusesMessagesLongerThanOneBlock() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => Sha1SingleBlock.Hash(new byte[56], new byte[20]));
}
