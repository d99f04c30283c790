using System.Security.Cryptography;
using System.Text;
using Flowmesh.Gossip.Security;

namespace Flowmesh.Agent.Enrolment;

/// <summary>
/// What <c>flowmesh enroll</c> hands to one PC: its private key, its certificate and the cluster authority's public
/// key (the trust anchor), as three PEM blocks in one file of mode 0600, so enrolling a PC is copying one file as
/// joining was copying the key file. Labels: FLOWMESH NODE KEY (PKCS#8), FLOWMESH NODE CERTIFICATE
/// (<see cref="NodeCertificate"/>), PUBLIC KEY (SubjectPublicKeyInfo).
/// </summary>
public sealed class NodeBundle(NodeIdentity identity, NodeCertificate certificate, byte[] authorityPublicKey)
{
    public const string KeyLabel = "FLOWMESH NODE KEY";
    public const string CertificateLabel = "FLOWMESH NODE CERTIFICATE";
    public const string AuthorityLabel = "PUBLIC KEY";

    public NodeIdentity Identity { get; } = identity;
    public NodeCertificate Certificate { get; } = certificate;
    public byte[] AuthorityPublicKey { get; } = authorityPublicKey;

    public void WriteTo(string path, bool overwrite)
    {
        var text = new StringBuilder()
            .Append(PemEncoding.Write(KeyLabel, Identity.ExportPkcs8())).Append('\n')
            .Append(PemEncoding.Write(CertificateLabel, Certificate.Encode())).Append('\n')
            .Append(PemEncoding.Write(AuthorityLabel, AuthorityPublicKey)).Append('\n')
            .ToString();
        OwnerOnlyFile.Write(path, Encoding.ASCII.GetBytes(text), overwrite);
    }

    /// <summary>Reads a bundle; refuses one that others can read, a missing block, or a certificate for another key.</summary>
    public static NodeBundle Read(string path)
    {
        string text;
        try
        {
            OwnerOnlyFile.RequirePrivate(path, "certificate bundle");
            text = File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new EnrolmentException($"cannot read certificate bundle '{path}': {e.Message}", e);
        }
        var blocks = PemBlocks.Read(text, path);
        if (!blocks.TryGetValue(KeyLabel, out var pkcs8) || !blocks.TryGetValue(CertificateLabel, out var certificateBytes))
            throw new EnrolmentException($"'{path}' is not a certificate bundle from 'flowmesh enroll' (it needs the blocks {KeyLabel} and {CertificateLabel})");
        NodeIdentity identity;
        try
        {
            identity = NodeIdentity.FromPkcs8(pkcs8);
        }
        catch (CryptographicException e)
        {
            throw new EnrolmentException($"certificate bundle '{path}': its node key does not load ({e.Message})", e);
        }
        if (!NodeCertificate.TryDecode(certificateBytes, out var certificate, out var error))
            throw new EnrolmentException($"certificate bundle '{path}': its certificate is malformed ({error})");
        if (!certificate!.PublicKey.AsSpan().SequenceEqual(identity.PublicKey))
            throw new EnrolmentException($"certificate bundle '{path}': the certificate is for another key than the bundle's node key");
        blocks.TryGetValue(AuthorityLabel, out var authority);
        return new NodeBundle(identity, certificate, authority ?? []);
    }
}
