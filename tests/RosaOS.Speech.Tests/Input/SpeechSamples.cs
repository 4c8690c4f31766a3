using System.Diagnostics;
using System.Collections.Concurrent;
using RosaOS.Speech.Audio;

namespace RosaOS.Speech.Tests.Input;

/// <summary>Real speech rendered by espeak-ng at test time, plus silence and noise, all 16 kHz mono.</summary>
internal static class SpeechSamples
{
    private static readonly ConcurrentDictionary<string, float[]> s_cache = new();

    public static float[] Say(string text) => s_cache.GetOrAdd(text, Render);

    public static float[] Silence(double seconds) => new float[(int)(seconds * AudioMath.SpeechRate)];

    /// <summary>Gaussian-ish white noise of the given RMS, seeded so runs repeat.</summary>
    public static float[] Noise(double seconds, double rms, int seed = 7)
    {
        var random = new Random(seed);
        var samples = new float[(int)(seconds * AudioMath.SpeechRate)];
        for (var i = 0; i < samples.Length; i++)
        {
            // Sum of 3 uniforms has variance 3 * (1/3) = 1 for uniforms in [-1, 1].
            var g = (random.NextDouble() * 2 - 1) + (random.NextDouble() * 2 - 1) + (random.NextDouble() * 2 - 1);
            samples[i] = (float)(g * rms);
        }
        return samples;
    }

    public static float[] Concat(params float[][] parts) => parts.SelectMany(p => p).ToArray();

    public static float[] Add(float[] a, float[] b) => a.Select((x, i) => x + (i < b.Length ? b[i] : 0)).ToArray();

    private static float[] Render(string text)
    {
        var path = Path.Combine(Path.GetTempPath(), $"rosa-say-{Guid.NewGuid():N}.wav");
        try
        {
            var start = new ProcessStartInfo("espeak-ng") { RedirectStandardError = true, RedirectStandardOutput = true };
            foreach (var arg in new[] { "-v", "en-us", "-s", "140", "-w", path, text })
            {
                start.ArgumentList.Add(arg);
            }
            using var process = Process.Start(start)!;
            process.WaitForExit(30_000);
            Assert.Equal(0, process.ExitCode);
            return AudioMath.ToSpeechRate(WavAudio.Parse(File.ReadAllBytes(path)));
        }
        finally
        {
            File.Delete(path);
        }
    }
}
