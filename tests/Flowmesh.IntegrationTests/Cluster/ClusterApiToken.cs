using System.Security.Cryptography;

namespace Flowmesh.IntegrationTests.Cluster;

/// <summary>
/// The API token every test cluster's agents share (their APIs listen on the bridge, beyond loopback, where every
/// request needs it): one random token per test process in one file, given to each agent with --api-token-file.
/// </summary>
internal static class ClusterApiToken
{
    private static readonly Lazy<string> s_file = new(() =>
    {
        string path = Path.Combine(Directory.CreateTempSubdirectory("fmc-token-").FullName, "api.token");
        System.IO.File.WriteAllText(path, Value + "\n");
        if (!OperatingSystem.IsWindows()) System.IO.File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead);
        return path;
    });

    public static string Value { get; } = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));

    /// <summary>The file (written on first use).</summary>
    public static string File => s_file.Value;

    /// <summary>The Authorization header value.</summary>
    public static string Header => "Bearer " + Value;
}
