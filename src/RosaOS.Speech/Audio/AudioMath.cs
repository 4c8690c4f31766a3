namespace RosaOS.Speech.Audio;

/// <summary>Mono audio as floats in [-1, 1] with its sample rate.</summary>
public sealed record AudioClip(float[] Samples, int SampleRate)
{
    /// <summary>Length in seconds.</summary>
    public double DurationSeconds => SampleRate > 0 ? (double)Samples.Length / SampleRate : 0;
}

/// <summary>Small sample-level helpers: resampling, down-mixing, loudness.</summary>
public static class AudioMath
{
    /// <summary>The rate every speech component works at (the daemon's microphone rate, Whisper's and Silero's input).</summary>
    public const int SpeechRate = 16_000;

    /// <summary>
    /// Resamples mono audio by band-limited (windowed-sinc) interpolation; when downsampling, the kernel is widened so
    /// the input is low-passed below the new Nyquist frequency and nothing aliases into the speech band.
    /// </summary>
    public static float[] Resample(ReadOnlySpan<float> input, int fromRate, int toRate)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(fromRate);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(toRate);
        if (fromRate == toRate || input.IsEmpty)
        {
            return input.ToArray();
        }
        const int HalfTaps = 16;
        var ratio = (double)toRate / fromRate;
        var cutoff = Math.Min(1.0, ratio);
        var halfWidth = HalfTaps / cutoff;
        var outLength = (int)Math.Round(input.Length * ratio);
        var output = new float[outLength];
        for (var i = 0; i < outLength; i++)
        {
            var center = i / ratio;
            var first = (int)Math.Ceiling(center - halfWidth);
            var last = (int)Math.Floor(center + halfWidth);
            double sum = 0, weights = 0;
            for (var j = Math.Max(first, 0); j <= Math.Min(last, input.Length - 1); j++)
            {
                var x = j - center;
                var sinc = x == 0 ? 1.0 : Math.Sin(Math.PI * x * cutoff) / (Math.PI * x * cutoff);
                var window = 0.5 + (0.5 * Math.Cos(Math.PI * x / halfWidth)); // Hann
                var w = sinc * window;
                sum += input[j] * w;
                weights += w;
            }
            output[i] = weights == 0 ? 0f : (float)(sum / weights);
        }
        return output;
    }

    /// <summary>A decoded WAV as 16 kHz mono: channels averaged, then band-limited resampling (not linear, which aliases).</summary>
    public static float[] ToSpeechRate(WavAudio audio)
    {
        ArgumentNullException.ThrowIfNull(audio);
        return Resample(DownmixInterleaved(audio.Samples, audio.Channels), audio.SampleRate, SpeechRate);
    }

    /// <summary>A 16-bit mono WAV of the samples, NaN as silence and values clipped to [-1, 1].</summary>
    public static byte[] ToPcm16Wav(ReadOnlySpan<float> samples, int sampleRate)
    {
        var clean = new float[samples.Length];
        for (var i = 0; i < clean.Length; i++)
        {
            clean[i] = float.IsNaN(samples[i]) ? 0f : Math.Clamp(samples[i], -1f, 1f);
        }
        return WavAudio.FromSamples(clean, sampleRate, 1).ToWav();
    }

    /// <summary>Averages interleaved channels into mono.</summary>
    public static float[] DownmixInterleaved(ReadOnlySpan<float> interleaved, int channels)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(channels);
        if (channels == 1)
        {
            return interleaved.ToArray();
        }
        var mono = new float[interleaved.Length / channels];
        for (var f = 0; f < mono.Length; f++)
        {
            var sum = 0f;
            for (var c = 0; c < channels; c++)
            {
                sum += interleaved[(f * channels) + c];
            }
            mono[f] = sum / channels;
        }
        return mono;
    }

    /// <summary>Root mean square of the samples (0 for none); NaN samples count as silence.</summary>
    public static double Rms(ReadOnlySpan<float> samples)
    {
        if (samples.IsEmpty)
        {
            return 0;
        }
        double sum = 0;
        foreach (var s in samples)
        {
            if (!float.IsNaN(s))
            {
                sum += (double)s * s;
            }
        }
        return Math.Sqrt(sum / samples.Length);
    }
}
