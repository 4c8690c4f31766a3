using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using RosaOS.Speech.Input;
using RosaOS.Testing;

namespace RosaOS.Speech.Tests.Input;

public sealed class SpeechLoopTests : IAsyncLifetime
{
    private static readonly HttpClient s_http = new();
    private ScriptedTranscriptionServer _whisper = null!;
    private SttListener _kernel = null!;

    public async ValueTask InitializeAsync()
    {
        _whisper = await ScriptedTranscriptionServer.StartAsync();
        _kernel = await SttListener.StartAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await _whisper.DisposeAsync();
        await _kernel.DisposeAsync();
    }

    private sealed class Running(SpeechLoop loop, CancellationTokenSource stop, Task run) : IAsyncDisposable
    {
        public SpeechLoop Loop => loop;

        public async ValueTask DisposeAsync()
        {
            await stop.CancelAsync();
            await run.WaitAsync(TestTimeouts.Shutdown);
            Assert.Equal(SpeechLoopState.Stopped, loop.Status.State);
            stop.Dispose();
        }
    }

    private Running Start(IAudioSource microphone, ISpeechRobot robot, ISpeechToText stt, TimeSpan? followUp = null)
    {
        var options = new SpeechLoopOptions { CallbackUrl = _kernel.Url, FollowUpTimeout = followUp ?? TimeSpan.FromSeconds(20) };
        var loop = new SpeechLoop(microphone, new SileroVoiceActivityDetector(VoiceActivityTests.ModelPath), stt, robot, s_http, options,
            NullLogger<SpeechLoop>.Instance);
        var stop = new CancellationTokenSource();
        return new Running(loop, stop, loop.RunAsync(stop.Token));
    }

    private OpenAiTranscriber Whisper() => new(s_http, new TranscriptionOptions { BaseUrl = _whisper.BaseUrl, ApiKey = "gsk_test" });

