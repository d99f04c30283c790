using System.Text;
using Flowmesh.Core.Sketches;

namespace Flowmesh.Core.HostContext;

/// <summary>
/// What of the host context leaves the PC in epoch records (docs/host-context.md "Privacy"). Defaults: program and DNS
/// names shared, users local.
/// </summary>
public sealed record HostContextPrivacy
{
    public SharingMode Programs { get; init; } = SharingMode.Shared;
    public SharingMode Users { get; init; } = SharingMode.Local;
    public SharingMode Names { get; init; } = SharingMode.Shared;

    public static HostContextPrivacy Default { get; } = new();

    /// <summary>Prefix of a hashed value's text, so a hash is never mistaken for a program or user called that.</summary>
    public const char HashedPrefix = '#';

    /// <summary>The keyed 64-bit identity of a value: what records key programs and names by, in every mode.</summary>
    public static ulong Identity(SketchHashKey key, string value)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(value);
        int length = Encoding.UTF8.GetByteCount(value);
        Span<byte> bytes = length <= 256 ? stackalloc byte[length] : new byte[length];
        Encoding.UTF8.GetBytes(value, bytes);
        return key.Hash(bytes);
    }

    /// <summary>How a value without its text (hashed) is shown: <c>#</c> and 16 hex digits of its identity.</summary>
    public static string HashedText(ulong identity) => $"{HashedPrefix}{identity:x16}";

    /// <summary>What a record may carry of <paramref name="value"/> under <paramref name="mode"/>: itself, its hashed text, or nothing.</summary>
    public static string? Outgoing(SharingMode mode, SketchHashKey key, string? value) => value is null ? null : mode switch
    {
        SharingMode.Shared => value,
        SharingMode.Hashed => HashedText(Identity(key, value)),
        _ => null,
    };

    /// <summary>The context as drill-down rows may keep it: values set to <see cref="SharingMode.Off"/> removed.</summary>
    public FlowHostContext? ForDrillDown(FlowHostContext? context)
    {
        if (context is null || (Programs != SharingMode.Off && Users != SharingMode.Off && Names != SharingMode.Off)) return context;
        var process = context.Process;
        if (process is not null && Programs == SharingMode.Off) process = null;
        else if (process is not null && Users == SharingMode.Off) process = process with { User = null, UserId = null };
        var stripped = new FlowHostContext
        {
            Process = process,
            Tcp = context.Tcp,
            DnsName = Names == SharingMode.Off ? null : context.DnsName,
            Drops = context.Drops,
        };
        return stripped.Process is null && stripped.Tcp is null && stripped.DnsName is null && stripped.Drops.Count == 0 ? null : stripped;
    }
}
