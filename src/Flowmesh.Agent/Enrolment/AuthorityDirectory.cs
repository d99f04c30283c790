using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Flowmesh.Gossip;
using Flowmesh.Gossip.Security;

namespace Flowmesh.Agent.Enrolment;

/// <summary>
/// A cluster authority on disk (<c>flowmesh ca init</c>, or a single PC's &lt;data-dir&gt;/ca): <c>ca.key</c> (PKCS#8,
/// mode 0600, the only secret), <c>ca.pem</c> (its public key: the trust anchor nodes get), <c>issued</c> (one line per
/// certificate: serial, name, not-after, so <c>ca revoke --name</c> finds the serials) and <c>revocations</c> (the newest
/// signed <see cref="RevocationList"/>, which agents pick up and spread). Not safe for two writers at once.
/// </summary>
public sealed class AuthorityDirectory : IDisposable
{
    public const string KeyFile = "ca.key";
    public const string PublicKeyFile = "ca.pem";
    public const string IssuedFile = "issued";
    public const string RevocationsFile = "revocations";

    /// <summary>How far before its issue a certificate's validity starts.</summary>
    public static readonly TimeSpan Backdating = TimeSpan.FromDays(1);

    private AuthorityDirectory(string path, ClusterAuthority authority)
    {
        Path = path;
        Authority = authority;
    }

    public string Path { get; }
    public ClusterAuthority Authority { get; }
    public string PublicKeyPath => System.IO.Path.Combine(Path, PublicKeyFile);
    public string RevocationsPath => System.IO.Path.Combine(Path, RevocationsFile);

    public static bool Exists(string directory) => File.Exists(System.IO.Path.Combine(directory, KeyFile));

    /// <summary>Creates a new authority in <paramref name="directory"/> (0700); refuses to replace an existing one.</summary>
    public static AuthorityDirectory Create(string directory)
    {
        var full = System.IO.Path.GetFullPath(directory);
        if (Exists(full)) throw new EnrolmentException($"'{full}' already holds a cluster authority ({KeyFile}); refusing to replace it");
        if (OperatingSystem.IsWindows()) Directory.CreateDirectory(full);
        else Directory.CreateDirectory(full, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var authority = ClusterAuthority.Generate();
        try
        {
            OwnerOnlyFile.Write(System.IO.Path.Combine(full, KeyFile), Encoding.ASCII.GetBytes(PemEncoding.Write("PRIVATE KEY", authority.ExportPkcs8())), overwrite: false);
            File.WriteAllText(System.IO.Path.Combine(full, PublicKeyFile), new string(PemEncoding.Write("PUBLIC KEY", authority.PublicKey)) + "\n");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            authority.Dispose();
            throw new EnrolmentException($"cannot create the cluster authority in '{full}': {e.Message}", e);
        }
        return new AuthorityDirectory(full, authority);
    }

    public static AuthorityDirectory Open(string directory)
    {
        var full = System.IO.Path.GetFullPath(directory);
        var keyPath = System.IO.Path.Combine(full, KeyFile);
        if (!File.Exists(keyPath))
            throw new EnrolmentException($"'{full}' holds no cluster authority (no {KeyFile}); create one with 'flowmesh ca init --dir {full}'");
        OwnerOnlyFile.RequirePrivate(keyPath, "cluster authority key");
        var pkcs8 = PemBlocks.ReadOne(keyPath, "PRIVATE KEY", "cluster authority key");
        try
        {
            return new AuthorityDirectory(full, ClusterAuthority.FromPkcs8(pkcs8));
        }
        catch (CryptographicException e)
        {
            throw new EnrolmentException($"cluster authority key '{keyPath}' does not load ({e.Message})", e);
        }
    }

    /// <summary>Certifies <paramref name="publicKey"/> for <paramref name="node"/> and notes the serial in <c>issued</c>.</summary>
    public NodeCertificate Issue(NodeId node, ReadOnlySpan<byte> publicKey, TimeSpan validity, string? zone)
    {
        // Valid from a day ago: a PC whose clock is behind the authority's (hours, after a bad RTC) can still use it.
        var certificate = Authority.Issue(node, publicKey, DateTimeOffset.UtcNow - Backdating, validity + Backdating, zone);
        File.AppendAllText(System.IO.Path.Combine(Path, IssuedFile), string.Create(CultureInfo.InvariantCulture,
            $"{certificate.Serial} {node.Value} {DateTimeOffset.FromUnixTimeMilliseconds(certificate.NotAfterUnixMs):yyyy-MM-ddTHH:mm:ssZ}\n"));
        return certificate;
    }

    /// <summary>A new key pair and its certificate, as one bundle.</summary>
    public NodeBundle Enrol(NodeId node, TimeSpan validity, string? zone)
    {
        var identity = NodeIdentity.Generate();
        return new NodeBundle(identity, Issue(node, identity.PublicKey, validity, zone), Authority.PublicKey);
    }

    /// <summary>Serials issued to <paramref name="node"/>, from <c>issued</c>.</summary>
    public IReadOnlyList<ulong> SerialsOf(NodeId node)
    {
        var path = System.IO.Path.Combine(Path, IssuedFile);
        if (!File.Exists(path)) return [];
        var serials = new List<ulong>();
        foreach (var line in File.ReadLines(path))
        {
            var parts = line.Split(' ');
            if (parts.Length >= 2 && parts[1] == node.Value && ulong.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var serial))
                serials.Add(serial);
        }
        return serials;
    }

    /// <summary>The current list, or null when nothing was revoked yet.</summary>
    public RevocationList? CurrentRevocations()
    {
        if (!File.Exists(RevocationsPath)) return null;
        return RevocationList.TryDecode(File.ReadAllBytes(RevocationsPath), out var list, out var error)
            ? list
            : throw new EnrolmentException($"'{RevocationsPath}' is not a revocation list ({error})");
    }

    /// <summary>Adds <paramref name="serials"/> to the list, signs it with the next list serial and writes it.</summary>
    public RevocationList Revoke(IEnumerable<ulong> serials)
    {
        var current = CurrentRevocations();
        var next = Authority.IssueRevocations((current?.Serial ?? 0) + 1, [.. current?.Revoked ?? [], .. serials], DateTimeOffset.UtcNow);
        OwnerOnlyFile.Write(RevocationsPath, next.Encode(), overwrite: true);
        return next;
    }

    /// <summary>The trust anchor from a <c>ca.pem</c> (or any PEM PUBLIC KEY file).</summary>
    public static byte[] ReadPublicKey(string path) => PemBlocks.ReadOne(path, "PUBLIC KEY", "cluster authority certificate");

    public void Dispose() => Authority.Dispose();
}
