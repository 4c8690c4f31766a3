using System.Buffers.Binary;
using System.Globalization;
using System.Runtime.CompilerServices;
using RosaOS.Speech.Audio;

namespace RosaOS.Speech.Input;

/// <summary>
/// Reads the simulated robot's virtual microphone: <c>GET {daemon}/sim/microphone/stream</c>, an endless response of
/// interleaved little-endian float32 frames (the daemon's format: 16 kHz, 2 channels, announced in the
/// <c>X-Sample-Rate</c> and <c>X-Channels</c> headers), paced in real time from the moment of the request.
/// </summary>
public sealed class HttpMicrophoneSource : IAudioSource
{
    /// <summary>The simulation-only route of <c>rosa sim</c> that streams the virtual microphone.</summary>
    public const string StreamPath = "/sim/microphone/stream";

    private const int BlockFrames = 1600; // 0.1 s at 16 kHz
    private readonly HttpClient _http;
    private readonly Uri _url;

    /// <summary>A source reading <paramref name="daemonUrl"/> + <see cref="StreamPath"/> with <paramref name="http"/> (no timeout: the stream is endless).</summary>
    public HttpMicrophoneSource(HttpClient http, Uri daemonUrl)
    {
        ArgumentNullException.ThrowIfNull(http);
        ArgumentNullException.ThrowIfNull(daemonUrl);
        _http = http;
        _url = new Uri(daemonUrl, StreamPath);
    }

    /// <inheritdoc />
    public string Description => $"virtual microphone {_url}";

    /// <inheritdoc />
    public async IAsyncEnumerable<float[]> CaptureAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        HttpResponseMessage response;
        try
        {
            response = await _http.GetAsync(_url, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        }
        catch (HttpRequestException ex)
        {
            throw new AudioSourceException($"The virtual microphone at {_url} is unreachable: {ex.Message}", ex);
        }
        using (response)
        {
            if (!response.IsSuccessStatusCode)
            {
                throw new AudioSourceException($"The virtual microphone at {_url} answered {(int)response.StatusCode}.");
            }
            var rate = Header(response, "X-Sample-Rate", AudioMath.SpeechRate);
            var channels = Header(response, "X-Channels", 2);
            if (channels is < 1 or > 16 || rate is < 1000 or > 384_000)
            {
                throw new AudioSourceException($"The virtual microphone announced an unusable format ({rate} Hz, {channels} channels).");
            }
            var stream = await response.Content.ReadAsStreamAsync(cancellationToken);
            await using (stream)
            {
                var frameBytes = 4 * channels;
                var block = new byte[BlockFrames * frameBytes];
                while (!cancellationToken.IsCancellationRequested)
                {
                    int filled;
                    try
                    {
                        filled = await stream.ReadAtLeastAsync(block, block.Length, throwOnEndOfStream: false, cancellationToken);
                    }
                    catch (Exception ex) when (ex is IOException or HttpRequestException)
                    {
                        throw new AudioSourceException($"Lost the virtual microphone at {_url}: {ex.Message}", ex);
                    }
                    if (filled < block.Length)
                    {
                        throw new AudioSourceException($"The virtual microphone at {_url} closed the stream.");
                    }
                    var interleaved = new float[BlockFrames * channels];
                    for (var i = 0; i < interleaved.Length; i++)
                    {
                        interleaved[i] = BinaryPrimitives.ReadSingleLittleEndian(block.AsSpan(i * 4));
                    }
                    var mono = AudioMath.DownmixInterleaved(interleaved, channels);
                    yield return rate == AudioMath.SpeechRate ? mono : AudioMath.Resample(mono, rate, AudioMath.SpeechRate);
                }
            }
        }
    }

    private static int Header(HttpResponseMessage response, string name, int fallback)
        => response.Headers.TryGetValues(name, out var values)
           && int.TryParse(values.FirstOrDefault(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var value)
            ? value : fallback;
}
