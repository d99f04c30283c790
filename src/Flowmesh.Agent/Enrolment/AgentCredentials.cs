using Flowmesh.Gossip;
using Flowmesh.Gossip.Security;

namespace Flowmesh.Agent.Enrolment;

/// <summary>
/// What the agent signs and trusts with (issue 16): its key and certificate (<see cref="Credential"/>, the contract
/// membership shares), and the verifier that holds the cluster authority's public key and the newest revocation list.
/// </summary>
public sealed class AgentCredentials(NodeCredential credential, NodeCertificate certificate, CertificateCredentialVerifier verifier, string? authorityDirectory)
{
    /// <summary>How far outside its validity a certificate is still accepted: the records' clock skew allowance.</summary>
    public static readonly TimeSpan ClockSkew = TimeSpan.FromMinutes(5);

    /// <summary>Validity of the certificate an agent issues itself from its local authority (re-issued at every start).</summary>
    public static readonly TimeSpan SelfIssuedValidity = TimeSpan.FromDays(365);

    public NodeCredential Credential { get; } = credential;
    public NodeCertificate Certificate { get; } = certificate;
    public CertificateCredentialVerifier Verifier { get; } = verifier;

    /// <summary>The authority directory whose <c>revocations</c> file the agent watches (local default, or beside --ca-certificate).</summary>
    public string? AuthorityDirectory { get; } = authorityDirectory;

    /// <summary>
    /// Resolves the agent's credentials: the bundle of <paramref name="certificateFile"/> (trust anchor from
    /// <paramref name="caCertificateFile"/> or the bundle), or with neither flag a local authority in
    /// &lt;data-dir&gt;/ca (created on first run, like the cluster key) that certifies <paramref name="databaseIdentity"/>.
    /// Throws <see cref="EnrolmentException"/> with a message for the operator.
    /// </summary>
    public static AgentCredentials Resolve(NodeId self, string dataDirectory, string? certificateFile, string? caCertificateFile,
        NodeIdentity databaseIdentity, TextWriter log)
    {
        NodeIdentity identity;
        NodeCertificate certificate;
        byte[] anchor;
        string? watched;
        if (certificateFile is not null)
        {
            var bundle = NodeBundle.Read(certificateFile);
            identity = bundle.Identity;
            certificate = bundle.Certificate;
            anchor = caCertificateFile is not null ? Enrolment.AuthorityDirectory.ReadPublicKey(caCertificateFile) : bundle.AuthorityPublicKey;
            if (anchor.Length == 0) throw new EnrolmentException($"certificate bundle '{certificateFile}' holds no cluster authority key; give --ca-certificate");
            watched = caCertificateFile is not null ? Path.GetDirectoryName(Path.GetFullPath(caCertificateFile)) : null;
        }
        else if (caCertificateFile is not null)
        {
            throw new EnrolmentException("--ca-certificate needs --certificate: enrol this node with 'flowmesh enroll --name " + self.Value + " --out FILE' where the authority is, and pass that file");
        }
        else
        {
            var directory = Path.Combine(dataDirectory, "ca");
            var created = !Enrolment.AuthorityDirectory.Exists(directory);
            using var local = created ? Enrolment.AuthorityDirectory.Create(directory) : Enrolment.AuthorityDirectory.Open(directory);
            if (created)
                log.WriteLine($"flowmesh: created a cluster authority in {directory}; enrol other PCs with 'flowmesh enroll --ca {directory} --name NAME --out NAME.bundle' (docs/gossip-security.md)");
            identity = databaseIdentity;
            certificate = local.Issue(self, identity.PublicKey, SelfIssuedValidity, null);
            anchor = local.Authority.PublicKey;
            watched = directory;
        }
        if (certificate.Node != self)
            throw new EnrolmentException($"the certificate is for '{certificate.Node}', but this agent is named '{self}'; run it with --name {certificate.Node} or enrol '{self}'");
        CertificateCredentialVerifier verifier;
        try
        {
            verifier = new CertificateCredentialVerifier(anchor, ClockSkew);
        }
        catch (ArgumentException e)
        {
            throw new EnrolmentException($"the cluster authority key is not a P-256 public key ({e.Message})", e);
        }
        var refusal = verifier.Check(certificate.Encode(), DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(), out _);
        if (refusal != CredentialRefusal.None)
            throw new EnrolmentException($"this agent's certificate (serial {certificate.Serial}) is refused: {refusal}; enrol it again with 'flowmesh enroll'");
        return new AgentCredentials(new NodeCredential(self, identity, certificate.Encode()), certificate, verifier, watched);
    }
}
