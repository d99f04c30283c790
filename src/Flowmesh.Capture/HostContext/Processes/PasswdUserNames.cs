using System.Globalization;

namespace Flowmesh.Capture.HostContext.Processes;

/// <summary>
/// uid -> user name from /etc/passwd, read once and again (at most every 30 s) when a uid is not in it. Users from
/// other sources (LDAP, systemd-homed) stay unnamed; the uid is still reported.
/// </summary>
public sealed class PasswdUserNames
{
    private static readonly TimeSpan RereadInterval = TimeSpan.FromSeconds(30);
    private const int MaxUsers = 100_000;
    private readonly string _path;
    private Dictionary<uint, string> _names = [];
    private long _readAt = long.MinValue;

    public PasswdUserNames(string path = "/etc/passwd") => _path = path;

    public string? Find(uint uid)
    {
        if (_names.TryGetValue(uid, out string? name)) return name;
        long now = Environment.TickCount64;
        if (_readAt != long.MinValue && now - _readAt < RereadInterval.TotalMilliseconds) return null;
        _readAt = now;
        try
        {
            _names = Parse(File.ReadLines(_path).Take(MaxUsers));
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
        return _names.GetValueOrDefault(uid);
    }

    /// <summary>"name:x:uid:gid:..." lines; malformed lines are skipped, the first name of a uid wins.</summary>
    public static Dictionary<uint, string> Parse(IEnumerable<string> lines)
    {
        ArgumentNullException.ThrowIfNull(lines);
        var names = new Dictionary<uint, string>();
        foreach (string line in lines)
        {
            if (line.Length == 0 || line[0] == '#') continue;
            string[] fields = line.Split(':');
            if (fields.Length < 4 || fields[0].Length == 0 || fields[0].Length > 256) continue;
            if (uint.TryParse(fields[2], NumberStyles.None, CultureInfo.InvariantCulture, out uint uid))
                names.TryAdd(uid, fields[0]);
        }
        return names;
    }
}
