using System.ComponentModel;
using System.Globalization;
using ModelContextProtocol;
using ModelContextProtocol.Server;
using RosaOS.EmergencyStop;
using RosaOS.Speech;

// Argument names are the snake_case MCP contract of the original server, not C# style.
#pragma warning disable CA1707

namespace RosaOS.Mcp.ReachyMini.Tools;

/// <summary>The robot's voice.</summary>
[McpServerToolType]
public sealed class SpeechTools(SpeechQueue speech)
{
    /// <summary>Longest text accepted by speak, in characters (about five minutes of speech).</summary>
    public const int MaxTextLength = 5000;

    [McpServerTool(Name = "speak", Destructive = false, Idempotent = false, OpenWorld = true, ReadOnly = false)]
    [McpMeta(EstopContract.MetaKey, EstopContract.Roles.Allowed)]
    [Description("Say text aloud with Reachy Mini's speaker (text to speech). Requests from all agents are spoken one at a time in arrival order; " +
        "this returns as soon as the text is queued (wait_until_spoken=true waits until it has been spoken and says how it went). With forcefully_interrupt=true the current speech stops, queued speech is discarded, and this text is spoken at once. " +
        "Texts up to 5000 characters.")]
    public async Task<string> Speak(
        [Description("The words to say, in plain text.")] string text,
        [Description("true to stop current speech, drop queued speech and speak immediately; false (default) to wait for your turn.")] bool forcefully_interrupt = false,
        [Description("true to return only after the text was spoken (or interrupted); false (default) to return once it is queued.")] bool wait_until_spoken = false,
        CancellationToken cancellationToken = default)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            throw new McpException("text is empty: give the words to say.");
        }
        if (text.Length > MaxTextLength)
        {
            throw new McpException($"text is {text.Length} characters long; the limit is {MaxTextLength} (about five minutes of speech). Split it into several speak calls.");
        }
        if (!wait_until_spoken)
        {
            var queued = await speech.QueueAsync(text, forcefully_interrupt, cancellationToken);
            return queued.Ahead == 0
                ? "Queued: speaking now."
                : $"Queued behind {queued.Ahead} other speech request(s); it will be spoken in order.";
        }
        var result = await speech.SpeakAsync(text, forcefully_interrupt, cancellationToken);
        return result.Outcome switch
        {
            SpeechOutcome.Spoken => string.Create(CultureInfo.InvariantCulture,
                $"Said it ({result.AudioSeconds:0.0} s of audio, {result.Chunks} chunk(s), voice: {result.Engines})."),
            SpeechOutcome.Interrupted => string.Create(CultureInfo.InvariantCulture,
                $"Interrupted by {result.Error ?? "a forceful speak request"} after {result.ChunksPlayed} of {result.Chunks} chunk(s) ({result.AudioSeconds:0.0} s spoken)."),
            SpeechOutcome.Dropped => $"Not said: {result.Error ?? "a forceful speak request"} cleared the queue before this text's turn.",
            _ => throw new McpException($"Could not speak: {result.Error}"),
        };
    }
}
