using System.CommandLine;

namespace RosaOS.Simulator;

/// <summary>The `rosa sim` sub-command.</summary>
public static class SimCommand
{
    /// <summary>Builds the command with its options and action.</summary>
    public static Command Create()
    {
        var command = new Command("sim", "Run the simulated Reachy Mini daemon (the real daemon's API on port 8000).");
        command.SetAction(_ =>
        {
            Console.Error.WriteLine("rosa sim: not built yet.");
            return 2;
        });
        return command;
    }
}
