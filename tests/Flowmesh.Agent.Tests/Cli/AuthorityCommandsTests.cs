using Flowmesh.Agent.Enrolment;
using Flowmesh.Agent.Tests.Hosting;
using Flowmesh.Gossip;
using Flowmesh.Gossip.Security;

namespace Flowmesh.Agent.Tests.Cli;

/// <summary>The operator's enrolment commands as a person runs them: `ca init`, `enroll`, `ca revoke` (issue 16).</summary>
public sealed class AuthorityCommandsTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("fmh-ca-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public void Init_enroll_and_revoke_write_private_files_that_the_verifier_accepts_and_then_refuses()
    {
        string ca = Path.Combine(_directory, "ca");
        var (code, output, error) = AgentProcess.Cli("ca", "init", "--dir", ca);
        Assert.True(code == 0, output + error);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(ca, "ca.key")));
        Assert.DoesNotContain("PRIVATE", output + error); // the key is never printed
        (code, _, error) = AgentProcess.Cli("ca", "init", "--dir", ca);
        Assert.Equal(2, code);
        Assert.Contains("refusing to replace it", error);

        string bundlePath = Path.Combine(_directory, "pc-2.bundle");
        (code, output, error) = AgentProcess.Cli("enroll", "--ca", ca, "--name", "pc-2", "--zone", "site-a", "--days", "30", "--out", bundlePath);
        Assert.True(code == 0, output + error);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(bundlePath));
        var bundle = NodeBundle.Read(bundlePath);
        Assert.Equal(new NodeId("pc-2"), bundle.Certificate.Node);
        Assert.Equal("site-a", bundle.Certificate.Zone);
        Assert.InRange(bundle.Certificate.NotAfterUnixMs - DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(), TimeSpan.FromDays(29.9).TotalMilliseconds, TimeSpan.FromDays(30).TotalMilliseconds); // backdated a day, and a day longer
        var verifier = new CertificateCredentialVerifier(AuthorityDirectory.ReadPublicKey(Path.Combine(ca, "ca.pem")), TimeSpan.FromMinutes(5));
        long now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        Assert.True(verifier.TryVerify(new NodeId("pc-2"), bundle.Certificate.Encode(), now, out var key, out _));
        Assert.Equal(bundle.Identity.PublicKey, key);
        (code, _, error) = AgentProcess.Cli("enroll", "--ca", ca, "--name", "pc-2", "--out", bundlePath);
        Assert.Equal(2, code); // never overwrites a bundle (it holds a private key)
        Assert.Contains("refusing to overwrite", error);

        (code, _, error) = AgentProcess.Cli("ca", "revoke", "--dir", ca, "--name", "pc-9");
        Assert.Equal(2, code);
        Assert.Contains("issued no certificate to 'pc-9'", error);
        (code, output, error) = AgentProcess.Cli("ca", "revoke", "--dir", ca, "--name", "pc-2");
        Assert.True(code == 0, output + error);
        Assert.True(verifier.TryInstallRevocations(File.ReadAllBytes(Path.Combine(ca, "revocations"))));
        Assert.False(verifier.TryVerify(new NodeId("pc-2"), bundle.Certificate.Encode(), now, out _, out var refusal));
        Assert.Equal(CredentialRefusal.Revoked, refusal);
        (code, output, _) = AgentProcess.Cli("ca", "revoke", "--dir", ca, "--serial", "12345");
        Assert.Equal(0, code);
        Assert.Contains("revocation list 2 written", output);
        Assert.Contains("2 certificates revoked", output);
    }
}
