using System.CommandLine;

namespace RosaOS.Mcp.ReachyMini;

/// <summary>The `rosa reachy` sub-command.</summary>
public static class ReachyCommand
{
    /// <summary>Builds the command with its options and action.</summary>
    public static Command Create()
    {
        var command = new Command("reachy", "Run the Reachy Mini MCP server (device layer, port 5001).");
        command.SetAction(_ =>
        {
            Console.Error.WriteLine("rosa reachy: not built yet.");
            return 2;
        });
        return command;
    }
}
