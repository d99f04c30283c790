using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;

namespace Flowmesh.Agent.Api;

/// <summary>
/// The per-install API token (issue 15): 128 random bits as 32 hex digits in one file, created on the agent's first
/// start in its data directory with mode 0640 and, where the group exists, group <see cref="GroupName"/>, so root and
/// that group can read it and nobody else. Requests carry it as <c>Authorization: Bearer TOKEN</c>. It is needed for
/// drill-down (exact flows of every PC) always, and for every API request when the API listens beyond loopback; the
/// CLI reads the file itself, the dashboard gets it from <c>flowmesh dashboard</c>. The token is never logged.
/// </summary>
internal sealed partial class ApiToken
{
    public const string FileName = "api.token";
    public const string GroupName = "flowmesh";
    private const int HexDigits = 32;
    private readonly byte[] _ascii;

    private ApiToken(string value)
    {
        Value = value;
        _ascii = Encoding.ASCII.GetBytes(value);
    }

    /// <summary>The token text. Show it to nobody but a user who could read the file.</summary>
    public string Value { get; }

    /// <summary>Reads the token file, or creates it (0640, group <see cref="GroupName"/> when it exists) when it is missing.</summary>
    /// <exception cref="IOException">The file exists but holds no token, or cannot be read or written.</exception>
    public static ApiToken LoadOrCreate(string path, out bool created)
    {
        created = false;
        if (!File.Exists(path))
        {
            Span<byte> random = stackalloc byte[HexDigits / 2];
            RandomNumberGenerator.Fill(random);
            string value = Convert.ToHexStringLower(random);
            string temporary = path + ".tmp";
            var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
            if (!OperatingSystem.IsWindows()) options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead;
            using (var stream = new FileStream(temporary, options))
                stream.Write(Encoding.ASCII.GetBytes(value + "\n"));
            if (!OperatingSystem.IsWindows() && GroupId(GroupName) is uint gid) _ = Chown(temporary, uint.MaxValue, gid);
            try
            {
                File.Move(temporary, path, overwrite: false);
                created = true;
            }
            catch (IOException) when (File.Exists(path))
            {
                File.Delete(temporary); // another start created it first: use that one
            }
        }
        return Parse(File.ReadAllText(path)) ?? throw new IOException($"{path} holds no API token (expected {HexDigits} hex digits); delete it and restart the agent to make a new one");
    }

    /// <summary>The token in <paramref name="path"/>, or null with why (missing, unreadable, not a token).</summary>
    public static ApiToken? TryRead(string path, out string? error)
    {
        error = null;
        try
        {
            var token = Parse(File.ReadAllText(path));
            if (token is null) error = $"{path} holds no API token";
            return token;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            error = e is UnauthorizedAccessException
                ? $"cannot read {path} (run as root or as a member of the '{GroupName}' group, or pass --token-file)"
                : $"cannot read {path}: {e.Message}";
            return null;
        }
    }

    private static ApiToken? Parse(string text)
    {
        string value = text.Trim();
        return value.Length == HexDigits && value.All(char.IsAsciiHexDigitLower) ? new ApiToken(value) : null;
    }

    /// <summary>Whether an Authorization header carries this token (compared in constant time).</summary>
    public bool Matches(string? authorization)
    {
        const string Scheme = "Bearer ";
        if (authorization is null || authorization.Length != Scheme.Length + _ascii.Length || !authorization.StartsWith(Scheme, StringComparison.OrdinalIgnoreCase)) return false;
        Span<byte> given = stackalloc byte[_ascii.Length];
        for (int i = 0; i < given.Length; i++)
        {
            char c = authorization[Scheme.Length + i];
            given[i] = c < 128 ? (byte)c : (byte)0;
        }
        return CryptographicOperations.FixedTimeEquals(given, _ascii);
    }

    /// <summary>The value of an Authorization header that carries this token.</summary>
    public string Header => "Bearer " + Value;

    private static uint? GroupId(string name)
    {
        try
        {
            foreach (string line in File.ReadLines("/etc/group"))
            {
                string[] fields = line.Split(':');
                if (fields.Length >= 3 && fields[0] == name && uint.TryParse(fields[2], out uint gid)) return gid;
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }
        return null;
    }

    [LibraryImport("libc", EntryPoint = "chown", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int Chown(string path, uint owner, uint group);
}
