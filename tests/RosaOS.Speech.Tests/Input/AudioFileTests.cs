using RosaOS.Speech.Audio;

namespace RosaOS.Speech.Tests.Input;

public sealed class AudioFileTests
{
    [Fact]
    public void Pcm16_round_trip_keeps_rate_length_and_values()
    {
        var samples = Enumerable.Range(0, 1600).Select(i => (float)Math.Sin(i * 0.05) * 0.5f).ToArray();
        var wav = AudioMath.ToPcm16Wav(samples, 16000);
        Assert.Equal(44 + 3200, wav.Length);
        var clip = WavAudio.Parse(wav);
        Assert.Equal(16000, clip.SampleRate);
        Assert.Equal(1600, clip.Samples.Length);
        Assert.All(samples.Zip(clip.Samples), p => Assert.InRange(p.First - p.Second, -1e-4, 1e-4));
    }

    [Fact]
    public void Out_of_range_and_nan_samples_are_clipped_not_wrapped()
    {
        var clip = WavAudio.Parse(AudioMath.ToPcm16Wav([2f, -3f, float.NaN, float.PositiveInfinity], 16000));
        Assert.Equal([32767 / 32768f, -32767 / 32768f, 0f, 32767 / 32768f], clip.Samples);
    }

    [Fact]
    public void Garbage_is_rejected_with_a_reason()
    {
        Assert.Throws<InvalidDataException>(() => WavAudio.Parse("not a wav file at all"u8));
        Assert.Throws<InvalidDataException>(() => WavAudio.Parse([]));
        var truncated = AudioMath.ToPcm16Wav(new float[10], 16000)[..30];
        Assert.Throws<InvalidDataException>(() => WavAudio.Parse(truncated));
    }

    [Fact]
    public void Espeak_output_reads_and_resamples_to_16k_with_the_same_duration()
    {
        var speech = SpeechSamples.Say("hello");
        Assert.InRange(speech.Length / 16000.0, 0.3, 1.5);
        Assert.InRange(AudioMath.Rms(speech), 0.02, 0.5);
    }

    [Fact]
    public void Resampling_keeps_a_tone_at_its_frequency_and_removes_what_would_alias()
    {
        const int From = 22050;
        var tone = Enumerable.Range(0, From).Select(i => (float)Math.Sin(2 * Math.PI * 440 * i / From)).ToArray();
        var down = AudioMath.Resample(tone, From, 16000);
        Assert.Equal(16000, down.Length);
        // Count zero crossings: 440 Hz for one second = 880.
        var crossings = down.Zip(down.Skip(1)).Count(p => Math.Sign(p.First) != Math.Sign(p.Second));
        Assert.InRange(crossings, 875, 885);
        Assert.InRange(AudioMath.Rms(down.AsSpan(1000, 14000)), 0.69, 0.72);

        // 10 kHz is above the new Nyquist (8 kHz): it must be filtered out, not folded to 6 kHz.
        var high = Enumerable.Range(0, From).Select(i => (float)Math.Sin(2 * Math.PI * 10_000 * i / From)).ToArray();
        Assert.True(AudioMath.Rms(AudioMath.Resample(high, From, 16000).AsSpan(1000, 14000)) < 0.05);
    }

    [Fact]
    public void Downmix_averages_channels()
    {
        Assert.Equal([0.5f, -0.25f], AudioMath.DownmixInterleaved([1f, 0f, -0.5f, 0f], 2));
    }
}
