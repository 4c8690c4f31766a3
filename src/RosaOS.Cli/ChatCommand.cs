using System.CommandLine;

namespace RosaOS.Cli;

/// <summary>The `rosa chat` sub-command.</summary>
internal static class ChatCommand
{
    public static Command Create()
    {
        var command = new Command("chat", "Chat with the kernel from the terminal.");
        command.SetAction(_ =>
        {
            Console.Error.WriteLine("rosa chat: not built yet.");
            return 2;
        });
        return command;
    }
}
