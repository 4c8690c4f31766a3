using System.CommandLine;

namespace RosaOS.Cli;

/// <summary>The `rosa up` sub-command.</summary>
internal static class UpCommand
{
    public static Command Create()
    {
        var command = new Command("up", "Start the whole system: simulated robot, Reachy MCP, kernel, ROS drivers.");
        command.SetAction(_ =>
        {
            Console.Error.WriteLine("rosa up: not built yet.");
            return 2;
        });
        return command;
    }
}
