using System.Diagnostics;
using System.Text;
using RosaOS.Hosting;

namespace RosaOS.Cli.Stack;

/// <summary>How to run one service of the stack.</summary>
/// <param name="Name">Short name used as the log prefix and log file name.</param>
/// <param name="Arguments">Arguments to <c>rosa</c>.</param>
/// <param name="HealthUrl">GET URL that answers 2xx once the service is ready.</param>
internal sealed record ServiceSpec(string Name, IReadOnlyList<string> Arguments, Uri HealthUrl);

/// <summary>
/// One child of <c>rosa up</c>: started in its own session with its output prefixed on the console and
/// appended to data/logs/NAME.log (rotated by size), restarted a bounded number of times when it dies, stopped with
/// SIGTERM then SIGKILL to its whole process group.
/// </summary>
internal sealed class ChildService : IAsyncDisposable
{
    private static readonly Lock s_console = new();
    private readonly ServiceSpec _spec;
    private readonly string _executable;
    private readonly IReadOnlyDictionary<string, string> _environment;
    private readonly RotatingLogFile _log;
    private readonly RestartPolicy _policy;
    private readonly Queue<DateTimeOffset> _restarts = new();
    private readonly CancellationTokenSource _stopping = new();
    private Process? _process;
    private Task? _supervision;

    public ChildService(ServiceSpec spec, string executable, IReadOnlyDictionary<string, string> environment, string logDirectory, RestartPolicy policy)
    {
        _spec = spec;
        _executable = executable;
        _environment = environment;
        _policy = policy;
        // Rotated by size so a chatty service cannot fill the disk; the kernel's retention deletes old rotated files.
        _log = new RotatingLogFile(Path.Combine(logDirectory, spec.Name + ".log"), LogRotation.FromEnvironment());
    }

    public string Name => _spec.Name;

    /// <summary>Completes when the service has stopped for good (asked to, or out of restarts).</summary>
    public Task Completion => _supervision ?? Task.CompletedTask;

    /// <summary>True when the service gave up after too many crashes.</summary>
    public bool GaveUp { get; private set; }

    /// <summary>Starts the service and keeps it running until <see cref="StopAsync"/>.</summary>
    public void Start()
    {
        StartProcess();
        _supervision = SuperviseAsync();
    }

    /// <summary>Waits until the health URL answers, the process dies, or the timeout passes.</summary>
    public Task<bool> WaitHealthyAsync(HttpClient http, TimeSpan timeout, CancellationToken cancellationToken)
        => WaitHealthyAsync(http, timeout, null, cancellationToken);

    /// <summary>Waits until <paramref name="healthUrl"/> (null: the service's own) answers, the process gives up, or the timeout passes.</summary>
    public async Task<bool> WaitHealthyAsync(HttpClient http, TimeSpan timeout, Uri? healthUrl, CancellationToken cancellationToken)
    {
        healthUrl ??= _spec.HealthUrl;
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        while (!deadline.IsCancellationRequested)
        {
            if (GaveUp)
            {
                return false;
            }
            try
            {
                using var response = await http.GetAsync(healthUrl, deadline.Token);
                if (response.IsSuccessStatusCode)
                {
                    return true;
                }
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
            }
            try
            {
                await Task.Delay(200, deadline.Token);
            }
            catch (OperationCanceledException)
            {
            }
        }
        return false;
    }

    /// <summary>Stops the service: SIGTERM to its process group, SIGKILL after <paramref name="grace"/>.</summary>
    public async Task StopAsync(TimeSpan grace)
    {
        await _stopping.CancelAsync();
        var process = _process;
        if (process is not null && !HasExited(process))
        {
            Posix.SignalGroup(process.Id, Posix.SigTerm);
            using var timeout = new CancellationTokenSource(grace);
            try
            {
                await process.WaitForExitAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                Say($"did not stop within {grace.TotalSeconds:0} s; killing it.");
            }
        }
        // Whatever is left in the group (a worker that ignored SIGTERM) goes too.
        if (process is not null)
        {
            Posix.SignalGroup(process.Id, Posix.SigKill);
            await process.WaitForExitAsync(CancellationToken.None);
        }
        if (_supervision is not null)
        {
            await _supervision;
        }
    }

