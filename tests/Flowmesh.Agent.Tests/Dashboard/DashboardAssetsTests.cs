using System.Text;
using Flowmesh.Agent.Dashboard;

namespace Flowmesh.Agent.Tests.Dashboard;

public sealed class DashboardAssetsTests
{
    [Fact]
    public void The_build_embeds_the_page_its_bundle_and_the_third_party_licences()
    {
        var assets = DashboardAssets.Embedded;
        Assert.Equal(["app.css", "app.js", "app.js.LEGAL.txt", "index.html"], assets.Names.Order());
        var page = assets.Find("/")!;
        Assert.Equal("text/html; charset=utf-8", page.ContentType);
        string html = Encoding.UTF8.GetString(page.Content);
        Assert.Contains("src=\"app.js\"", html);
        Assert.Contains("href=\"app.css\"", html);
        // Chart.js is bundled by the build, not committed: its licence notice travels with the bundle.
        Assert.Contains("Chart.js", Encoding.UTF8.GetString(assets.Find("/app.js.LEGAL.txt")!.Content));
        Assert.True(assets.Find("/app.js")!.Content.Length > 50_000);
    }

    [Theory]
    [InlineData("/nope.js")]
    [InlineData("/../flowmesh.dll")]
    [InlineData("/dashboard/index.html")]
    public void Anything_not_bundled_is_not_found(string path) => Assert.Null(DashboardAssets.Embedded.Find(path));

    [Fact]
    public void Entity_tags_follow_the_content()
    {
        var assets = DashboardAssets.Embedded;
        Assert.NotEqual(assets.Find("/app.js")!.ETag, assets.Find("/app.css")!.ETag);
        Assert.StartsWith("\"", assets.Find("/app.js")!.ETag);
    }
}
