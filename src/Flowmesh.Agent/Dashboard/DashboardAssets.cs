using System.Collections.Frozen;
using System.Reflection;
using System.Security.Cryptography;

namespace Flowmesh.Agent.Dashboard;

/// <summary>
/// The dashboard files the build bundled into this assembly (Dashboard.targets), loaded once and served from memory:
/// the page is a few hundred KB and the same for every request, so there is nothing to gain from reading it per request.
/// </summary>
public sealed class DashboardAssets
{
    private const string Prefix = "dashboard/";

    private static readonly FrozenDictionary<string, string> ContentTypes = new Dictionary<string, string>
    {
        [".html"] = "text/html; charset=utf-8",
        [".js"] = "text/javascript; charset=utf-8",
        [".css"] = "text/css; charset=utf-8",
        [".txt"] = "text/plain; charset=utf-8",
    }.ToFrozenDictionary();

    private readonly FrozenDictionary<string, DashboardAsset> _assets;

    private DashboardAssets(FrozenDictionary<string, DashboardAsset> assets) => _assets = assets;

    public static DashboardAssets Embedded { get; } = Load(typeof(DashboardAssets).Assembly);

    public IEnumerable<string> Names => _assets.Keys;

    /// <summary>The asset for a request path ("/" is the page); null for anything not bundled.</summary>
    public DashboardAsset? Find(string path)
    {
        string name = path.TrimStart('/');
        if (name.Length == 0) name = "index.html";
        return _assets.GetValueOrDefault(name);
    }

    private static DashboardAssets Load(Assembly assembly)
    {
        var assets = new Dictionary<string, DashboardAsset>(StringComparer.Ordinal);
        foreach (string resource in assembly.GetManifestResourceNames())
        {
            if (!resource.StartsWith(Prefix, StringComparison.Ordinal)) continue;
            using var stream = assembly.GetManifestResourceStream(resource)!;
            var content = new byte[stream.Length];
            stream.ReadExactly(content);
            string name = resource[Prefix.Length..];
            string type = ContentTypes.GetValueOrDefault(Path.GetExtension(name), "application/octet-stream");
            // A strong validator lets browsers revalidate with If-None-Match instead of downloading again.
            string etag = $"\"{Convert.ToHexStringLower(SHA256.HashData(content), 0, 8)}\"";
            assets[name] = new DashboardAsset(name, type, etag, content);
        }
        return new DashboardAssets(assets.ToFrozenDictionary(StringComparer.Ordinal));
    }
}

/// <summary>One bundled file with its content type and entity tag.</summary>
public sealed record DashboardAsset(string Name, string ContentType, string ETag, byte[] Content);
