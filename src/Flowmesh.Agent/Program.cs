namespace Flowmesh.Agent;

public static class Program
{
    public static int Main(string[] args)
    {
        Console.Error.WriteLine("flowmesh: not yet");
        return 2;
    }
}
