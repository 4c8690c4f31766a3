using System.Buffers.Binary;
using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using RosaOS.Simulator.Audio;
using RosaOS.Speech.Audio;

namespace RosaOS.Simulator.Api;

/// <summary>
/// Simulation-only microphone routes: <c>POST /sim/say</c> (espeak-ng speech into the virtual microphone from an
/// azimuth) and <c>GET /sim/microphone/stream</c> (the microphone in the daemon's format: 16 kHz, 2 channels,
/// float32 little-endian interleaved, real time, endless).
/// </summary>
internal static class SimMicrophoneEndpoints
{
    /// <summary>Longest text accepted by /sim/say.</summary>
    public const int MaxTextLength = 1000;

    /// <summary>espeak-ng processes running at once, at most.</summary>
    public const int MaxSynthesisProcesses = 2;

    private static readonly TimeSpan SynthesisQueueWait = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan SynthesisTimeout = TimeSpan.FromSeconds(30);
    private static readonly SemaphoreSlim s_synthesis = new(MaxSynthesisProcesses, MaxSynthesisProcesses);

    public static void Map(IEndpointRouteBuilder app)
    {
        app.MapPost("/sim/say", SayAsync);
        app.MapGet("/sim/microphone/stream", StreamAsync);
    }

    private static async Task<IResult> SayAsync(HttpContext context, VirtualMicrophone microphone)
    {
        var (body, error) = await ApiJson.ReadBodyAsync(context.Request, context.RequestAborted);
        if (error is not null)
        {
            return error;
        }
        var errors = new FieldErrors();
        if (errors.Object(body, ["body"]) is not { } obj)
        {
            return errors.ToResult();
        }
        string? text = null;
        if (!obj.TryGetPropertyValue("text", out var textNode) || textNode is null)
        {
            errors.Add("missing", ["body", "text"], "Field required", null);
        }
        else if (textNode.GetValueKind() != JsonValueKind.String)
        {
            errors.Add("string_type", ["body", "text"], "Input should be a valid string", textNode);
        }
        else
        {
            text = textNode.GetValue<string>().Trim();
            if (text.Length == 0 || text.Length > MaxTextLength)
            {
                errors.Add("string_length", ["body", "text"], $"Text should have 1 to {MaxTextLength} characters", textNode);
            }
        }
        var azimuth = errors.Bounded(obj, "azimuth_deg", ["body"], 90, 0, 360,
            "azimuth_deg (degrees in the daemon's DoA convention: 0 = left, 90 = front, 180 = right)");
        if (errors.Any)
        {
            return errors.ToResult();
        }
        float[] samples;
        // At most MaxSynthesisProcesses espeak-ng at a time: a flood of /sim/say waits its turn (briefly) or is told to come back.
        if (!await s_synthesis.WaitAsync(SynthesisQueueWait, context.RequestAborted))
        {
            return ApiJson.Detail(429, $"{MaxSynthesisProcesses} utterances are being synthesized already; try again shortly.");
        }
        try
        {
            samples = await RenderAsync(text!, context.RequestAborted);
        }
        catch (InvalidOperationException ex)
        {
            return ApiJson.Detail(503, ex.Message);
        }
        finally
        {
            s_synthesis.Release();
        }
        if (samples.Length > VirtualMicrophone.MaxClip.TotalSeconds * AudioMath.SpeechRate)
        {
            return ApiJson.Detail(413, $"The speech is longer than {VirtualMicrophone.MaxClip.TotalSeconds} s; say less at a time.");
        }
        var clip = microphone.Say(samples, azimuth, text);
        return ApiJson.Node(new JsonObject
        {
            ["text"] = text,
            ["azimuth_deg"] = azimuth,
            ["starts_in_s"] = Math.Round(Math.Max(0, clip.Start - microphone.Now) / (double)AudioMath.SpeechRate, 3),
            ["duration_s"] = Math.Round(samples.Length / (double)AudioMath.SpeechRate, 3),
        });
    }

    private static async Task StreamAsync(HttpContext context, VirtualMicrophone microphone)
    {
        context.Response.ContentType = "application/octet-stream";
        context.Response.Headers["X-Sample-Rate"] = "16000";
        context.Response.Headers["X-Channels"] = "2";
        context.Response.Headers["X-Sample-Format"] = "f32le";
        context.Response.Headers.CacheControl = "no-store";
        var cursor = microphone.Now;
        var mono = new float[AudioMath.SpeechRate];
        var bytes = new byte[mono.Length * 8];
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(20));
        try
        {
            await context.Response.StartAsync(context.RequestAborted);
            while (await timer.WaitForNextTickAsync(context.RequestAborted))
            {
                // Everything up to now, at most one second per write (a stalled reader catches up, no more).
                var count = (int)Math.Clamp(microphone.Now - cursor, 0, mono.Length);
                if (count == 0)
                {
                    continue;
                }
                microphone.Render(cursor, mono.AsSpan(0, count));
                for (var i = 0; i < count; i++)
                {
                    BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(i * 8), mono[i]);
                    BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan((i * 8) + 4), mono[i]);
                }
                cursor += count;
                await context.Response.Body.WriteAsync(bytes.AsMemory(0, count * 8), context.RequestAborted);
                await context.Response.Body.FlushAsync(context.RequestAborted);
            }
        }
        catch (OperationCanceledException)
        {
            // The listener went away.
        }
        catch (IOException)
        {
            // The connection dropped mid-write.
        }
    }

    /// <summary>espeak-ng's voice as 16 kHz mono.</summary>
    private static async Task<float[]> RenderAsync(string text, CancellationToken cancellationToken)
    {
        var path = Path.Combine(Path.GetTempPath(), $"rosa-sim-say-{Guid.NewGuid():N}.wav");
        try
        {
            var start = new ProcessStartInfo("espeak-ng") { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
            foreach (var arg in new[] { "-v", "en-us", "-s", "140", "-w", path, "--", text })
            {
                start.ArgumentList.Add(arg);
            }
            Process process;
            try
            {
                process = Process.Start(start) ?? throw new InvalidOperationException("espeak-ng did not start.");
            }
            catch (System.ComponentModel.Win32Exception ex)
            {
                throw new InvalidOperationException("espeak-ng is not installed (apt-get install espeak-ng).", ex);
            }
            using (process)
            using (var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
            {
                deadline.CancelAfter(SynthesisTimeout);
                var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
                try
                {
                    await process.WaitForExitAsync(deadline.Token);
                }
                catch (OperationCanceledException)
                {
                    // The caller went away (or espeak-ng hangs): the process does not outlive the request.
                    process.Kill(entireProcessTree: true);
                    if (cancellationToken.IsCancellationRequested)
                    {
                        throw;
                    }
                    throw new InvalidOperationException($"espeak-ng took longer than {SynthesisTimeout.TotalSeconds} s.");
                }
                if (process.ExitCode != 0)
                {
                    throw new InvalidOperationException($"espeak-ng failed: {(await stderr).Trim()}");
                }
            }
            return AudioMath.ToSpeechRate(WavAudio.Parse(await File.ReadAllBytesAsync(path, cancellationToken)));
        }
        finally
        {
            File.Delete(path);
        }
    }
}
