using System.CommandLine;
using RosaOS.Cli;

// One program, many sub-commands: every rosaOS process (robot, drivers, kernel, workers) is `rosa <command>`.
var root = new RootCommand("rosaOS, the ROS Agentic Operating System: control robots with LLMs through MCP.")
{
    UpCommand.Create(),
    StatusCommand.Create(),
    ChatCommand.Create(),
    RosaOS.Simulator.SimCommand.Create(),
    RosaOS.Mcp.ReachyMini.ReachyCommand.Create(),
    RosaOS.Kernel.KernelCommand.Create(),
    RosaOS.Worker.WorkerCommand.Create(),
    RosaOS.Mcp.Ros.RosCommand.Create(),
};
return await root.Parse(args).InvokeAsync();
