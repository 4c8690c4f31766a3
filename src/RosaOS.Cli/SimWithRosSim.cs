using System.CommandLine;
using System.CommandLine.Invocation;
using System.Globalization;
using RosaOS.RosSim;
using RosaOS.Simulator;

namespace RosaOS.Cli;

/// <summary>
/// <c>rosa sim</c> with a hidden <c>--rossim NAME=PORT</c>: <c>rosa up</c> hosts its simulated ROS 2 robots in the simulated
/// Reachy's process instead of one process each (issue 19: a .NET process is ~50–80 MiB resident even idle). They are
/// stand-ins for hardware with no safety role; the drivers that enforce the limits stay separate processes. The process
/// ends when any of them ends, so <c>rosa up</c> restarts them together.
/// </summary>
internal static class SimWithRosSim
{
    public static Command Create()
    {
        var sim = SimCommand.Create();
        var rossim = new Option<string[]>("--rossim")
        {
            Description = "Also host a simulated ROS 2 TurtleBot 4 NAME=PORT (rosbridge on that loopback port) in this process (repeatable).",
            Arity = ArgumentArity.ZeroOrMore,
            AllowMultipleArgumentsPerToken = false,
            Hidden = true,
        };
        sim.Options.Add(rossim);
        var simAction = sim.Action as AsynchronousCommandLineAction
            ?? throw new InvalidOperationException("rosa sim has no asynchronous action to host the simulated ROS robots beside.");
        sim.SetAction(async (parse, cancellationToken) =>
        {
            await Task.Yield();
            var robots = new List<RosSimOptions>();
            foreach (var spec in parse.GetValue(rossim) ?? [])
            {
                var eq = spec.IndexOf('=', StringComparison.Ordinal);
                if (eq <= 0 || !int.TryParse(spec.AsSpan(eq + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port is < 1 or > 65535)
                {
                    await Console.Error.WriteLineAsync($"rosa sim: --rossim expects NAME=PORT with a TCP port 1..65535, got '{spec}'.");
                    return 2;
                }
                robots.Add(new RosSimOptions { Name = spec[..eq], Port = port });
            }
            if (robots.Count == 0)
            {
                return await simAction.InvokeAsync(parse, cancellationToken);
            }
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            var hosts = robots.Select(o => RosSimHost.RunAsync(o, stop.Token)).Prepend(simAction.InvokeAsync(parse, stop.Token)).ToList();
            // The first to end (a stop, a bind failure) ends the others: a half-running set of stand-ins is not restarted by rosa up.
            await Task.WhenAny(hosts);
            await stop.CancelAsync();
            var codes = await Task.WhenAll(hosts);
            return codes.FirstOrDefault(c => c != 0);
        });
        return sim;
    }
}
