using System.Globalization;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Routing;
using RosaOS.Simulator.Audio;
using RosaOS.Simulator.Robot;

namespace RosaOS.Simulator.Api;

/// <summary>Simulation-only routes: the virtual speaker (<c>/sim/speaker*</c>) and the move log (<c>/sim/moves</c>).</summary>
internal static class SimSpeakerEndpoints
{
    /// <summary>Largest WAV accepted (50 MB).</summary>
    public const long MaxWavBytes = 50L * 1024 * 1024;

    /// <summary>WAV uploads read at once, at most (each up to <see cref="MaxWavBytes"/> in memory).</summary>
    public const int MaxConcurrentUploads = 3;

    private static readonly SemaphoreSlim s_uploads = new(MaxConcurrentUploads, MaxConcurrentUploads);

    public static void Map(IEndpointRouteBuilder app)
    {
        app.MapPost("/sim/speaker", PlayAsync);
        app.MapPost("/sim/speaker/stop", (VirtualSpeaker speaker) => ApiJson.Node(new JsonObject { ["stopped"] = speaker.Stop() }));
        app.MapGet("/sim/speaker/log", (HttpContext context, VirtualSpeaker speaker) =>
        {
            long since = 0;
            if (context.Request.Query.TryGetValue("since", out var s)
                && !long.TryParse(s[^1], NumberStyles.Integer, CultureInfo.InvariantCulture, out since))
            {
                var errors = new FieldErrors();
                errors.Add("int_parsing", ["query", "since"], "Input should be a valid integer, unable to parse string as an integer", s[^1]);
                return errors.ToResult();
            }
            return ApiJson.Ok(speaker.Log(since).ToList());
        });
        app.MapGet("/sim/moves", (RobotCore robot) => ApiJson.Ok(robot.MoveLog().ToList()));
        app.MapGet("/sim/loop", (RobotCore robot) =>
        {
            var (count, p50, p99, max, jitter50, jitter99) = robot.ControlPeriodStats();
            return ApiJson.Node(new JsonObject
            {
                ["period_ms_target"] = 20.0,
                ["samples"] = count,
                ["p50_ms"] = Math.Round(p50, 3),
                ["p99_ms"] = Math.Round(p99, 3),
                ["max_ms"] = Math.Round(max, 3),
                ["jitter_p50_ms"] = Math.Round(jitter50, 3),
                ["jitter_p99_ms"] = Math.Round(jitter99, 3),
                ["ik_failures"] = robot.IkFailures,
                ["tick"] = robot.Snapshot.Tick,
            });
        });
    }

    private static async Task<IResult> PlayAsync(HttpContext context, VirtualSpeaker speaker)
    {
        var errors = new FieldErrors();
        var wait = ApiJson.QueryBool(context.Request, "wait", errors) ?? true;
        if (errors.Any)
        {
            return errors.ToResult();
        }
        string? text = context.Request.Query.TryGetValue("text", out var t) ? t[^1] : null;
        if (context.Request.ContentLength > MaxWavBytes)
        {
            return ApiJson.Detail(413, $"Audio too large: at most {MaxWavBytes} bytes.");
        }
        var contentType = context.Request.ContentType;
        if (contentType is not null && !contentType.StartsWith("audio/", StringComparison.OrdinalIgnoreCase)
            && !contentType.StartsWith("application/octet-stream", StringComparison.OrdinalIgnoreCase))
        {
            return ApiJson.Detail(415, $"Unsupported content type '{contentType}': post a WAV file (audio/wav).");
        }
        var sizeFeature = context.Features.Get<IHttpMaxRequestBodySizeFeature>();
        if (sizeFeature is { IsReadOnly: false })
        {
            sizeFeature.MaxRequestBodySize = MaxWavBytes + 1;
        }
        // Each upload is held in memory while it is read: a few at a time bound the memory a flood of uploads can take.
        if (!await s_uploads.WaitAsync(TimeSpan.FromSeconds(10), context.RequestAborted))
        {
            return ApiJson.Detail(429, $"{MaxConcurrentUploads} uploads are being read already; try again shortly.");
        }
        try
        {
            return await ReadAndPlayAsync(context, speaker, text, wait);
        }
        finally
        {
            s_uploads.Release();
        }
    }

    private static async Task<IResult> ReadAndPlayAsync(HttpContext context, VirtualSpeaker speaker, string? text, bool wait)
    {
        using var buffer = new MemoryStream();
        var chunk = new byte[65536];
        int read;
        while ((read = await context.Request.Body.ReadAsync(chunk, context.RequestAborted)) > 0)
        {
            if (buffer.Length + read > MaxWavBytes)
            {
                return ApiJson.Detail(413, $"Audio too large: at most {MaxWavBytes} bytes.");
            }
            buffer.Write(chunk, 0, read);
        }
        WavInfo info;
        try
        {
            info = WavInfo.Parse(buffer.GetBuffer().AsSpan(0, (int)buffer.Length));
        }
        catch (InvalidDataException ex)
        {
            return ApiJson.Detail(400, ex.Message);
        }
        var (id, played) = speaker.Enqueue("wav", text, null, info.DurationS, info.SampleRate, info.Channels, info.BitsPerSample, info.Format, buffer.Length);
        if (!wait)
        {
            return ApiJson.Ok(new ReachyMini.Protocol.SpeakerLogEntry
            {
                Id = id,
                Text = text,
                Source = "wav",
                DurationS = info.DurationS,
                SampleRate = info.SampleRate,
                Channels = info.Channels,
                BitsPerSample = info.BitsPerSample,
                Format = info.Format,
                Bytes = buffer.Length,
                StartedAt = DateTimeOffset.UtcNow,
            }, 202);
        }
        var entry = await played.WaitAsync(context.RequestAborted);
        return ApiJson.Ok(entry);
    }
}
