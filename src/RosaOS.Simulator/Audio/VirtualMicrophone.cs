using System.Diagnostics;
using Microsoft.Extensions.Logging;
using RosaOS.ReachyMini.Protocol;
using RosaOS.Speech.Audio;

namespace RosaOS.Simulator.Audio;

/// <summary>
/// The simulated robot's microphone array: one timeline at 16 kHz shared by every listener, faint noise everywhere
/// (as a real room and preamp), and speech clips placed on it by <c>POST /sim/say</c>, each heard from an azimuth.
/// Listeners read any span of the timeline they reach in real time; the direction of arrival is the azimuth of
/// the clip sounding now, and null in silence (as the daemon reports without a reading).
/// </summary>
public sealed partial class VirtualMicrophone(ILogger<VirtualMicrophone> logger)
{
    /// <summary>Silence kept before a clip so listeners hear a clean onset.</summary>
    public static readonly TimeSpan Lead = TimeSpan.FromSeconds(0.3);

    /// <summary>Noise floor RMS (about −60 dBFS): low enough for any VAD, never digital silence.</summary>
    public const float NoiseRms = 0.001f;

    /// <summary>Longest clip accepted (the daemon's mic buffers are not endless either).</summary>
    public static readonly TimeSpan MaxClip = TimeSpan.FromSeconds(30);

    private const int NoiseLength = 1 << 16;
    private static readonly float[] s_noise = MakeNoise();
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly Lock _gate = new();
    private readonly List<Clip> _clips = [];

    /// <summary>A clip on the timeline: samples from <see cref="Start"/> (in samples since the microphone started).</summary>
    public sealed record Clip(long Start, float[] Samples, double AzimuthDeg, string? Text)
    {
        /// <summary>First sample after the clip.</summary>
        public long End => Start + Samples.Length;
    }

    /// <summary>The sample index of "now".</summary>
    public long Now => (long)(_clock.Elapsed.TotalSeconds * AudioMath.SpeechRate);

    /// <summary>
    /// Places <paramref name="samples"/> (16 kHz mono) on the timeline after <see cref="Lead"/> of silence and after any
    /// clip still to come, so overlapping requests are heard one after the other.
    /// </summary>
    public Clip Say(float[] samples, double azimuthDeg, string? text)
    {
        ArgumentNullException.ThrowIfNull(samples);
        lock (_gate)
        {
            var start = Now + (long)(Lead.TotalSeconds * AudioMath.SpeechRate);
            if (_clips.Count > 0)
            {
                start = Math.Max(start, _clips[^1].End + (long)(Lead.TotalSeconds * AudioMath.SpeechRate));
            }
            // Forget clips long past so the list stays short.
            _clips.RemoveAll(c => c.End < Now - (10 * AudioMath.SpeechRate));
            var clip = new Clip(start, samples, azimuthDeg, text);
            _clips.Add(clip);
            LogSay(logger, text ?? "(audio)", azimuthDeg, (start - Now) / (double)AudioMath.SpeechRate, samples.Length / (double)AudioMath.SpeechRate);
            return clip;
        }
    }

    /// <summary>Writes the timeline from sample <paramref name="from"/> into <paramref name="destination"/> (mono).</summary>
    public void Render(long from, Span<float> destination)
    {
        for (var i = 0; i < destination.Length; i++)
        {
            destination[i] = s_noise[(int)((from + i) & (NoiseLength - 1))];
        }
        lock (_gate)
        {
            foreach (var clip in _clips)
            {
                var start = Math.Max(clip.Start, from);
                var end = Math.Min(clip.End, from + destination.Length);
                for (var t = start; t < end; t++)
                {
                    destination[(int)(t - from)] += clip.Samples[t - clip.Start];
                }
            }
        }
    }

    /// <summary>The direction of the speech sounding now, in the daemon's convention (radians: 0 left, π/2 front, π right), or null.</summary>
    public DoaInfo? DirectionOfArrival()
    {
        var now = Now;
        lock (_gate)
        {
            var clip = _clips.FirstOrDefault(c => c.Start <= now && now < c.End);
            return clip is null ? null : new DoaInfo { Angle = clip.AzimuthDeg * Math.PI / 180, SpeechDetected = true };
        }
    }

    private static float[] MakeNoise()
    {
        var random = new Random(20261124);
        var noise = new float[NoiseLength];
        for (var i = 0; i < noise.Length; i++)
        {
            // Sum of three uniforms in [-1, 1] has unit variance: close to Gaussian.
            noise[i] = NoiseRms * (float)((random.NextDouble() * 2) - 1 + (random.NextDouble() * 2) - 1 + (random.NextDouble() * 2) - 1);
        }
        return noise;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Virtual microphone: \"{Text}\" from azimuth {Azimuth}° in {StartsIn:0.00} s for {Duration:0.00} s.")]
    private static partial void LogSay(ILogger logger, string text, double azimuth, double startsIn, double duration);
}