    private static CancellationToken Effect => CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken).Token;

    private static async Task<T> Within<T>(Task<T> task) => await task.WaitAsync(TestTimeouts.Effect, TestContext.Current.CancellationToken);

    private static async Task Within(Task task) => await task.WaitAsync(TestTimeouts.Effect, TestContext.Current.CancellationToken);

    [Fact]
    public async Task Wake_word_turns_toward_the_voice_listens_and_posts_the_next_utterance()
    {
        var mic = new ScriptedMicrophone();
        var robot = new RecordingRobot(mic, doaDegrees: 60);
        await using var loop = Start(mic, robot, Whisper());

        _whisper.ReplyText("Hello.");
        mic.Say("hello");
        var wake = await Within(_whisper.Received.ReadAsync(Effect).AsTask());
        Assert.Equal(16000, wake.Audio.SampleRate);
        Assert.Equal(1, wake.Channels);
        Assert.Equal(16, wake.BitsPerSample);
        var hello = SpeechSamples.Say("hello").Length / 16000.0;
        // Speech + pre-roll + the 1.5 s of silence that ended it, within a chunk or two.
        Assert.InRange(wake.Audio.DurationSeconds, hello + 1.2, hello + 2.6);

        await Within(robot.ListeningStarted.Task);
        // DoA 60° (30° to the robot's left) → yaw = 90 − 60 = +30°.
        Assert.Equal(30.0, Assert.Single(robot.Turns), 6);
        // The robot hears "start listening" an instant before the loop records its own state.
        await Poll.UntilAsync(() => Task.FromResult(loop.Loop.Status.State == SpeechLoopState.Listening), "the loop to be listening");
        Assert.False(robot.ListeningStopped.Task.IsCompleted);

        _whisper.ReplyText("What do you see?");
        mic.Say("what do you see");
        Assert.Equal("What do you see?", await Within(_kernel.Texts.ReadAsync(Effect).AsTask()));
        Assert.True(robot.ListeningStopped.Task.IsCompleted, "the listening pose stops once the request is posted");
        var request = _whisper.All[1];
        Assert.InRange(request.Audio.DurationSeconds, SpeechSamples.Say("what do you see").Length / 16000.0 + 1.2, 6);
        Assert.Equal(1, loop.Loop.Status.WakeUps);
        await Poll.UntilAsync(() => Task.FromResult(loop.Loop.Status.Posted == 1), "the post is counted");
    }

    [Fact]
    public async Task Without_the_wake_word_nothing_moves_and_nothing_is_posted()
    {
        var mic = new ScriptedMicrophone();
        var robot = new RecordingRobot(mic, doaDegrees: 150);
        await using var loop = Start(mic, robot, Whisper());
        _whisper.ReplyText("Othello is a play.");
        mic.Say("othello is a play");
        await Within(_whisper.Received.ReadAsync(Effect).AsTask());
        await Poll.UntilAsync(() => Task.FromResult(loop.Loop.Status.LastTranscript is not null), "transcript recorded");
        Assert.Empty(robot.Turns);
        Assert.Equal(0, loop.Loop.Status.WakeUps);
        Assert.Equal(SpeechLoopState.WaitingForWakeWord, loop.Loop.Status.State);
        Assert.Equal(0, _kernel.Requests);
    }

    [Fact]
    public async Task Offline_pocketsphinx_alone_wakes_the_robot_and_takes_a_command()
    {
        var mic = new ScriptedMicrophone();
        var robot = new RecordingRobot(mic, doaDegrees: 150);
        await using var loop = Start(mic, robot, new PocketSphinxTranscriber("hello"));
        mic.Say("hello");
        await Within(robot.ListeningStarted.Task);
        // DoA 150° (right) → yaw −60°.
        Assert.Equal(-60.0, Assert.Single(robot.Turns), 6);
        mic.Say("what do you see");
        Assert.Equal("what do you see", await Within(_kernel.Texts.ReadAsync(Effect).AsTask()));
    }

    [Fact]
    public async Task Faults_are_survived_missing_microphone_failing_service_robot_and_kernel()
    {
        var mic = new ScriptedMicrophone(failFirstOpens: 2);
        var robot = new RecordingRobot(mic, doaDegrees: 90) { FailMoves = true };
        await using var loop = Start(mic, robot, Whisper(), followUp: TimeSpan.FromSeconds(3));

        // The device is missing twice, then appears: the loop reopens it with backoff.
        await Poll.UntilAsync(() => Task.FromResult(loop.Loop.Status.Capturing), "capturing after the device appears");
        Assert.Equal(3, mic.Opens);

        // The transcription service fails for good (4xx) and there is no offline engine: the utterance is dropped.
        _whisper.ReplyStatus(401, """{"error":{"message":"Invalid API Key"}}""");
        mic.Say("hello");
        await Poll.UntilAsync(() => Task.FromResult(loop.Loop.Status.LastError?.Contains("Invalid API Key", StringComparison.Ordinal) == true),
            "the transcription fault is reported");
        Assert.Equal(0, loop.Loop.Status.WakeUps);

        // The robot cannot move (daemon down): the wake word still opens listening; nobody speaks → back to waiting after 3 s.
        _whisper.ReplyText("hello");
        mic.Say("hello");
        await Within(robot.ListeningStarted.Task);
        Assert.Contains("move_to_audio", loop.Loop.Status.LastError, StringComparison.Ordinal);
        await Within(robot.ListeningStopped.Task);
        await Poll.UntilAsync(() => Task.FromResult(loop.Loop.Status.State == SpeechLoopState.WaitingForWakeWord), "the loop to wait for the wake word again");

        // The kernel answers 503 twice, then accepts: the transcript is retried, not lost.
        robot.FailMoves = false;
        robot.ResetListening();
        _kernel.FailNext(503);
        _kernel.FailNext(503);
        _whisper.ReplyText("Hello, what do you see?");
        mic.Say("hello what do you see");
        Assert.Equal("what do you see", await Within(_kernel.Texts.ReadAsync(Effect).AsTask()));
        Assert.Equal(3, _kernel.Requests);
        // One utterance, one idempotency key on every attempt: the kernel journals it once even if an answer is lost.
        var keys = _kernel.Keys.TakeLast(3).ToList();
        Assert.StartsWith("stt:", keys[0], StringComparison.Ordinal);
        Assert.All(keys, k => Assert.Equal(keys[0], k));
        await Poll.UntilAsync(() => Task.FromResult(loop.Loop.Status.Posted == 1), "the post is counted");
    }

    [Fact]
    public void Bad_options_are_refused()
    {
        Assert.ThrowsAny<ArgumentException>(() => new SpeechLoopOptions { WakeWord = "  " }.Validate());
        Assert.ThrowsAny<ArgumentException>(() => new SpeechLoopOptions { CallbackUrl = new Uri("file:///tmp/x") }.Validate());
        Assert.ThrowsAny<ArgumentException>(() => new SpeechLoopOptions { QueueCapacity = 0 }.Validate());
        Assert.ThrowsAny<ArgumentException>(() => new SpeechLoopOptions { FollowUpTimeout = TimeSpan.FromSeconds(-1) }.Validate());
    }

    [Theory]
    [InlineData(90, 0)]
    [InlineData(60, 30)]
    [InlineData(0, 90)]
    [InlineData(180, -90)]
    [InlineData(270, -180)]
    [InlineData(300, 150)]
    [InlineData(-30, 120)]
    [InlineData(450, 0)]
    public void Doa_angle_becomes_head_yaw_with_the_original_formula(double doa, double yaw)
        => Assert.Equal(yaw, MoveToAudio.HeadYawDegrees(doa), 9);
}
