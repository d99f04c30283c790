namespace Flowmesh.Agent.Configuration;

/// <summary>The JSON type a setting of the agent's configuration file takes; the flag it stands for decides which.</summary>
internal enum SettingKind
{
    /// <summary>A JSON string: `"name": "pc-7"`, `"epoch": "10s"`.</summary>
    Text,
    /// <summary>A JSON array of strings, for a repeatable flag: `"join": ["10.0.0.5", "10.0.0.6:7946"]`.</summary>
    TextList,
    /// <summary>true or false, for a switch: `"no-discovery": true`.</summary>
    Switch,
    /// <summary>A whole JSON number: `"retention-mib": 512`.</summary>
    Integer,
    Number,
}
