namespace Flowmesh.Capture.HostContext.Processes;

/// <summary>
/// Which of some kernel functions exist on the running kernel (built in or in a loaded module), from /proc/kallsyms:
/// libbpf refuses the whole object when one tracepoint target is missing, so absent ones are left out before loading.
/// </summary>
internal static class KernelFunctions
{
    /// <summary>The subset of <paramref name="names"/> that exists, or null when /proc/kallsyms cannot be read.</summary>
    public static HashSet<string>? Present(IEnumerable<string> names)
    {
        var wanted = names.ToHashSet(StringComparer.Ordinal);
        var found = new HashSet<string>(StringComparer.Ordinal);
        try
        {
            foreach (string line in File.ReadLines("/proc/kallsyms"))
            {
                // "ffffffff81234567 T tcp_connect" or "... t packet_sendmsg\t[af_packet]". 100,000+ lines: a cheap
                // substring test first, so only candidate lines are split.
                if (!wanted.Any(line.Contains)) continue;
                string? name = SymbolName(line);
                if (name is not null && wanted.Contains(name)) found.Add(name);
            }
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
        return found;
    }

    /// <summary>The name of a text (function) symbol of one /proc/kallsyms line, or null.</summary>
    internal static string? SymbolName(string line)
    {
        string[] parts = line.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length < 3 || parts[1].Length != 1 || (parts[1][0] != 't' && parts[1][0] != 'T')) return null;
        return parts[2];
    }
}
