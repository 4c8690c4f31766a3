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
/// <see cref="LlmDelay"/>. Started by <see cref="TestStack"/> on port 0. Used by the voice tests and bench/voice.
/// </summary>
public sealed class VoiceStack : IAsyncDisposable
{
    /// <summary>What the worker says (one sentence).</summary>
    public const string Reply = "It is twelve o'clock.";

    private TestStack _stack = null!;

    private VoiceStack()
    {
    }

    /// <summary>The scripted LLM (and Whisper at /openai/v1/audio/transcriptions).</summary>
    public ScriptedLlmServer Llm => _stack.Llm!;

    public Uri SimUrl => new(_stack.SimUrl + "/");

    public Uri ReachyUrl => new(_stack.ReachyUrl + "/");

    public Uri KernelUrl => new(_stack.KernelUrl + "/");

    public RosaProcess Kernel => _stack.Kernel!;

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
        var stack = new VoiceStack { LlmDelay = llmDelay };
        // Sim, reachy (its speech loop calls the kernel's /stt, so the stack picks the kernel's port ahead), then the kernel with its pool.
        stack._stack = await TestStack.StartAsync(new TestStackOptions
        {
            ConfigureLlm = (app, _) => app.MapPost("/openai/v1/audio/transcriptions", async (HttpContext context) =>
            {
                // Drain the upload like the real service, then answer the standing transcript.
                await context.Request.ReadFormAsync(context.RequestAborted);
                Interlocked.Increment(ref stack._transcriptions);
                await context.Response.WriteAsJsonAsync(new { text = stack.Transcript, x_groq = new { id = "req_voice" } }, context.RequestAborted);
            }),
            Sim = new SimPart { WaitAwake = true },
            Reachy = new ReachyPart
            {
                Llm = true,
                SpeechToKernel = true,
                WaitCapturing = true,
                Arguments = ["--wake-word", "hello", .. reachyArgs],
                Environment = new Dictionary<string, string?> { ["TTS_ENGINE"] = "espeak" },
            },
            Kernel = new KernelPart { Llm = true, PoolWorkers = 2, Arguments = kernelArgs },
        });
        try
        {
            // Launches fall back blindly until the kernel has probed Reachy (at start, then every 3 s).
            await Poll.UntilAsync(async () => (await stack.GetJsonAsync(stack.KernelUrl, "health")).GetProperty("drivers").EnumerateArray()
                .Any(d => d.GetProperty("name").GetString() == "reachy-mini" && d.GetProperty("reachable").GetBoolean()), "the kernel reaching rosa reachy");
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
            // The scripted LLM's deliberate latency (a turn's measured time includes it), not a wait for state.
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
        if (_stack is not null)
        {
            await _stack.DisposeAsync();
        }
        Http.Dispose();
    }
}
