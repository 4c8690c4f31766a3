using System.CommandLine;

namespace RosaOS.Kernel;

/// <summary>The `rosa kernel` sub-command.</summary>
public static class KernelCommand
{
    /// <summary>Builds the command with its options and action.</summary>
    public static Command Create()
    {
        var command = new Command("kernel", "Run the kernel: event queue, kernel agent, process manager (8765, 7001).");
        command.SetAction(_ =>
        {
            Console.Error.WriteLine("rosa kernel: not built yet.");
            return 2;
        });
        return command;
    }
}
