using System.CommandLine;
using System.Globalization;
using Flowmesh.Agent.Enrolment;
using Flowmesh.Agent.Hosting;
using Flowmesh.Gossip;

namespace Flowmesh.Agent.Cli;

/// <summary>
/// The operator's enrolment commands (issue 16, docs/gossip-security.md "Enrolment"): <c>flowmesh ca init</c>,
/// <c>flowmesh ca revoke</c> and <c>flowmesh enroll</c>. The authority directory defaults to &lt;data-dir&gt;/ca, the
/// one a single PC's agent creates for itself, so the first PC can enrol the second with no setup.
/// </summary>
internal static class AuthorityCommands
{
    public const int MaxDays = 3650;

    private static string DefaultDirectory() =>
        Path.Combine(AgentOptions.DefaultDataDirectory(Environment.IsPrivilegedProcess, Environment.GetEnvironmentVariable), "ca");

    public static Command Authority()
    {
        var initDir = new Option<string?>("--dir") { Description = "Where to create the authority (default: <data-dir>/ca)." };
        var init = new Command("init", "Create a cluster authority: ca.key (mode 0600, keep it off the PCs if you can) and ca.pem (its public key).") { initDir };
        init.SetAction(parse => Run(() =>
        {
            using var created = AuthorityDirectory.Create(parse.GetValue(initDir) ?? DefaultDirectory());
            Console.Out.WriteLine($"created a cluster authority in {created.Path} ({created.Authority}); enrol each PC with: flowmesh enroll --ca {created.Path} --name NAME --out NAME.bundle");
        }));

        var revokeDir = new Option<string?>("--dir") { Description = "The authority's directory (default: <data-dir>/ca)." };
        var serial = new Option<string[]>("--serial") { Description = "Revoke the certificate with this serial; repeatable." };
        var name = new Option<string?>("--name") { Description = "Revoke every certificate this authority issued to this node." };
        var revoke = new Command("revoke", "Revoke certificates: writes a new signed revocation list to <dir>/revocations; agents that watch it spread it by gossip.") { revokeDir, serial, name };
        revoke.SetAction(parse => Run(() =>
        {
            using var authority = AuthorityDirectory.Open(parse.GetValue(revokeDir) ?? DefaultDirectory());
            var serials = new List<ulong>();
            foreach (var text in parse.GetValue(serial) ?? [])
                serials.Add(ulong.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var s) ? s : throw new EnrolmentException($"--serial {text} is not a certificate serial (a decimal number)"));
            if (parse.GetValue(name) is { } node)
            {
                if (!NodeId.IsValidName(node)) throw new EnrolmentException("--name is not a valid node name");
                var issued = authority.SerialsOf(new NodeId(node));
                if (issued.Count == 0) throw new EnrolmentException($"this authority issued no certificate to '{node}' (see {Path.Combine(authority.Path, AuthorityDirectory.IssuedFile)})");
                serials.AddRange(issued);
            }
            if (serials.Count == 0) throw new EnrolmentException("say what to revoke: --serial S or --name X");
            var list = authority.Revoke(serials);
            Console.Out.WriteLine($"revocation list {list.Serial} written to {authority.RevocationsPath}: {list.Revoked.Count} certificates revoked");
        }));
        return new Command("ca", "The cluster authority that enrols PCs (docs/gossip-security.md).") { init, revoke };
    }

    public static Command Enroll()
    {
        var name = new Option<string>("--name") { Description = "The node name to certify (the agent's --name).", Required = true };
        var zone = new Option<string?>("--zone") { Description = "A zone label to put in the certificate." };
        var days = new Option<int>("--days") { Description = $"Validity in days (1..{MaxDays}).", DefaultValueFactory = _ => 365 };
        var ca = new Option<string?>("--ca") { Description = "The authority's directory (default: <data-dir>/ca)." };
        var output = new Option<string>("--out") { Description = "The bundle file to write (mode 0600): give it to the node's --certificate.", Required = true };
        var command = new Command("enroll", "Create a node key and its certificate as one bundle file for 'flowmesh agent --certificate'.") { name, zone, days, ca, output };
        command.SetAction(parse => Run(() =>
        {
            var node = parse.GetValue(name)!;
            if (!NodeId.IsValidName(node)) throw new EnrolmentException("--name is not a valid node name");
            var validity = parse.GetValue(days);
            if (validity is < 1 or > MaxDays) throw new EnrolmentException($"--days must be 1..{MaxDays}");
            var path = Path.GetFullPath(parse.GetValue(output)!);
            // Before issuing: a certificate noted in 'issued' but never handed out would only confuse 'ca revoke --name'.
            if (File.Exists(path)) throw new EnrolmentException($"'{path}' already exists; refusing to overwrite it (it may hold a node's key)");
            using var authority = AuthorityDirectory.Open(parse.GetValue(ca) ?? DefaultDirectory());
            var bundle = authority.Enrol(new NodeId(node), TimeSpan.FromDays(validity), parse.GetValue(zone));
            bundle.WriteTo(path, overwrite: false);
            Console.Out.WriteLine($"enrolled {node}: certificate serial {bundle.Certificate.Serial}, valid until " +
                $"{DateTimeOffset.FromUnixTimeMilliseconds(bundle.Certificate.NotAfterUnixMs):yyyy-MM-dd HH:mm}Z, bundle {path}");
        }));
        return command;
    }

    private static int Run(Action action)
    {
        try
        {
            action();
            return ExitCodes.Success;
        }
        catch (Exception e) when (e is EnrolmentException or IOException or UnauthorizedAccessException or ArgumentException)
        {
            Console.Error.WriteLine($"flowmesh: {e.Message}");
            return ExitCodes.UsageError;
        }
    }
}
