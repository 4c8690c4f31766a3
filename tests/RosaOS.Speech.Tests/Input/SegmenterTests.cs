using RosaOS.Speech.Input;

namespace RosaOS.Speech.Tests.Input;

public sealed class SegmenterTests
{
    private static List<float[]> Segment(float[] audio, SegmenterOptions? options = null, int block = 1600)
    {
        var segmenter = new UtteranceSegmenter(new EnergyVoiceActivityDetector(), options ?? new SegmenterOptions());
        var found = new List<float[]>();
        for (var i = 0; i < audio.Length; i += block)
        {
            found.AddRange(segmenter.Push(audio.AsSpan(i, Math.Min(block, audio.Length - i))));
        }
        return found;
    }

    [Fact]
    public void One_phrase_in_silence_is_one_utterance_with_pre_roll_and_the_silence_tail()
    {
        var speech = SpeechSamples.Say("what do you see");
        var audio = SpeechSamples.Concat(SpeechSamples.Silence(1.2), speech, SpeechSamples.Silence(3));
        var utterances = Segment(audio);
        var only = Assert.Single(utterances);
        var seconds = only.Length / 16000.0;
        // The speech, up to a chunk of rounding on each side, 0.25 s of pre-roll and 1.5 s of silence.
        var expected = (speech.Length / 16000.0) + 0.25 + 1.5;
        Assert.InRange(seconds, expected - 0.6, expected + 0.6);
    }

    [Fact]
    public void Phrases_apart_by_more_than_the_silence_end_are_two_and_closer_ones_one()
    {
        var hello = SpeechSamples.Say("hello");
        var see = SpeechSamples.Say("what do you see");
        Assert.Equal(2, Segment(SpeechSamples.Concat(hello, SpeechSamples.Silence(2.2), see, SpeechSamples.Silence(2))).Count);
        Assert.Single(Segment(SpeechSamples.Concat(hello, SpeechSamples.Silence(0.6), see, SpeechSamples.Silence(2))));
    }

    [Fact]
    public void A_click_shorter_than_the_minimum_is_dropped()
    {
        var options = new SegmenterOptions { SilenceEndSeconds = 0.3 };
        var click = SpeechSamples.Noise(0.3, 0.2);
        var segmenter = new UtteranceSegmenter(new EnergyVoiceActivityDetector(), options);
        Assert.Empty(segmenter.Push(SpeechSamples.Concat(SpeechSamples.Silence(0.6), click, SpeechSamples.Silence(1))));
        Assert.Equal(1, segmenter.DroppedShort);
    }

    [Fact]
    public void Endless_speech_is_cut_at_the_maximum()
    {
        var options = new SegmenterOptions { MaxUtteranceSeconds = 2 };
        var utterances = Segment(SpeechSamples.Noise(7, 0.2), options);
        Assert.Equal(3, utterances.Count);
        Assert.All(utterances, u => Assert.InRange(u.Length / 16000.0, 2.0, 2.31));
    }

    [Theory]
    [InlineData(double.NaN, 0.25)]
    [InlineData(0.3, -1)]
    [InlineData(0.0, 0.25)]
    [InlineData(1e9, 0.25)]
    public void Bad_options_are_refused(double chunk, double preRoll)
    {
        Assert.Throws<ArgumentOutOfRangeException>(() =>
            new UtteranceSegmenter(new EnergyVoiceActivityDetector(), new SegmenterOptions { ChunkSeconds = chunk, PreRollSeconds = preRoll }));
    }
}
