using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.ML.OnnxRuntime;
using RosaOS.Speech.Input;
using RosaOS.Testing;

namespace RosaOS.Speech.Tests.Input;

public sealed class VoiceActivityTests
{
    internal static string ModelPath => SileroVoiceActivityDetector.DefaultModelPath(TestPaths.ToolsDir);

    private static int SpeechChunks(IVoiceActivityDetector vad, float[] audio)
    {
        var chunk = 4800;
        var count = 0;
        for (var i = 0; i + chunk <= audio.Length; i += chunk)
        {
            count += vad.IsSpeech(audio.AsSpan(i, chunk)) ? 1 : 0;
        }
        return count;
    }

    [Fact]
    public void Silero_model_has_the_inputs_and_outputs_the_detector_feeds()
    {
        Assert.True(File.Exists(ModelPath), $"Silero model missing at {ModelPath}: run scripts/install.sh");
        using var session = new InferenceSession(ModelPath);
        Assert.Equal(["input", "state", "sr"], session.InputMetadata.Keys.ToArray());
        Assert.Equal(["output", "stateN"], session.OutputMetadata.Keys.ToArray());
        Assert.Equal([2, -1, 128], session.InputMetadata["state"].Dimensions.Select(d => d == 1 ? -1 : d).ToArray());
    }

    [Fact]
    public void Silero_hears_espeak_speech_and_not_silence_or_noise()
    {
        using var vad = new SileroVoiceActivityDetector(ModelPath);
        var speech = SpeechSamples.Concat(SpeechSamples.Say("what do you see over there"), SpeechSamples.Silence(0.3));
        var chunks = speech.Length / 4800;
        Assert.True(SpeechChunks(vad, speech) >= chunks / 2, $"speech heard in {SpeechChunks(vad, speech)} of {chunks} chunks");
        vad.Reset();
        Assert.Equal(0, SpeechChunks(vad, SpeechSamples.Silence(3)));
        vad.Reset();
        // Loud white noise (RMS 0.1, far above the energy threshold) is still not speech for Silero.
        Assert.Equal(0, SpeechChunks(vad, SpeechSamples.Noise(3, 0.1)));
    }

    [Fact]
    public void Silero_needs_the_context_and_state_carried_across_windows()
    {
        using var vad = new SileroVoiceActivityDetector(ModelPath);
        var speech = SpeechSamples.Say("what do you see over there");
        var max = 0f;
        for (var i = 0; i + 512 <= speech.Length; i += 512)
        {
            max = Math.Max(max, vad.Window(speech.AsSpan(i, 512)));
        }
        Assert.True(max > 0.9f, $"max probability {max}");
    }

    [Fact]
    public void Energy_detector_uses_the_original_threshold()
    {
        var vad = new EnergyVoiceActivityDetector();
        Assert.Equal(0.04, EnergyVoiceActivityDetector.DefaultThreshold);
        var speech = SpeechSamples.Say("what do you see over there");
        Assert.True(SpeechChunks(vad, speech) >= speech.Length / 4800 / 2);
        Assert.Equal(0, SpeechChunks(vad, SpeechSamples.Silence(3)));
        Assert.Equal(0, SpeechChunks(vad, SpeechSamples.Noise(3, 0.01)));
        Assert.Equal(10, SpeechChunks(vad, SpeechSamples.Noise(3, 0.1)));
    }

    [Fact]
    public void Nan_input_does_not_poison_either_detector()
    {
        using var silero = new SileroVoiceActivityDetector(ModelPath);
        var nan = Enumerable.Repeat(float.NaN, 4800).ToArray();
        Assert.False(silero.IsSpeech(nan));
        Assert.False(new EnergyVoiceActivityDetector().IsSpeech(nan));
        var speech = SpeechSamples.Say("what do you see over there");
        Assert.True(SpeechChunks(silero, speech) > 0);
    }

    [Fact]
    public void Lazy_detector_loads_silero_on_the_first_sound_and_then_hears_speech()
    {
        var loads = 0;
        using var vad = new LazyVoiceActivityDetector(() =>
        {
            loads++;
            return new SileroVoiceActivityDetector(ModelPath);
        }, "silero", NullLogger.Instance);
        // The simulated microphone's floor (RMS 0.001, −60 dBFS) and silence: no model loaded, nothing is speech.
        Assert.Equal(0, SpeechChunks(vad, SpeechSamples.Noise(3, 0.001)));
        Assert.Equal(0, SpeechChunks(vad, SpeechSamples.Silence(1)));
        Assert.False(vad.Loaded);
        Assert.Equal("silero", vad.Name);
        var speech = SpeechSamples.Concat(SpeechSamples.Say("what do you see over there"), SpeechSamples.Silence(0.3));
        var chunks = speech.Length / 4800;
        Assert.True(SpeechChunks(vad, speech) >= chunks / 2, $"speech heard in {SpeechChunks(vad, speech)} of {chunks} chunks");
        Assert.True(vad.Loaded);
        Assert.Equal(1, loads);
        // Once loaded it is Silero itself: loud noise is still not speech.
        vad.Reset();
        Assert.Equal(0, SpeechChunks(vad, SpeechSamples.Noise(3, 0.1)));
    }

    [Fact]
    public void Missing_model_falls_back_to_energy()
    {
        var vad = VoiceActivityDetectors.Create("/nonexistent/silero_vad.onnx", NullLogger.Instance);
        Assert.Equal("energy", vad.Name);
        var silero = VoiceActivityDetectors.Create(ModelPath, NullLogger.Instance);
        Assert.Equal("silero", silero.Name);
        (silero as IDisposable)?.Dispose();
        Assert.Equal("energy", VoiceActivityDetectors.CreateOnFirstSound("/nonexistent/silero_vad.onnx", NullLogger.Instance).Name);
        using var lazy = (LazyVoiceActivityDetector)VoiceActivityDetectors.CreateOnFirstSound(ModelPath, NullLogger.Instance);
        Assert.False(lazy.Loaded);
    }
}
