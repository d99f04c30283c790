using Flowmesh.Core.Zones;

namespace Flowmesh.Core.Tests.Zones;

public sealed class ZonePathTests
{
    [Theory]
    [InlineData("site-a")]
    [InlineData("site-a/floor-3/4/7")]
    [InlineData("a/b/c/d/e/f/g/h")]
    [InlineData("lab_1.b")]
    public void Valid_paths_round_trip(string text)
    {
        var path = ZonePath.Parse(text);
        Assert.Equal(text, path.Text);
        Assert.Equal(text.Split('/').Length, path.Depth);
    }

    [Theory]
    [InlineData("Site")]             // upper case: paths are metric labels and URLs, one spelling only
    [InlineData("a//b")]
    [InlineData("/a")]
    [InlineData("a/")]
    [InlineData("a b")]
    [InlineData("a\u001b[31m")]
    [InlineData("a/b/c/d/e/f/g/h/i")] // nine segments
    [InlineData("abcdefghijklmnopqrstuvwxyz0123456")] // 33 characters
    [InlineData("é")]
    public void Invalid_paths_are_refused_with_a_reason(string text)
    {
        Assert.False(ZonePath.TryParse(text, out _, out string? error));
        Assert.False(string.IsNullOrEmpty(error));
        Assert.DoesNotContain('\u001b', error);
        Assert.Throws<FormatException>(() => ZonePath.Parse(text));
    }

    [Fact]
    public void A_path_longer_than_63_characters_is_refused()
    {
        string text = string.Join('/', Enumerable.Repeat("abcdefghij", 6)) + "/abc"; // 69
        Assert.False(ZonePath.TryParse(text, out _, out _));
    }

    [Fact]
    public void Parents_prefixes_and_containment()
    {
        var leaf = ZonePath.Parse("site-a/3/7");
        Assert.Equal("site-a/3", leaf.Parent.Text);
        Assert.True(ZonePath.Root.Contains(leaf));
        Assert.True(ZonePath.Parse("site-a").Contains(leaf));
        Assert.True(leaf.Contains(leaf));
        Assert.False(ZonePath.Parse("site-a/37").Contains(leaf));
        Assert.False(leaf.Contains(leaf.Parent));
        Assert.Equal(ZonePath.Root, ZonePath.Parse("site-a").Parent);
        Assert.Equal(ZonePath.Root, ZonePath.Root.Parent);
        Assert.Equal("site-a/3/7/2", leaf.Child("2").Text);
    }

    [Fact]
    public void Default_paths_put_the_label_first_and_are_stable()
    {
        var label = ZonePath.Parse("site-a");
        var p = ZonePath.ForNode(label, "pc-17", depth: 4, branching: 10, seed: 42);
        Assert.Equal(4, p.Depth);
        Assert.True(label.Contains(p));
        Assert.Equal(p, ZonePath.ForNode(label, "pc-17", 4, 10, 42));
        Assert.All(p.Segments.Skip(1), s => Assert.Matches("^[0-9]$", s));
        // A label as deep as asked is the whole path.
        Assert.Equal(ZonePath.Parse("a/b"), ZonePath.ForNode(ZonePath.Parse("a/b"), "pc-17", 2, 10, 42));
    }

    /// <summary>
    /// Zone sizes balance without configuration: 10,000 names over 10 top-level zones and 100 second-level ones.
    /// Each count is binomial; all must fall within 5 standard deviations (a failure is less than 1e-5 likely per zone).
    /// </summary>
    [Fact]
    public void Hashed_paths_balance_zone_sizes()
    {
        const int nodes = 10_000;
        var paths = Enumerable.Range(0, nodes).Select(i => ZonePath.ForNode(ZonePath.Root, $"pc-{i}.example.lan", 3, 10, seed: 7)).ToList();
        foreach (int depth in new[] { 1, 2 })
        {
            int zones = (int)Math.Pow(10, depth);
            var counts = paths.GroupBy(p => p.Prefix(depth).Text).ToDictionary(g => g.Key, g => g.Count());
            Assert.Equal(zones, counts.Count);
            double mean = (double)nodes / zones, sd = Math.Sqrt(nodes * (1.0 / zones) * (1 - 1.0 / zones));
            Assert.All(counts.Values, c => Assert.InRange(c, mean - 5 * sd, mean + 5 * sd));
        }
        // Another cluster seed gives another assignment (a name cannot be placed by knowing only the layout).
        int moved = Enumerable.Range(0, 1000).Count(i => ZonePath.ForNode(ZonePath.Root, $"pc-{i}.example.lan", 3, 10, seed: 8) != paths[i]);
        Assert.InRange(moved, 950, 1000);
    }

    [Fact]
    public void Branching_above_ten_uses_letters()
    {
        var p = ZonePath.ForNode(ZonePath.Root, "x", 8, 36, 1);
        Assert.All(p.Segments, s => Assert.True(ZonePath.IsValidSegment(s)));
        Assert.Throws<ArgumentOutOfRangeException>(() => ZonePath.ForNode(ZonePath.Root, "x", 9, 10, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => ZonePath.ForNode(ZonePath.Root, "x", 3, 1, 1));
    }
}
