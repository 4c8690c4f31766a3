using System.CommandLine;

namespace RosaOS.Cli;

/// <summary>The `rosa status` sub-command.</summary>
internal static class StatusCommand
{
    public static Command Create()
    {
        var command = new Command("status", "Show which rosaOS services are up.");
        command.SetAction(_ =>
        {
            Console.Error.WriteLine("rosa status: not built yet.");
            return 2;
        });
        return command;
    }
}
