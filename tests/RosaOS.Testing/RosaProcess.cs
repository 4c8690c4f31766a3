using System.Collections.Concurrent;
using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;

namespace RosaOS.Testing;

/// <summary>
/// A real <c>rosa</c> process (or any program) started by a test: output is captured line by line and
/// echoed to the test log, readiness is awaited on a log line or an HTTP answer, and disposal stops the
/// whole process group (SIGTERM, then SIGKILL) so no test leaves a robot running.
/// </summary>
public sealed partial class RosaProcess : IAsyncDisposable
{
    /// <summary>Environment variables that would make a test reach a real provider if the developer has them set.</summary>
    public static readonly string[] ScrubbedVariables =
    [
        "GROQ_API_KEY", "GROQ_MODEL", "GROQ_BASE_URL", "ANTHROPIC_API_KEY", "ANTHROPIC_MODEL", "ANTHROPIC_BASE_URL",
        "LLM_PROVIDER", "LOCAL_LLM", "LOCAL_LLM_PORT", "LOCAL_LLM_ENDPOINT", "ELEVENLABS_API_KEY", "ELEVENLABS_VOICE_ID",
        "ELEVENLABS_MODEL", "TTS_ENGINE", "TTS_VOICE", "STT_CALLBACK_URL", "RAG_AGENT_URL", "RAG_AGENT_PORT",
        "PROCESS_SERVER_URL", "PROCESS_SERVER_PORT", "REACHY_MCP_PORT", "ROSAOS_CONFIG_DIR", "ROSAOS_DATA_DIR",
        "ROSAOS_VISION_MODEL", "ROSAOS_VISION_BASE_URL", "ROSAOS_VISION_API_KEY", "ROSAOS_VISION_ALLOW_URLS", "ROSAOS_CAMERA_DEVICE",
        "ROSA_DAEMON_URL", "ROSA_SUPERVISOR_PID", "HF_ENDPOINT", "HF_TOKEN",
        // A developer's OpenTelemetry collector would receive the tests' spans.
        "OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "OTEL_EXPORTER_OTLP_PROTOCOL", "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL",
    ];

    private readonly Process _process;
    private readonly ConcurrentQueue<string> _lines = new();
    private readonly List<(Func<string, bool> Predicate, TaskCompletionSource<string> Done)> _waiters = [];
    private readonly Lock _lock = new();
    private readonly TaskCompletionSource _exited = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly string _name;
    private int _disposed;

    private RosaProcess(Process process, string name)
    {
        _process = process;
        _name = name;
    }

    /// <summary>The OS process id (also its process-group id: every started process leads its own group).</summary>
    public int Id => _process.Id;

    /// <summary>True once the process has exited.</summary>
    public bool HasExited => _exited.Task.IsCompleted;

    /// <summary>Exit code, once exited.</summary>
    public int ExitCode => _process.ExitCode;

    /// <summary>Every line written so far to stdout and stderr.</summary>
    public string Output => string.Join('\n', _lines);

    /// <summary>Lines written so far.</summary>
    public IReadOnlyCollection<string> Lines => _lines.ToArray();

    /// <summary>
    /// Starts <c>rosa</c> with the given arguments. Unless the test names a data folder (ROSAOS_DATA_DIR), the process gets a
    /// fresh one of its own: state such as an engaged emergency stop never leaks between tests or into the checkout's data/.
    /// </summary>
    public static RosaProcess StartRosa(IEnumerable<string> args, IDictionary<string, string?>? environment = null, string? workingDirectory = null)
    {
        var env = new Dictionary<string, string?>(environment ?? new Dictionary<string, string?>());
        if (!env.ContainsKey("ROSAOS_DATA_DIR"))
        {
            env["ROSAOS_DATA_DIR"] = TestPaths.NewTempDirectory("data");
        }
        return Start(TestPaths.RosaExecutable, args, env, workingDirectory, name: "rosa " + args.FirstOrDefault());
    }

    /// <summary>Starts any program in a new session (its own process group), with stdin redirected.</summary>
    public static RosaProcess Start(string fileName, IEnumerable<string> args, IDictionary<string, string?>? environment = null,
        string? workingDirectory = null, string? name = null)
    {
        // setsid execs in place (our child is never a group leader), so the pid is the program's and its group id.
        var psi = new ProcessStartInfo("setsid")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? TestPaths.RepoRoot,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
        };
        psi.ArgumentList.Add(fileName);
        foreach (var arg in args)
        {
            psi.ArgumentList.Add(arg);
        }
        foreach (var variable in ScrubbedVariables)
        {
            psi.Environment.Remove(variable);
        }
        psi.Environment["DOTNET_NOLOGO"] = "1";
        psi.Environment["ROSAOS_TOOLS_DIR"] = TestPaths.ToolsDir;
        // A developer's .env at the repository root must not reach tests; the .env tests remove this on purpose.
        psi.Environment["PYTHON_DOTENV_DISABLED"] = "1";
        // Nothing a test starts may reach the real Hugging Face Hub; the download tests point HF_ENDPOINT at a stand-in.
        psi.Environment["HF_HUB_OFFLINE"] = "1";
        if (environment is not null)
        {
            foreach (var (key, value) in environment)
            {
                if (value is null)
                {
                    psi.Environment.Remove(key);
                }
                else
                {
                    psi.Environment[key] = value;
                }
            }
        }

