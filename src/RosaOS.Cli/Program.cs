using System.CommandLine;
using RosaOS.Cli;
using RosaOS.Configuration;
using RosaOS.Hosting;

// A .env file (the working directory's, else the repository root's) fills in what the real environment does not set,
// before any command reads a variable; child processes (services, workers) inherit the result.
var dotenv = DotEnv.LoadIntoEnvironment(Directory.GetCurrentDirectory(), RosaEnvironment.RepositoryRoot);
if (dotenv is { BadLines.Count: > 0 } && RosaEnvironment.Get("ROSA_SUPERVISOR_PID") is null)
{
    await Console.Error.WriteLineAsync($"rosa: {dotenv.Path}: skipped line(s) {string.Join(", ", dotenv.BadLines)} that are not KEY=value.");
}

// One program, many sub-commands: every rosaOS process (robot, drivers, kernel, workers) is `rosa <command>`.
var root = new RootCommand("rosaOS, the ROS Agentic Operating System: control robots with LLMs through MCP.")
{
    UpCommand.Create(dotenv),
    StatusCommand.Create(),
    ChatCommand.Create(),
    EstopCommand.Create(),
    ApprovalsCommand.Create(),
    SimWithRosSim.Create(),
    RosaOS.Mcp.ReachyMini.ReachyCommand.Create(),
    RosaOS.Kernel.KernelCommand.Create(),
    RosaOS.Worker.WorkerCommand.Create(),
    RosaOS.Mcp.Ros.RosCommand.Create(),
    RosaOS.RosSim.RosSimCommand.Create(),
    RosaOS.Mcp.Kasa.KasaCommand.Create(),
};
// On SIGINT/SIGTERM the actions' token is cancelled; System.CommandLine's default of 2 s before it forces exit 130
// is shorter than an orderly stop of the stack (each child gets 10 s before SIGKILL), so allow a minute.
return await root.Parse(args).InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = TimeSpan.FromSeconds(60) });
