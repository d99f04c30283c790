namespace Flowmesh.Agent.Configuration;

/// <summary>Where an effective agent setting came from, as `flowmesh agent --print-config` shows it. A flag wins over the file, the file over the default.</summary>
internal enum SettingSource
{
    Default,
    File,
    Flag,
}
