using System.CommandLine;

namespace RosaOS.Worker;

/// <summary>The `rosa worker` sub-command.</summary>
public static class WorkerCommand
{
    /// <summary>Builds the command with its options and action.</summary>
    public static Command Create()
    {
        var command = new Command("worker", "Run a worker agent process (pool mode on stdin, or one-shot from the environment).");
        command.SetAction(_ =>
        {
            Console.Error.WriteLine("rosa worker: not built yet.");
            return 2;
        });
        return command;
    }
}
