using System.Buffers.Binary;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using RosaOS.Speech.Input;
using RosaOS.Testing;

namespace RosaOS.Speech.Tests.Input;

public sealed class AudioSourceTests
{
    [Fact]
    public async Task PortAudio_without_the_robot_board_says_which_device_is_missing()
    {
        // This machine has no sound card: the real binding must load libportaudio, enumerate, and refuse clearly.
        var devices = RosaOS.Speech.PortAudio.PortAudioDevices.List();
        Assert.DoesNotContain(devices, d => d.Name.Contains("Reachy Mini Audio", StringComparison.OrdinalIgnoreCase));
        var source = new PortAudioSource();
        var ex = await Assert.ThrowsAsync<AudioSourceException>(async () =>
        {
            await foreach (var _ in source.CaptureAsync(TestContext.Current.CancellationToken))
            {
            }
        });
        Assert.Contains("No input audio device named like 'Reachy Mini Audio'", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Http_microphone_mixes_the_daemon_format_to_mono_and_reports_a_closed_stream()
    {
        // Stereo float32 frames: left 0.5, right -0.1 → mono 0.2; 0.25 s then the stream ends.
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls(LoopbackPort.Url);
        builder.Logging.ClearProviders();
        await using var app = builder.Build();
        app.MapGet(HttpMicrophoneSource.StreamPath, async (HttpContext ctx) =>
        {
            ctx.Response.Headers["X-Sample-Rate"] = "16000";
            ctx.Response.Headers["X-Channels"] = "2";
            var bytes = new byte[4000 * 8];
            for (var i = 0; i < 4000; i++)
            {
                BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(i * 8), 0.5f);
                BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan((i * 8) + 4), -0.1f);
            }
            await ctx.Response.Body.WriteAsync(bytes);
        });
        await app.StartAsync(TestContext.Current.CancellationToken);
        var port = LoopbackPort.Of(app);
        using var http = new HttpClient();
        var source = new HttpMicrophoneSource(http, new Uri($"http://127.0.0.1:{port}"));
        var blocks = new List<float[]>();
        var ex = await Assert.ThrowsAsync<AudioSourceException>(async () =>
        {
            await foreach (var block in source.CaptureAsync(TestContext.Current.CancellationToken))
            {
                blocks.Add(block);
            }
        });
        Assert.Contains("closed the stream", ex.Message, StringComparison.Ordinal);
        Assert.Equal(2, blocks.Count);
        Assert.All(blocks, b => Assert.All(b, s => Assert.Equal(0.2f, s, 1e-6f)));

        var nowhere = new HttpMicrophoneSource(http, new Uri($"http://127.0.0.1:{FreePort.Next()}"));
        var unreachable = await Assert.ThrowsAsync<AudioSourceException>(async () =>
        {
            await foreach (var _ in nowhere.CaptureAsync(TestContext.Current.CancellationToken))
            {
            }
        });
        Assert.Contains("unreachable", unreachable.Message, StringComparison.Ordinal);
    }
}
