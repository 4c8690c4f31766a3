using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;
using ModelContextProtocol.Client;

namespace RosaOS.Worker;

/// <summary>
/// Remembers on which robots this worker called a tool that can move them (any tool not annotated
/// read-only), and stops exactly those when the worker must end early (its kernel is gone, or it is
/// asked to stop): the driver's own stop tool, <c>stop_move</c> on the Reachy Mini and <c>stop_robot</c>
/// on ROS robots. These stop the motion without latching an emergency stop, which only a person may
/// release: a lost kernel is not an emergency a person has to clear.
/// </summary>
internal sealed partial class MotionGuard(ILogger logger)
{
    /// <summary>The drivers' non-latching stop tools, by the names they expose.</summary>
    public static readonly IReadOnlyList<string> StopTools = ["stop_move", "stop_robot"];

    private readonly Dictionary<string, (McpClient Client, string StopTool)> _drivers = new(StringComparer.Ordinal);
    private readonly HashSet<string> _moved = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();
    private int _stopped;

    /// <summary>A driver this worker is connected to, with the tools it offers.</summary>
    public void AddDriver(string name, McpClient client, IEnumerable<McpClientTool> tools)
    {
        ArgumentNullException.ThrowIfNull(tools);
        var stop = tools.Select(t => t.Name).FirstOrDefault(StopTools.Contains);
        if (stop is not null)
        {
            lock (_lock)
            {
                _drivers[name] = (client, stop);
            }
        }
    }

    /// <summary>Called before a tool runs: a tool that is not read-only may start motion on its driver.</summary>
    public void BeforeCall(string driver, AIFunction tool)
    {
        if (tool is McpClientTool { ProtocolTool.Annotations.ReadOnlyHint: true })
        {
            return;
        }
        lock (_lock)
        {
            _moved.Add(driver);
        }
    }

    /// <summary>Drops the drivers of a finished task (their clients are closed).</summary>
    public void Clear()
    {
        lock (_lock)
        {
            _drivers.Clear();
            _moved.Clear();
        }
    }

    /// <summary>Calls the stop tool of every driver this worker may have moved, in parallel, each within <paramref name="deadline"/>. Runs once.</summary>
    public async Task StopAsync(TimeSpan deadline)
    {
        if (Interlocked.Exchange(ref _stopped, 1) != 0)
        {
            return;
        }
        List<(string Name, McpClient Client, string Tool)> targets;
        lock (_lock)
        {
            targets = [.. _moved.Where(_drivers.ContainsKey).Select(n => (n, _drivers[n].Client, _drivers[n].StopTool))];
        }
        await Task.WhenAll(targets.Select(async t =>
        {
            using var timeout = new CancellationTokenSource(deadline);
            try
            {
                var result = await t.Client.CallToolAsync(t.Tool, new Dictionary<string, object?>(), cancellationToken: timeout.Token);
                LogStopped(logger, t.Name, t.Tool, result.IsError == true ? "it reported an error" : "done");
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                LogStopFailed(logger, t.Name, t.Tool, e.Message);
            }
        }));
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Stopped the motion on {Driver} with {Tool}: {Outcome}")]
    private static partial void LogStopped(ILogger logger, string driver, string tool, string outcome);

    [LoggerMessage(Level = LogLevel.Error, Message = "Could not stop the motion on {Driver} with {Tool}: {Reason}")]
    private static partial void LogStopFailed(ILogger logger, string driver, string tool, string reason);
}
