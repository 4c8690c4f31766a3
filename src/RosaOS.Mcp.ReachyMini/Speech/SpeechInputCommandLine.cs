using System.CommandLine;
using RosaOS.Speech.Input;

namespace RosaOS.Mcp.ReachyMini.Speech;

/// <summary>The speech input flags of <c>rosa reachy</c>.</summary>
public sealed class SpeechInputCommandLine
{
    private readonly Option<bool> _noListen = new("--no-listen") { Description = "Do not run the speech input loop (microphone → wake word → /stt)." };
    private readonly Option<MicrophoneMode> _microphone = new("--microphone")
    {
        Description = "Where speech is heard: auto (the simulator's virtual microphone, else the robot's audio device), sim, portaudio.",
        DefaultValueFactory = _ => MicrophoneMode.Auto,
    };
    private readonly Option<string> _inputDevice = new("--input-device") { Description = "PortAudio input device name (default \"Reachy Mini Audio\").", DefaultValueFactory = _ => "Reachy Mini Audio" };
    private readonly Option<string> _wakeWord = new("--wake-word") { Description = "Wake word (default \"hello\").", DefaultValueFactory = _ => "hello" };
    private readonly Option<string?> _sttUrl = new("--stt-url") { Description = "OpenAI-compatible transcription base URL (default Groq when GROQ_API_KEY is set; else offline pocketsphinx)." };
    private readonly Option<string?> _sttKey = new("--stt-key-env") { Description = "Name of the environment variable holding the --stt-url key (default GROQ_API_KEY)." };
    private readonly Option<string> _sttModel = new("--stt-model") { Description = "Transcription model (default whisper-large-v3-turbo).", DefaultValueFactory = _ => "whisper-large-v3-turbo" };
    private readonly Option<bool> _noOffline = new("--no-offline-stt") { Description = "Do not fall back to pocketsphinx when the transcription service fails." };
    private readonly Option<double> _followUpWindow = new("--follow-up-window")
    {
        Description = "Seconds after the robot stops speaking during which the user can answer without the wake word (default 5; 0 = off).",
        DefaultValueFactory = _ => 5,
    };
    private readonly Option<string?> _stopKeyword = new("--stop-keyword")
    {
        Description = "Offline keyword (pocketsphinx keyword spotting, no wake word, no network) that engages the emergency stop, e.g. \"stop\" (default: off).",
    };
    private readonly Option<double> _followUp = new("--listen-timeout") { Description = "Seconds to wait for the request after the wake word (default 20).", DefaultValueFactory = _ => 20 };

    /// <summary>The flags.</summary>
    public static SpeechInputCommandLine Create() => new();

    /// <summary>Adds the flags to <paramref name="command"/>.</summary>
    public void AddTo(Command command)
    {
        ArgumentNullException.ThrowIfNull(command);
        command.Options.Add(_noListen);
        command.Options.Add(_microphone);
        command.Options.Add(_inputDevice);
        command.Options.Add(_wakeWord);
        command.Options.Add(_sttUrl);
        command.Options.Add(_sttKey);
        command.Options.Add(_sttModel);
        command.Options.Add(_noOffline);
        command.Options.Add(_followUp);
        command.Options.Add(_followUpWindow);
        command.Options.Add(_stopKeyword);
    }

    /// <summary>The options from the environment overridden by the flags.</summary>
    public SpeechInputOptions Read(ParseResult parse)
    {
        ArgumentNullException.ThrowIfNull(parse);
        var options = SpeechInputOptions.FromEnvironment();
        options.Enabled = !parse.GetValue(_noListen);
        options.Microphone = parse.GetValue(_microphone);
        options.InputDevice = parse.GetValue(_inputDevice)!;
        options.Loop.WakeWord = parse.GetValue(_wakeWord)!;
        options.TranscriptionModel = parse.GetValue(_sttModel)!;
        options.OfflineFallback = !parse.GetValue(_noOffline);
        var followUp = parse.GetValue(_followUp);
        if (!(followUp is > 0 and <= 600))
        {
            throw new ArgumentException($"--listen-timeout must be within (0, 600] seconds (got {followUp}).");
        }
        options.Loop.FollowUpTimeout = TimeSpan.FromSeconds(followUp);
        var window = parse.GetValue(_followUpWindow);
        if (!(window is >= 0 and <= 600))
        {
            throw new ArgumentException($"--follow-up-window must be within [0, 600] seconds (got {window}).");
        }
        options.Loop.FollowUpWindow = TimeSpan.FromSeconds(window);
        if (parse.GetValue(_stopKeyword) is { } keyword)
        {
            if (keyword.Length is 0 or > 40 || !keyword.All(char.IsAsciiLetter))
            {
                throw new ArgumentException($"--stop-keyword must be one word of letters a-z (got \"{keyword}\").");
            }
            options.Loop.StopKeyword = keyword;
        }
        if (parse.GetValue(_sttUrl) is { Length: > 0 } url)
        {
            options.TranscriptionUrl = new Uri(url, UriKind.Absolute);
            var keyVariable = parse.GetValue(_sttKey) ?? "GROQ_API_KEY";
            options.TranscriptionKey = RosaOS.Hosting.RosaEnvironment.Get(keyVariable);
        }
        return options;
    }
}
