using Flowmesh.Gossip;

namespace Flowmesh.Gossip.Tests;

public sealed class NodeIdTests
{
    [Fact]
    public void EqualNamesAreEqualIds() => Assert.Equal(new NodeId("pc-17"), new NodeId("pc-17"));

    [Theory]
    [InlineData("")]
    [InlineData("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa")]
    public void RejectsEmptyAndOverlongNames(string name) => Assert.ThrowsAny<ArgumentException>(() => new NodeId(name));
}
