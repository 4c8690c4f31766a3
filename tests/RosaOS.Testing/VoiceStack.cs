using System.Globalization;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using RosaOS.Testing.Llm;

namespace RosaOS.Testing;

/// <summary>
/// The whole voice path with real processes: <c>rosa sim</c> (virtual microphone and speaker), <c>rosa reachy</c> (speech
/// loop, speak with espeak-ng), <c>rosa kernel</c> with pooled workers; only the LLM and Whisper are scripted (one
/// server, Groq's wire format). A turn: the user says "hello, {request}" through the simulated microphone; Whisper
/// transcribes it (standing reply); the kernel launches a worker that calls <c>speak</c>; every LLM answer comes after
/// <see cref="LlmDelay"/>. Used by the voice tests and bench/voice.
/// </summary>
public sealed class VoiceStack : IAsyncDisposable
{
    /// <summary>What the worker says (one sentence).</summary>
    public const string Reply = "It is twelve o'clock.";

    private readonly List<IAsyncDisposable> _parts = [];

    private VoiceStack(ScriptedLlmServer llm, Uri sim, Uri reachy, Uri kernel, RosaProcess kernelProcess)
    {
        Llm = llm;
        SimUrl = sim;
        ReachyUrl = reachy;
        KernelUrl = kernel;
        Kernel = kernelProcess;
    }

    /// <summary>The scripted LLM (and Whisper at /openai/v1/audio/transcriptions).</summary>
    public ScriptedLlmServer Llm { get; }

    public Uri SimUrl { get; }

    public Uri ReachyUrl { get; }

    public Uri KernelUrl { get; }

    public RosaProcess Kernel { get; }

    /// <summary>How long every scripted LLM answer waits (the provider's think time).</summary>
    public TimeSpan LlmDelay { get; set; }

    /// <summary>What the scripted Whisper answers for every utterance.</summary>
    public string Transcript { get; set; } = "Hello, what time is it?";

    /// <summary>Times Whisper was asked.</summary>
    public int Transcriptions => _transcriptions;

    private int _transcriptions;

    public HttpClient Http { get; } = new() { Timeout = TimeSpan.FromSeconds(60) };

    /// <summary>Starts every part; <paramref name="reachyArgs"/> are extra flags of rosa reachy.</summary>
    public static async Task<VoiceStack> StartAsync(TimeSpan llmDelay, params string[] reachyArgs) => await StartAsync(llmDelay, [], reachyArgs);

    /// <summary>Starts every part with extra flags for the kernel (e.g. --reply-tool) and rosa reachy.</summary>
    public static async Task<VoiceStack> StartAsync(TimeSpan llmDelay, string[] kernelArgs, string[] reachyArgs)
    {
        VoiceStack? stack = null;
        var llm = await ScriptedLlmServer.StartAsync((app, _) => app.MapPost("/openai/v1/audio/transcriptions", async (HttpContext context) =>
        {
            // Drain the upload like the real service, then answer the standing transcript.
            await context.Request.ReadFormAsync(context.RequestAborted);
            Interlocked.Increment(ref stack!._transcriptions);
            await context.Response.WriteAsJsonAsync(new { text = stack.Transcript, x_groq = new { id = "req_voice" } }, context.RequestAborted);
        }));
        var simPort = FreePort.Next();
        var reachyPort = FreePort.Next();
        var kernelPort = FreePort.Next();
        var config = TestPaths.NewTempDirectory("voice-cfg");
        StackConfig.Write(config, reachyPort, FreePort.Next(), new Uri("ws://127.0.0.1:9/"));
        var kernel = RosaProcess.StartRosa(["kernel", "--port", kernelPort.ToString(CultureInfo.InvariantCulture), "--process-port", FreePort.Next().ToString(CultureInfo.InvariantCulture), .. kernelArgs],
            new Dictionary<string, string?>
            {
                ["ROSAOS_DATA_DIR"] = TestPaths.NewTempDirectory("voice-data"),
                ["ROSAOS_CONFIG_DIR"] = config,
                ["LOCAL_LLM_PORT"] = FreePort.Next().ToString(CultureInfo.InvariantCulture),
                ["GROQ_API_KEY"] = "gsk_test",
                ["GROQ_BASE_URL"] = llm.GroqBaseUrl,
            });
        stack = new VoiceStack(llm, new Uri($"http://127.0.0.1:{simPort}/"), new Uri($"http://127.0.0.1:{reachyPort}/"), new Uri($"http://127.0.0.1:{kernelPort}/"), kernel)
        {
            LlmDelay = llmDelay,
        };
        stack._parts.Add(kernel);
        try
        {
            await kernel.WaitForHttpAsync(new Uri(stack.KernelUrl, "health").ToString());
            var sim = RosaProcess.StartRosa(["sim", "--port", simPort.ToString(CultureInfo.InvariantCulture)]);
            stack._parts.Add(sim);
            await sim.WaitForHttpAsync(new Uri(stack.SimUrl, "health").ToString());
            await Poll.UntilAsync(async () => (await stack.GetJsonAsync(stack.SimUrl, "api/daemon/status")).GetProperty("state").GetString() == "running", "sim awake");
            var reachy = RosaProcess.StartRosa(["reachy", "--port", reachyPort.ToString(CultureInfo.InvariantCulture), "--daemon", stack.SimUrl.ToString(),
                "--wake-word", "hello", .. reachyArgs], new Dictionary<string, string?>
                {
                    ["STT_CALLBACK_URL"] = new Uri(stack.KernelUrl, "stt").ToString(),
                    ["GROQ_API_KEY"] = "gsk_test",
                    ["GROQ_BASE_URL"] = llm.GroqBaseUrl,
                    ["TTS_ENGINE"] = "espeak",
                });
            stack._parts.Add(reachy);
            await reachy.WaitForHttpAsync(new Uri(stack.ReachyUrl, "health").ToString());
            await Poll.UntilAsync(async () => (await stack.GetJsonAsync(stack.ReachyUrl, "health")).GetProperty("speech_input") is { ValueKind: JsonValueKind.Object } hearing
                && hearing.GetProperty("capturing").GetBoolean(),
                "rosa reachy capturing the virtual microphone");
            // The kernel probes drivers every 3 s; wait until it knows Reachy, or launches fall back blindly.
            await Poll.UntilAsync(async () => (await stack.GetJsonAsync(stack.KernelUrl, "health")).GetProperty("drivers").EnumerateArray()
                .Any(d => d.GetProperty("name").GetString() == "reachy-mini" && d.GetProperty("reachable").GetBoolean()), "the kernel reaching rosa reachy");
            await Poll.UntilAsync(() => Task.FromResult(kernel.Lines.Count(l => l.Contains("worker ready (pool", StringComparison.Ordinal)) >= 2), "2 pool workers");
        }
        catch
        {
            await stack.DisposeAsync();
            throw;
        }
        stack.Script();
        return stack;
    }