        var process = new Process { StartInfo = psi, EnableRaisingEvents = true };
        var rosa = new RosaProcess(process, name ?? Path.GetFileName(fileName));
        process.OutputDataReceived += (_, e) => rosa.OnLine(e.Data);
        process.ErrorDataReceived += (_, e) => rosa.OnLine(e.Data);
        process.Exited += (_, _) => rosa.OnExited();
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return rosa;
    }

    /// <summary>Writes one line to the process's stdin.</summary>
    public async Task WriteLineAsync(string line)
    {
        await _process.StandardInput.WriteLineAsync(line);
        await _process.StandardInput.FlushAsync();
    }

    /// <summary>Closes stdin (end of input, like Ctrl-D).</summary>
    public void CloseInput() => _process.StandardInput.Close();

    /// <summary>Waits for a line matching <paramref name="predicate"/> (including lines already written).</summary>
    public Task<string> WaitForLineAsync(Func<string, bool> predicate, TimeSpan? timeout = null)
    {
        var done = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_lock)
        {
            var existing = _lines.FirstOrDefault(predicate);
            if (existing is not null)
            {
                return Task.FromResult(existing);
            }
            _waiters.Add((predicate, done));
        }
        return WithTimeout(done.Task, timeout ?? TestTimeouts.Startup, "a matching output line");
    }

    /// <summary>
    /// Waits for the service's <c>rosaOS &lt;name&gt; listening on &lt;url&gt;</c> line (a service started on port 0 says there which
    /// port it got) and returns that URL; fails at once, with the output, if the process exits first.
    /// </summary>
    public async Task<Uri> WaitForListeningAsync(string name, TimeSpan? timeout = null)
    {
        var line = WaitForLineAsync(l => RosaOS.Hosting.BoundAddresses.Parse(l)?.Name == name, timeout);
        if (await Task.WhenAny(line, _exited.Task) != line)
        {
            throw new InvalidOperationException($"{_name} exited with code {ExitCode} before it listened as {name}.\n{Output}");
        }
        return RosaOS.Hosting.BoundAddresses.Parse(await line)!.Url;
    }

    /// <summary>Waits until <paramref name="url"/> answers any HTTP status (the service is listening), failing early if the process dies.</summary>
    public async Task WaitForHttpAsync(string url, TimeSpan? timeout = null)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        var deadline = Stopwatch.StartNew();
        var limit = timeout ?? TestTimeouts.Startup;
        while (true)
        {
            if (HasExited)
            {
                throw new InvalidOperationException($"{_name} exited with code {ExitCode} before {url} answered.\n{Output}");
            }
            try
            {
                using var response = await http.GetAsync(new Uri(url), TestContext.Current.CancellationToken);
                return;
            }
            catch (HttpRequestException)
            {
            }
            catch (TaskCanceledException) when (!TestContext.Current.CancellationToken.IsCancellationRequested)
            {
            }
            if (deadline.Elapsed > limit)
            {
                throw new TimeoutException($"{url} did not answer within {limit.TotalSeconds} s.\n{Output}");
            }
            // The polling interval while another process starts (its readiness is only visible by asking).
            await Task.Delay(50, TestContext.Current.CancellationToken);
        }
    }

    /// <summary>Sends a POSIX signal (2 = SIGINT, 15 = SIGTERM, 9 = SIGKILL) to the process alone.</summary>
    public void Signal(int signal)
    {
        if (!HasExited)
        {
            _ = NativeMethods.Kill(_process.Id, signal);
        }
    }

    /// <summary>Sends a signal to the whole process group this process leads.</summary>
    public void SignalGroup(int signal) => _ = NativeMethods.Kill(-_process.Id, signal);

    /// <summary>Waits for the process to exit and returns its exit code.</summary>
    public async Task<int> WaitForExitAsync(TimeSpan? timeout = null)
    {
        await WithTimeout(_exited.Task.ContinueWith(_ => string.Empty, TaskScheduler.Default), timeout ?? TestTimeouts.Shutdown, "the process to exit");
        return _process.ExitCode;
    }

    /// <summary>Stops the process group: SIGTERM, a grace period, then SIGKILL. A second call does nothing.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }
        try
        {
            if (!HasExited)
            {
                SignalGroup(15);
                await Task.WhenAny(_exited.Task, Task.Delay(TimeSpan.FromSeconds(8)));
            }
        }
        finally
        {
            // Children of the group (workers) may outlive their parent; never leave them running.
            SignalGroup(9);
            if (!HasExited)
            {
                try
                {
                    _process.Kill(entireProcessTree: true);
                }
                catch (InvalidOperationException)
                {
                }
            }
            _process.Dispose();
        }
    }

    private void OnLine(string? line)
    {
        if (line is null)
        {
            return;
        }
        List<TaskCompletionSource<string>>? matched = null;
        lock (_lock)
        {
            _lines.Enqueue(line);
            for (var i = _waiters.Count - 1; i >= 0; i--)
            {
                if (_waiters[i].Predicate(line))
                {
                    (matched ??= []).Add(_waiters[i].Done);
                    _waiters.RemoveAt(i);
                }
            }
        }
        matched?.ForEach(t => t.TrySetResult(line));
        TestLog.Write($"[{_name}] {line}");
    }

    private void OnExited()
    {
        // Let the output readers drain before declaring the exit.
        _process.WaitForExit();
        _exited.TrySetResult();
    }

    private async Task<T> WithTimeout<T>(Task<T> task, TimeSpan timeout, string what)
    {
        var finished = await Task.WhenAny(task, Task.Delay(timeout, TestContext.Current.CancellationToken));
        if (finished != task)
        {
            throw new TimeoutException($"Timed out after {timeout.TotalSeconds} s waiting for {what} from {_name}.\n--- output ---\n{Output}");
        }
        return await task;
    }

    private static partial class NativeMethods
    {
        [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
        internal static partial int Kill(int pid, int signal);
    }
}