    /// <summary>Stops the service (if <see cref="StopAsync"/> has not already) and releases its log.</summary>
    public async ValueTask DisposeAsync()
    {
        if (!_stopping.IsCancellationRequested)
        {
            await StopAsync(TimeSpan.FromSeconds(10));
        }
        _process?.Dispose();
        _log.Dispose();
        _stopping.Dispose();
    }

    private async Task SuperviseAsync()
    {
        while (true)
        {
            var process = _process!;
            try
            {
                await process.WaitForExitAsync(_stopping.Token);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            if (_stopping.IsCancellationRequested)
            {
                return;
            }
            Say($"exited unexpectedly with code {process.ExitCode}.");
            var now = DateTimeOffset.UtcNow;
            while (_restarts.Count > 0 && now - _restarts.Peek() > _policy.Window)
            {
                _restarts.Dequeue();
            }
            if (_restarts.Count >= _policy.MaxRestarts)
            {
                GaveUp = true;
                Say($"crashed {_policy.MaxRestarts + 1} times within {_policy.Window.TotalMinutes:0} min; not restarting it (see {_log.Path}).");
                return;
            }
            _restarts.Enqueue(now);
            var delay = TimeSpan.FromSeconds(Math.Pow(2, _restarts.Count - 1));
            Say($"restarting in {delay.TotalSeconds:0} s (restart {_restarts.Count} of at most {_policy.MaxRestarts}).");
            try
            {
                await Task.Delay(delay, _stopping.Token);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            process.Dispose();
            StartProcess();
        }
    }

    private void StartProcess()
    {
        // setsid (Linux): the child leads its own session, so a terminal's Ctrl-C reaches only `rosa up`, which
        // then stops the children in order, and the child's workers share its group for a clean group kill.
        var psi = Posix.StartInfo(_executable);
        psi.RedirectStandardOutput = true;
        psi.RedirectStandardError = true;
        psi.RedirectStandardInput = true;
        psi.UseShellExecute = false;
        psi.StandardOutputEncoding = Encoding.UTF8;
        psi.StandardErrorEncoding = Encoding.UTF8;
        foreach (var arg in _spec.Arguments)
        {
            psi.ArgumentList.Add(arg);
        }
        foreach (var (key, value) in _environment)
        {
            psi.Environment[key] = value;
        }
        var process = new Process { StartInfo = psi };
        process.OutputDataReceived += (_, e) => OnLine(e.Data);
        process.ErrorDataReceived += (_, e) => OnLine(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _process = process;
        lock (s_console)
        {
            _log.WriteLine($"--- {DateTimeOffset.Now:yyyy-MM-dd HH:mm:ss} started: rosa {string.Join(' ', _spec.Arguments)} (pid {process.Id})");
        }
    }

    private void OnLine(string? line)
    {
        if (line is null)
        {
            return;
        }
        lock (s_console)
        {
            Console.Out.WriteLine($"[{_spec.Name,-7}] {line}");
            _log.WriteLine(line);
        }
    }

    private void Say(string message)
    {
        lock (s_console)
        {
            Console.Out.WriteLine($"[up     ] {_spec.Name} {message}");
            _log.WriteLine($"--- {DateTimeOffset.Now:HH:mm:ss} {message}");
        }
    }

    private static bool HasExited(Process process)
    {
        try
        {
            return process.HasExited;
        }
        catch (InvalidOperationException)
        {
            return true;
        }
    }
}

/// <summary>How often a crashing service is restarted: at most <paramref name="MaxRestarts"/> within <paramref name="Window"/>.</summary>
internal sealed record RestartPolicy(int MaxRestarts, TimeSpan Window);
