namespace Flowmesh.Gossip.Membership;

/// <summary>
/// What the cluster believes of a member. Left and Dead differ on purpose: a PC that shut down or went to sleep
/// said goodbye (Left) and is no failure; Dead means it stopped answering.
/// </summary>
public enum MemberState : byte
{
    Alive = 0,
    Suspect = 1,
    Dead = 2,
    Left = 3,
}