    /// <summary>Standing rules: the kernel launches a worker for the request; the worker speaks <see cref="Reply"/>; each answer after the delay.</summary>
    private void Script()
    {
        static bool IsKernel(RecordedRequest r) => r.SystemPrompt.Contains("You are the kernel", StringComparison.Ordinal);
        static bool IsWorker(RecordedRequest r) => r.SystemPrompt.Contains("You are a process", StringComparison.Ordinal);
        static bool AfterTool(RecordedRequest r) => r.Messages.Count > 0 && r.Messages[^1].Role == "tool";
        Llm.Respond(r =>
        {
            var delay = Task.Delay(LlmDelay);
            if (IsKernel(r))
            {
                if (AfterTool(r) || r.LastUserText.Contains("[Worker callback]", StringComparison.Ordinal))
                {
                    return ScriptedTurn.Say("On it.").After(delay);
                }
                if (r.ToolNames.Contains("reply"))
                {
                    return ScriptedTurn.Call("reply", new { text = Reply }).After(delay);
                }
                return ScriptedTurn.Call("launch_process", new { system_prompt = $"The user asked the time. Say exactly: {Reply}", robots = new[] { "reachy-mini" } }).After(delay);
            }
            if (IsWorker(r))
            {
                return AfterTool(r) ? ScriptedTurn.Say("Said it.").After(delay) : ScriptedTurn.Call("speak", new { text = Reply }).After(delay);
            }
            return null;
        });
    }

    /// <summary>Says <paramref name="text"/> into the simulated microphone; returns when its audio ends (sim clock, UTC).</summary>
    public async Task<DateTimeOffset> SayAsync(string text, double azimuthDegrees = 90)
    {
        using var content = new StringContent(JsonSerializer.Serialize(new { text, azimuth_deg = azimuthDegrees }), Encoding.UTF8, "application/json");
        var asked = DateTimeOffset.UtcNow;
        using var response = await Http.PostAsync(new Uri(SimUrl, "sim/say"), content);
        response.EnsureSuccessStatusCode();
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return asked + TimeSpan.FromSeconds(body.RootElement.GetProperty("starts_in_s").GetDouble() + body.RootElement.GetProperty("duration_s").GetDouble());
    }

    /// <summary>The kernel's turns (newest first).</summary>
    public async Task<JsonElement[]> TurnsAsync(int limit = 50)
        => [.. (await GetJsonAsync(KernelUrl, $"api/turns?limit={limit}")).GetProperty("turns").EnumerateArray()];

    public async Task<JsonElement> GetJsonAsync(Uri baseUrl, string path)
    {
        ArgumentNullException.ThrowIfNull(baseUrl);
        var text = await Http.GetStringAsync(new Uri(baseUrl, path));
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    public async ValueTask DisposeAsync()
    {
        for (var i = _parts.Count - 1; i >= 0; i--)
        {
            await _parts[i].DisposeAsync();
        }
        await Llm.DisposeAsync();
        Http.Dispose();
    }
}
