using Microsoft.Extensions.Logging;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using RosaOS.Speech.Audio;

namespace RosaOS.Speech.Input;

/// <summary>Decides whether a chunk of 16 kHz mono audio holds speech. Not thread-safe: one stream per instance.</summary>
public interface IVoiceActivityDetector
{
    /// <summary>"silero" or "energy", for logs and status.</summary>
    string Name { get; }

    /// <summary>True when the chunk (typically 0.3 s) contains speech; chunks are assumed consecutive.</summary>
    bool IsSpeech(ReadOnlySpan<float> chunk);

    /// <summary>Forgets the stream so far (after a gap in capture).</summary>
    void Reset();
}

/// <summary>The original's fallback: a chunk is speech when its RMS exceeds 0.04.</summary>
public sealed class EnergyVoiceActivityDetector(double threshold = EnergyVoiceActivityDetector.DefaultThreshold) : IVoiceActivityDetector
{
    /// <summary>The original's RMS threshold.</summary>
    public const double DefaultThreshold = 0.04;

    /// <inheritdoc />
    public string Name => "energy";

    /// <inheritdoc />
    public bool IsSpeech(ReadOnlySpan<float> chunk) => AudioMath.Rms(chunk) > threshold;

    /// <inheritdoc />
    public void Reset()
    {
    }
}

/// <summary>
/// Silero VAD v5/v6 through ONNX Runtime: 512-sample windows at 16 kHz, each preceded by the previous 64 samples
/// (the model reads a [1, 576] input; without the context every probability stays near 0), with the recurrent
/// state [2, 1, 128] carried from window to window across chunks. A chunk is speech when at least
/// <see cref="MinSpeechWindows"/> of its windows reach <see cref="Threshold"/>.
/// </summary>
public sealed class SileroVoiceActivityDetector : IVoiceActivityDetector, IDisposable
{
    /// <summary>Samples per model window at 16 kHz.</summary>
    public const int WindowSamples = 512;

    /// <summary>Samples of context before each window.</summary>
    public const int ContextSamples = 64;

    private readonly InferenceSession _session;
    private readonly float[] _input = new float[ContextSamples + WindowSamples];
    private readonly float[] _state = new float[2 * 128];
    private readonly float[] _pending = new float[WindowSamples];
    private readonly long[] _rate = [AudioMath.SpeechRate];
    private int _pendingCount;

    /// <summary>Loads the model file (silero_vad.onnx).</summary>
    public SileroVoiceActivityDetector(string modelPath, float threshold = 0.5f, int minSpeechWindows = 2)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(minSpeechWindows);
        if (!(threshold is > 0f and < 1f))
        {
            throw new ArgumentOutOfRangeException(nameof(threshold), threshold, "The Silero threshold is a probability in (0, 1).");
        }
        using var options = new SessionOptions { IntraOpNumThreads = 1, InterOpNumThreads = 1 };
        _session = new InferenceSession(modelPath, options);
        Threshold = threshold;
        MinSpeechWindows = minSpeechWindows;
    }

    /// <summary>The speech probability a window must reach.</summary>
    public float Threshold { get; }

    /// <summary>How many windows of a chunk must be speech (2 windows = 64 ms).</summary>
    public int MinSpeechWindows { get; }

    /// <summary>The probability of the last window, for diagnostics.</summary>
    public float LastProbability { get; private set; }

    /// <inheritdoc />
    public string Name => "silero";

    /// <summary>Where install.sh puts the model under the tools folder.</summary>
    public static string DefaultModelPath(string toolsDirectory)
        => Path.Combine(toolsDirectory, "models", "silero_vad.onnx");

    /// <inheritdoc />
    public bool IsSpeech(ReadOnlySpan<float> chunk)
    {
        var speechWindows = 0;
        while (!chunk.IsEmpty)
        {
            var take = Math.Min(WindowSamples - _pendingCount, chunk.Length);
            chunk[..take].CopyTo(_pending.AsSpan(_pendingCount));
            _pendingCount += take;
            chunk = chunk[take..];
            if (_pendingCount == WindowSamples)
            {
                if (Window(_pending) >= Threshold)
                {
                    speechWindows++;
                }
                _pendingCount = 0;
            }
        }
        return speechWindows >= MinSpeechWindows;
    }

    /// <summary>Runs one 512-sample window and returns its speech probability.</summary>
    public float Window(ReadOnlySpan<float> window)
    {
        if (window.Length != WindowSamples)
        {
            throw new ArgumentException($"A Silero window is {WindowSamples} samples.", nameof(window));
        }
        window.CopyTo(_input.AsSpan(ContextSamples));
        for (var i = ContextSamples; i < _input.Length; i++)
        {
            if (float.IsNaN(_input[i]))
            {
                _input[i] = 0;
            }
        }
        var inputs = new List<NamedOnnxValue>
        {
            NamedOnnxValue.CreateFromTensor("input", new DenseTensor<float>(_input, [1, _input.Length])),
            NamedOnnxValue.CreateFromTensor("state", new DenseTensor<float>(_state, [2, 1, 128])),
            NamedOnnxValue.CreateFromTensor("sr", new DenseTensor<long>(_rate, [1])),
        };
        using (var results = _session.Run(inputs))
        {
            foreach (var result in results)
            {
                var tensor = result.AsTensor<float>();
                if (result.Name == "output")
                {
                    LastProbability = tensor.GetValue(0);
                }
                else if (result.Name == "stateN")
                {
                    for (var i = 0; i < _state.Length; i++)
                    {
                        _state[i] = tensor.GetValue(i);
                    }
                }
            }
        }
        // The window's last 64 samples are the next window's context.
        _input.AsSpan(_input.Length - ContextSamples).CopyTo(_input);
        return LastProbability;
    }

    /// <inheritdoc />
    public void Reset()
    {
        Array.Clear(_state);
        Array.Clear(_input);
        _pendingCount = 0;
    }

    /// <inheritdoc />
    public void Dispose() => _session.Dispose();
}

