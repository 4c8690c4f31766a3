using System.CommandLine;
using RosaOS.Configuration;
using RosaOS.Hosting;

namespace RosaOS.Mcp.ReachyMini;

/// <summary>The `rosa reachy` sub-command.</summary>
public static class ReachyCommand
{
    /// <summary>Builds the command with its options and action.</summary>
    public static Command Create()
    {
        var port = new Option<int?>("--port") { Description = "HTTP port of the MCP server (default REACHY_MCP_PORT or 5001)." };
        var bind = new Option<string>("--bind") { Description = "Address to bind (default 127.0.0.1; only loopback names pass the Host check).", DefaultValueFactory = _ => "127.0.0.1" };
        var daemon = new Option<string>("--daemon") { Description = "The Reachy Mini daemon or `rosa sim` (default http://localhost:8000).", DefaultValueFactory = _ => "http://localhost:8000" };
        var stdio = new Option<bool>("--stdio") { Description = "Serve the same tools over stdio (for desktop MCP clients) instead of HTTP." };
        var speaker = new Option<SpeakerMode>("--speaker") { Description = "Where speech plays: auto (sim speaker, else the robot's audio device, else the daemon), sim, portaudio, daemon.", DefaultValueFactory = _ => SpeakerMode.Auto };
        var device = new Option<string>("--audio-device") { Description = "PortAudio output device name (default \"Reachy Mini Audio\").", DefaultValueFactory = _ => "Reachy Mini Audio" };
        var name = new Option<string>("--name") { Description = "Driver name, its drivers.json key (default reachy-mini); names its emergency-stop latch and lease, and picks its approval policy.", DefaultValueFactory = _ => "reachy-mini" };
        var drivers = new Option<string?>("--drivers") { Description = "drivers.json whose entry --name gives the approval policy (default: <config>/drivers.json)." };
        // The original's `python -m server` flags, with the same meaning.
        var sim = new Option<bool>("--sim") { Description = "As the original's --sim: no speech input loop (no STT lifespan); use with `rosa sim`." };
        var ttsElevenLabs = new Option<bool>("--tts-elevenlabs") { Description = "Speak with ElevenLabs (needs ELEVENLABS_API_KEY); same as TTS_ENGINE=elevenlabs." };
        var ttsVoice = new Option<string?>("--tts-voice") { Description = "Voice name or ID of the network TTS engine (default TTS_VOICE, else the engine's default)." };
        var listen = new Option<bool>("--listen") { Description = "With --stdio, run the speech input loop too (off by default in stdio mode, so a desktop client beside `rosa up` does not hear every utterance a second time)." };
        var headPat = new Option<bool>("--head-pat") { Description = "Play an emotion when the head is moved by hand (the original's head-pat reaction). Off by default: the daemon does not report a hand, and another client streaming set_target looks like one." };
        var headPatEmotion = new Option<string>("--head-pat-emotion") { Description = "Emotion the head-pat reaction plays.", DefaultValueFactory = _ => "loving" };
        var kernelUrl = new Option<string?>("--kernel-url") { Description = "Kernel URL that watches report to (default RAG_AGENT_URL, else http://localhost:RAG_AGENT_PORT)." };
        var ttsTimeout = new Option<double>("--tts-timeout") { Description = "Seconds to wait for a network TTS engine before using espeak-ng.", DefaultValueFactory = _ => 15 };

        var hearing = Speech.SpeechInputCommandLine.Create();
        var command = new Command("reachy", "Run the Reachy Mini MCP server (device layer, port 5001).")
        {
            port, bind, daemon, stdio, listen, sim, speaker, device, ttsElevenLabs, ttsVoice, ttsTimeout, name, drivers, headPat, headPatEmotion, kernelUrl,
        };
        hearing.AddTo(command);
        command.SetAction(async (parse, cancellationToken) =>
        {
            // A SIGTERM before the first await would find System.CommandLine's handler not ready (exit 143, no clean stop).
            await Task.Yield();
            ReachyServerOptions options;
            try
            {
                options = new ReachyServerOptions
                {
                    Name = parse.GetValue(name)!,
                    Port = parse.GetValue(port) ?? RosaEnvironment.GetPort("REACHY_MCP_PORT", 5001),
                    Bind = parse.GetValue(bind)!,
                    Daemon = new Uri(parse.GetValue(daemon)!, UriKind.Absolute),
                    Stdio = parse.GetValue(stdio),
                    Speaker = parse.GetValue(speaker),
                    AudioDevice = parse.GetValue(device)!,
                    TtsEngine = parse.GetValue(ttsElevenLabs) ? "elevenlabs" : (RosaEnvironment.Get("TTS_ENGINE") ?? "groq").ToLowerInvariant(),
                    TtsVoice = parse.GetValue(ttsVoice) ?? RosaEnvironment.Get("TTS_VOICE"),
                    TtsTimeout = TimeSpan.FromSeconds(parse.GetValue(ttsTimeout)),
                    Hearing = hearing.Read(parse),
                    HeadPat = parse.GetValue(headPat),
                    HeadPatEmotion = parse.GetValue(headPatEmotion)!,
                    Watches = RosaOS.Hosting.Watches.WatchSettings.Resolve(parse.GetValue(kernelUrl)),
                };
                // The calls a person must approve (drivers.json "approval": tool names), enforced below the LLM like the stop and lease.
                options.Approval = DriversConfig.LoadFile(parse.GetValue(drivers) ?? Path.Combine(RosaEnvironment.ConfigDirectory, "drivers.json")).Find(options.Name)?.Approval;
                // Stdio serves one desktop client; the speech loop stays with the HTTP server of `rosa up` unless asked.
                if (parse.GetValue(sim) || (options.Stdio && !parse.GetValue(listen)))
                {
                    options.Hearing.Enabled = false;
                }
                options.Validate();
            }
            catch (Exception e) when (e is ArgumentException or UriFormatException or InvalidOperationException or IOException or DriversConfigException)
            {
                await Console.Error.WriteLineAsync($"rosa reachy: {e.Message}");
                return 2;
            }
            return await ReachyServer.RunAsync(options, cancellationToken);
        });
        return command;
    }
}
