using System.CommandLine;

namespace RosaOS.Mcp.Ros;

/// <summary>The `rosa ros` sub-command.</summary>
public static class RosCommand
{
    /// <summary>Builds the command with its options and action.</summary>
    public static Command Create()
    {
        var command = new Command("ros", "Run an MCP server for one ROS robot through rosbridge.");
        command.SetAction(_ =>
        {
            Console.Error.WriteLine("rosa ros: not built yet.");
            return 2;
        });
        return command;
    }
}