/// <summary>
/// Silero loaded on the first sound (issue 19): until a chunk's RMS reaches <see cref="DefaultGate"/> (−50 dBFS, far below
/// any speech, above the simulated microphone's −60 dBFS floor) nothing is speech and ONNX Runtime is not loaded, which keeps
/// about 45 MiB (the runtime library, the model and its buffers) out of an idle <c>rosa reachy</c>. From then on every chunk
/// goes to the detector, exactly as without the gate.
/// </summary>
public sealed partial class LazyVoiceActivityDetector(Func<IVoiceActivityDetector> load, string name, ILogger logger, double gate = LazyVoiceActivityDetector.DefaultGate)
    : IVoiceActivityDetector, IDisposable
{
    /// <summary>RMS below which a chunk is silence without asking the model: 0.003 ≈ −50 dBFS.</summary>
    public const double DefaultGate = 0.003;

    private IVoiceActivityDetector? _inner;

    /// <summary>True once the first sound loaded the detector.</summary>
    public bool Loaded => _inner is not null;

    /// <inheritdoc />
    public string Name => _inner?.Name ?? name;

    /// <inheritdoc />
    public bool IsSpeech(ReadOnlySpan<float> chunk)
    {
        if (_inner is null)
        {
            if (!(AudioMath.Rms(chunk) >= gate))
            {
                return false;
            }
            _inner = load();
            LogLoaded(logger, _inner.Name, gate);
        }
        return _inner.IsSpeech(chunk);
    }

    /// <inheritdoc />
    public void Reset() => _inner?.Reset();

    /// <inheritdoc />
    public void Dispose() => (_inner as IDisposable)?.Dispose();

    [LoggerMessage(Level = LogLevel.Information, Message = "First sound above RMS {Gate}: {Name} VAD loaded.")]
    private static partial void LogLoaded(ILogger logger, string name, double gate);
}

/// <summary>Picks Silero when its model is present, else the energy detector, and says which.</summary>
public static partial class VoiceActivityDetectors
{
    /// <summary>Silero from <paramref name="modelPath"/>, or the energy fallback (with a warning) when the file is missing or unloadable.</summary>
    public static IVoiceActivityDetector Create(string? modelPath, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(logger);
        if (modelPath is not null && File.Exists(modelPath))
        {
            try
            {
                return new SileroVoiceActivityDetector(modelPath);
            }
            catch (Exception ex) when (ex is OnnxRuntimeException or InvalidOperationException)
            {
                LogSileroFailed(logger, modelPath, ex);
                return new EnergyVoiceActivityDetector();
            }
        }
        LogSileroMissing(logger, modelPath ?? "(none)");
        return new EnergyVoiceActivityDetector();
    }

    /// <summary>Silero (or the energy fallback) loaded on the first sound above −50 dBFS, see <see cref="LazyVoiceActivityDetector"/>;
    /// what an always-listening service uses so that a quiet microphone costs no ONNX Runtime.</summary>
    public static IVoiceActivityDetector CreateOnFirstSound(string? modelPath, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(logger);
        return modelPath is not null && File.Exists(modelPath)
            ? new LazyVoiceActivityDetector(() => Create(modelPath, logger), "silero", logger)
            : Create(modelPath, logger);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Silero VAD model not found at {Path}; using the energy detector (less accurate). Run scripts/install.sh.")]
    private static partial void LogSileroMissing(ILogger logger, string path);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Silero VAD model at {Path} failed to load; using the energy detector.")]
    private static partial void LogSileroFailed(ILogger logger, string path, Exception exception);
}
