using System.CommandLine;
using RosaOS.Cli;

// One program, many sub-commands: every rosaOS process (robot, drivers, kernel, workers) is `rosa <command>`.
var root = new RootCommand("rosaOS, the ROS Agentic Operating System: control robots with LLMs through MCP.")
{
    UpCommand.Create(),
    StatusCommand.Create(),
    ChatCommand.Create(),
    EstopCommand.Create(),
    RosaOS.Simulator.SimCommand.Create(),
    RosaOS.Mcp.ReachyMini.ReachyCommand.Create(),
    RosaOS.Kernel.KernelCommand.Create(),
    RosaOS.Worker.WorkerCommand.Create(),
    RosaOS.Mcp.Ros.RosCommand.Create(),
};
// On SIGINT/SIGTERM the actions' token is cancelled; System.CommandLine's default of 2 s before it forces exit 130
// is shorter than an orderly stop of the stack (each child gets 10 s before SIGKILL), so allow a minute.
return await root.Parse(args).InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = TimeSpan.FromSeconds(60) });
