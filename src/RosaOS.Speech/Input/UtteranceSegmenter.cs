using RosaOS.Speech.Audio;

namespace RosaOS.Speech.Input;

/// <summary>Segmentation settings; the defaults are the original loop's.</summary>
public sealed class SegmenterOptions
{
    /// <summary>Seconds of audio per VAD decision (original: 0.3).</summary>
    public double ChunkSeconds { get; set; } = 0.3;

    /// <summary>Seconds kept before the first speech chunk so the first phonemes are not clipped (original: 0.25).</summary>
    public double PreRollSeconds { get; set; } = 0.25;

    /// <summary>Seconds of silence that end an utterance (original: 1.5).</summary>
    public double SilenceEndSeconds { get; set; } = 1.5;

    /// <summary>
    /// Utterances whose voiced part (first to last speech chunk) is shorter than this are dropped as noise (original: 0.5;
    /// the original measured the whole recording, trailing silence included, so it never dropped anything).
    /// </summary>
    public double MinUtteranceSeconds { get; set; } = 0.5;

    /// <summary>An utterance is cut here even if speech goes on, so memory and upload size stay bounded (Whisper's window is 30 s).</summary>
    public double MaxUtteranceSeconds { get; set; } = 30;

    /// <summary>Throws when a value is out of range.</summary>
    public void Validate()
    {
        static void Range(double value, double min, double max, string name)
        {
            if (!(value >= min && value <= max))
            {
                throw new ArgumentOutOfRangeException(name, value, $"{name} must be within [{min}, {max}] seconds.");
            }
        }
        Range(ChunkSeconds, 0.032, 5, nameof(ChunkSeconds));
        Range(PreRollSeconds, 0, 5, nameof(PreRollSeconds));
        Range(SilenceEndSeconds, ChunkSeconds, 30, nameof(SilenceEndSeconds));
        Range(MinUtteranceSeconds, 0, 30, nameof(MinUtteranceSeconds));
        Range(MaxUtteranceSeconds, Math.Max(1, MinUtteranceSeconds), 300, nameof(MaxUtteranceSeconds));
    }
}

/// <summary>
/// Cuts a 16 kHz mono stream into utterances as the original loop did: a VAD decision per chunk, pre-roll before
/// speech, the end after enough silence, short ones dropped. Time is counted in samples, not wall-clock, so the result
/// depends only on the audio.
/// </summary>
public sealed class UtteranceSegmenter
{
    private readonly IVoiceActivityDetector _vad;
    private readonly int _chunk;
    private readonly int _preRoll;
    private readonly int _silenceEnd;
    private readonly int _min;
    private readonly int _max;
    private readonly float[] _chunkBuffer;
    private readonly List<float> _preRollBuffer = [];
    private readonly List<float> _utterance = [];
    private int _chunkFill;
    private int _silentSamples;
    private int _voicedEnd;
    private int _voicedStart;

    /// <summary>A segmenter over <paramref name="vad"/>.</summary>
    public UtteranceSegmenter(IVoiceActivityDetector vad, SegmenterOptions options)
    {
        ArgumentNullException.ThrowIfNull(vad);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _vad = vad;
        _chunk = Samples(options.ChunkSeconds);
        _preRoll = Samples(options.PreRollSeconds);
        _silenceEnd = Samples(options.SilenceEndSeconds);
        _min = Samples(options.MinUtteranceSeconds);
        _max = Samples(options.MaxUtteranceSeconds);
        _chunkBuffer = new float[_chunk];
    }

    /// <summary>True between the first speech chunk of an utterance and its end.</summary>
    public bool InSpeech { get; private set; }

    /// <summary>Utterances dropped for being shorter than the minimum.</summary>
    public long DroppedShort { get; private set; }

    /// <summary>Feeds captured samples; returns the utterances that ended within them (usually none).</summary>
    public IReadOnlyList<float[]> Push(ReadOnlySpan<float> samples)
    {
        List<float[]>? done = null;
        while (!samples.IsEmpty)
        {
            var take = Math.Min(_chunk - _chunkFill, samples.Length);
            samples[..take].CopyTo(_chunkBuffer.AsSpan(_chunkFill));
            _chunkFill += take;
            samples = samples[take..];
            if (_chunkFill == _chunk)
            {
                _chunkFill = 0;
                if (Chunk(_chunkBuffer) is { } utterance)
                {
                    (done ??= []).Add(utterance);
                }
            }
        }
        return done ?? (IReadOnlyList<float[]>)[];
    }

    /// <summary>Forgets any partial utterance (after a capture gap).</summary>
    public void Reset()
    {
        _vad.Reset();
        _preRollBuffer.Clear();
        _utterance.Clear();
        _chunkFill = 0;
        _silentSamples = 0;
        InSpeech = false;
    }

    private float[]? Chunk(float[] chunk)
    {
        var speech = _vad.IsSpeech(chunk);
        if (speech)
        {
            if (!InSpeech)
            {
                InSpeech = true;
                _utterance.AddRange(_preRollBuffer);
                _preRollBuffer.Clear();
                _voicedStart = _utterance.Count;
            }
            _silentSamples = 0;
            _utterance.AddRange(chunk);
            _voicedEnd = _utterance.Count;
        }
        else if (InSpeech)
        {
            _utterance.AddRange(chunk);
            _silentSamples += chunk.Length;
        }
        else
        {
            _preRollBuffer.AddRange(chunk);
            if (_preRollBuffer.Count > _preRoll)
            {
                _preRollBuffer.RemoveRange(0, _preRollBuffer.Count - _preRoll);
            }
            return null;
        }
        if (_silentSamples < _silenceEnd && _utterance.Count < _max)
        {
            return null;
        }
        var audio = _utterance.ToArray();
        _utterance.Clear();
        _silentSamples = 0;
        InSpeech = false;
        if (_voicedEnd - _voicedStart < _min)
        {
            DroppedShort++;
            return null;
        }
        return audio;
    }

    private static int Samples(double seconds) => (int)Math.Round(seconds * AudioMath.SpeechRate);
}
