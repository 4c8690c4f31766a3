using System.Diagnostics;
using System.Globalization;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using RosaOS.Agents;
using RosaOS.Hosting;
using RosaOS.Kernel.Contracts;

namespace RosaOS.Worker;

/// <summary>
/// A worker's line to the kernel that started it: its stdin (task lines in pool mode, a blank heartbeat
/// line every half second) and the kernel's identity (pid and start time, from the environment). The
/// kernel is gone when stdin ends (the kernel died and its end of the pipe closed), when heartbeats stop
/// for longer than three intervals (at least 1.5 s: the kernel hangs), or when no process with the
/// kernel's pid and start time exists any more. Each check runs at least every 200 ms, so a worker knows
/// within 2 s.
/// </summary>
internal sealed partial class KernelLink
{
    private static readonly TimeSpan s_checkInterval = TimeSpan.FromMilliseconds(200);
    private readonly ILogger _logger;
    private readonly ProcessIdentity? _kernel;
    private readonly TimeSpan? _heartbeatTimeout;
    private readonly Channel<string> _tasks = Channel.CreateUnbounded<string>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
    private readonly Stopwatch _sinceBeat = Stopwatch.StartNew();
    private readonly Lock _lock = new();
    private int _gone;

    private KernelLink(ILogger logger, ProcessIdentity? kernel, TimeSpan? heartbeatTimeout)
    {
        _logger = logger;
        _kernel = kernel;
        _heartbeatTimeout = heartbeatTimeout;
    }

    /// <summary>Task lines read from stdin (pool mode); completes when stdin ends.</summary>
    public ChannelReader<string> Tasks => _tasks.Reader;

    /// <summary>True when a kernel started this worker (it set ROSA_KERNEL_PID); a worker run by hand watches nothing.</summary>
    public bool Watching => _kernel is not null;

    /// <summary>Reads the kernel's identity and heartbeat interval from the environment.</summary>
    public static KernelLink FromEnvironment(ILogger logger)
    {
        ProcessIdentity? kernel = null;
        if (int.TryParse(RosaEnvironment.Get(WorkerEnvironment.KernelPid), NumberStyles.None, CultureInfo.InvariantCulture, out var pid)
            && long.TryParse(RosaEnvironment.Get(WorkerEnvironment.KernelStart), NumberStyles.None, CultureInfo.InvariantCulture, out var start))
        {
            kernel = new ProcessIdentity(pid, start);
        }
        TimeSpan? timeout = null;
        if (int.TryParse(RosaEnvironment.Get(WorkerEnvironment.HeartbeatMs), NumberStyles.None, CultureInfo.InvariantCulture, out var ms) && ms > 0)
        {
            timeout = TimeSpan.FromMilliseconds(Math.Max(1500, 3 * ms));
        }
        return new KernelLink(logger, kernel, timeout);
    }

    /// <summary>
    /// Starts reading <paramref name="input"/> (when given) and watching the kernel. <paramref name="onGone"/>
    /// runs once, on a background thread, with the reason, when the kernel is gone.
    /// </summary>
    public void Start(TextReader? input, Action<string> onGone)
    {
        if (input is not null)
        {
            // Dedicated threads: blocking reads, and checks that a busy thread pool cannot delay.
            new Thread(() => Read(input, onGone)) { IsBackground = true, Name = "kernel stdin" }.Start();
        }
        if (_kernel is not null)
        {
            new Thread(() => Watch(onGone)) { IsBackground = true, Name = "kernel watch" }.Start();
        }
    }

    private void Read(TextReader input, Action<string> onGone)
    {
        try
        {
            while (input.ReadLine() is { } line)
            {
                lock (_lock)
                {
                    _sinceBeat.Restart();
                }
                if (!string.IsNullOrWhiteSpace(line))
                {
                    _tasks.Writer.TryWrite(line);
                }
            }
        }
        catch (IOException e)
        {
            LogReadFailed(_logger, e.Message);
        }
        _tasks.Writer.TryComplete();
        if (_kernel is not null)
        {
            Gone(onGone, "its pipe to this worker closed (the kernel exited)");
        }
    }

    private void Watch(Action<string> onGone)
    {
        while (Volatile.Read(ref _gone) == 0)
        {
            Thread.Sleep(s_checkInterval);
            if (!_kernel!.IsAlive())
            {
                Gone(onGone, $"no process with its pid {_kernel.Pid} and start time exists any more");
                return;
            }
            TimeSpan silent;
            lock (_lock)
            {
                silent = _sinceBeat.Elapsed;
            }
            if (_heartbeatTimeout is { } timeout && silent > timeout)
            {
                Gone(onGone, $"no heartbeat for {silent.TotalSeconds:0.0} s (the kernel hangs)");
                return;
            }
        }
    }

    private void Gone(Action<string> onGone, string reason)
    {
        if (Interlocked.Exchange(ref _gone, 1) == 0)
        {
            LogKernelGone(_logger, reason);
            onGone(reason);
        }
    }

    /// <summary>
    /// The worker's client of the kernel's HTTP API: callbacks to <paramref name="callbackUrl"/> (the original's CALLBACK_URL)
    /// and tool-call reports to <paramref name="toolCallUrl"/>, each under its idempotency key, tried up to 5 times
    /// (10 s each, waits from 200 ms doubling) by the client's one retry policy.
    /// </summary>
    public static KernelClient CreateClient(HttpClient http, string callbackUrl, string toolCallUrl, ILogger logger)
    {
        var callback = new Uri(callbackUrl);
        return new KernelClient(http, new KernelClientOptions
        {
            BaseAddress = new Uri(callback, "/"), EventUrl = callback, ToolCallUrl = new Uri(toolCallUrl),
            Attempts = 5, AttemptTimeout = TimeSpan.FromSeconds(10), FirstDelay = TimeSpan.FromMilliseconds(200),
        }, logger);
    }

    /// <summary>True once the kernel took the post; false (logged) when it refused it or could not be reached after the retries.</summary>
    public static async Task<bool> DeliveredAsync(Task<KernelReply<KernelAck>> post, Uri url, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(post);
        try
        {
            var reply = await post;
            if (reply.Success)
            {
                return true;
            }
            // Refused as it stands (4xx), or still failing after the retries (5xx).
            LogPostFailed(logger, url, $"{reply.Status} {reply.Body}");
        }
        catch (Exception e) when (e is HttpRequestException or TimeoutException)
        {
            // The kernel notices the missing callback when this process exits or times out.
            LogPostFailed(logger, url, e.Message);
        }
        return false;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Posting to {Url} failed: {Reason}")]
    private static partial void LogPostFailed(ILogger logger, Uri url, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The kernel is gone: {Reason}. Stopping the motion this worker started and exiting.")]
    private static partial void LogKernelGone(ILogger logger, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Reading stdin failed: {Reason}")]
    private static partial void LogReadFailed(ILogger logger, string reason);
}
