using RosaOS.Speech.Audio;
using RosaOS.Speech.Tts;

namespace RosaOS.Speech.Tests;

public sealed class TextChunkerTests
{
    [Fact]
    public void Split_KeepsEveryWordInOrder_AndEachChunkWithinTheLimit()
    {
        var text = string.Join(" ", Enumerable.Range(1, 120).Select(i => $"Sentence number {i} is here{(i % 3 == 0 ? "." : ",")}"));

        var chunks = TextChunker.Split(text, 200);

        Assert.All(chunks, c => Assert.InRange(c.Length, 1, 200));
        Assert.Equal(text, string.Join(" ", chunks));
        Assert.True(chunks.Count >= text.Length / 200);
    }

    [Fact]
    public void Split_PrefersSentenceBoundaries()
    {
        var chunks = TextChunker.Split("Hello there. How are you today? I am a robot on a desk.", 40);

        Assert.Equal(["Hello there. How are you today?", "I am a robot on a desk."], chunks);
    }

    [Fact]
    public void Split_CutsAWordLongerThanTheLimit()
    {
        var chunks = TextChunker.Split(new string('x', 450), 200);

        Assert.Equal([200, 200, 50], chunks.Select(c => c.Length));
    }

    [Fact]
    public void Split_WhitespaceOnly_GivesNothing() => Assert.Empty(TextChunker.Split(" \n\t ", 200));
}

public sealed class WavAudioTests
{
    [Fact]
    public void ToWav_ThenParse_KeepsRateChannelsAndSamples()
    {
        var samples = Enumerable.Range(0, 16000).Select(i => (float)Math.Sin(i * 2 * Math.PI * 440 / 16000) * 0.5f).ToArray();
        var wav = WavAudio.FromSamples(samples, 16000, 1).ToWav();

        var parsed = WavAudio.Parse(wav);

        Assert.Equal(16000, parsed.SampleRate);
        Assert.Equal(1, parsed.Channels);
        Assert.Equal(1.0, parsed.Duration.TotalSeconds, 3);
        Assert.InRange(parsed.Samples.Zip(samples, (a, b) => Math.Abs(a - b)).Max(), 0, 1e-4);
    }

    [Fact]
    public void ToMono_ResamplesStereo22kTo16k()
    {
        var stereo = new float[22050 * 2];
        var mono = WavAudio.FromSamples(stereo, 22050, 2).ToMono(16000);

        Assert.Equal(1, mono.Channels);
        Assert.Equal(16000, mono.Samples.Length);
    }

    [Theory]
    [InlineData(new byte[] { 1, 2, 3 })]
    [InlineData(new byte[] { (byte)'R', (byte)'I', (byte)'F', (byte)'F', 0, 0, 0, 0, (byte)'W', (byte)'A', (byte)'V', (byte)'E' })]
    public void Parse_Garbage_SaysWhatIsWrong(byte[] bytes)
    {
        var e = Assert.Throws<InvalidDataException>(() => WavAudio.Parse(bytes));
        Assert.Contains("WAV", e.Message, StringComparison.Ordinal);
    }
}

public sealed class EspeakNgSpeechTests
{
    [Theory]
    [InlineData("Hello.", 0.3, 2.0)]
    [InlineData("The quick brown fox jumps over the lazy dog, and then the robot waves its antennas at everyone in the room.", 4.0, 12.0)]
    public async Task Synthesize_GivesSpeechOfPlausibleLength(string text, double minS, double maxS)
    {
        var speech = await new EspeakNgSpeech().SynthesizeAsync(text, TestContext.Current.CancellationToken);

        Assert.Equal("espeak-ng", speech.Engine);
        Assert.InRange(speech.Audio.Duration.TotalSeconds, minS, maxS);
        Assert.True(speech.Audio.Samples.Max(Math.Abs) > 0.05f, "audio is silent");
    }

    [Fact]
    public async Task Synthesize_TextStartingWithADash_IsSpokenNotReadAsAnOption()
    {
        var speech = await new EspeakNgSpeech().SynthesizeAsync("--version is not an option here", TestContext.Current.CancellationToken);

        Assert.InRange(speech.Audio.Duration.TotalSeconds, 1.0, 5.0);
    }

    [Fact]
    public async Task Synthesize_MissingProgram_FailsWithAClearReason()
    {
        var e = await Assert.ThrowsAsync<SpeechSynthesisException>(() =>
            new EspeakNgSpeech(program: "/nonexistent/espeak-ng").SynthesizeAsync("hi", TestContext.Current.CancellationToken));

        Assert.Contains("not installed", e.Message, StringComparison.Ordinal);
    }
}
