using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using RosaOS.ReachyMini.Client;
using RosaOS.Speech.Audio;

namespace RosaOS.Speech.Playback;

/// <summary>
/// Plays through the daemon's media routes (real robot without a local audio device): the WAV is uploaded
/// with <c>POST /api/media/sounds/upload</c>, played with <c>POST /api/media/play_sound</c>, and stopped
/// with <c>POST /api/media/stop_sound</c>. The daemon does not report the end of a sound, so the sink
/// waits for the sound's length.
/// </summary>
public sealed class DaemonSoundSink : IAudioSink, IDisposable
{
    private readonly IReachyDaemon _daemon;
    private readonly HttpClient _http;

    /// <summary>Plays through <paramref name="daemon"/>.</summary>
    public DaemonSoundSink(IReachyDaemon daemon)
    {
        ArgumentNullException.ThrowIfNull(daemon);
        _daemon = daemon;
        _http = new HttpClient { BaseAddress = daemon.BaseAddress, Timeout = TimeSpan.FromSeconds(15) };
    }

    /// <inheritdoc/>
    public string Name => "daemon";

    /// <inheritdoc/>
    public async Task PlayAsync(WavAudio audio, string? text, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(audio);
        using var form = new MultipartFormDataContent();
        var file = new ByteArrayContent(audio.ToWav());
        file.Headers.ContentType = new MediaTypeHeaderValue("audio/wav");
        form.Add(file, "file", $"rosa-speech-{Guid.NewGuid():N}.wav");
        using var response = await _http.PostAsync(new Uri("/api/media/sounds/upload", UriKind.Relative), form, cancellationToken);
        var body = await response.Content.ReadAsStringAsync(cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            throw new ReachyDaemonException("POST /api/media/sounds/upload", DaemonFailure.HttpStatus, $"HTTP {(int)response.StatusCode}: {body}", (int)response.StatusCode);
        }
        var path = JsonNode.Parse(body)?["path"]?.GetValue<string>()
            ?? throw new ReachyDaemonException("POST /api/media/sounds/upload", DaemonFailure.InvalidResponse, "no 'path' in the answer");
        await _daemon.PlaySoundAsync(path, cancellationToken);
        try
        {
            await Task.Delay(audio.Duration, cancellationToken);
        }
        catch (OperationCanceledException)
        {
            using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(3));
            try
            {
                await _daemon.StopSoundAsync(stop.Token);
            }
            catch (Exception e) when (e is ReachyDaemonException or OperationCanceledException)
            {
            }
            throw;
        }
    }

    /// <inheritdoc/>
    public void Dispose() => _http.Dispose();
}
