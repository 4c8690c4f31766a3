using RosaOS.Speech.PortAudio;
using RosaOS.Speech.Playback;

namespace RosaOS.Speech.Tests;

/// <summary>
/// The PortAudio binding against Debian's real libportaudio.so.2. This machine has no sound card, so the
/// tests check the library loads, devices are listed, and a missing robot device is a clear error.
/// </summary>
public sealed class PortAudioTests
{
    [Fact]
    public void List_LoadsTheLibrary_AndEveryDeviceHasANameAndADirection()
    {
        var devices = PortAudioDevices.List();

        Assert.All(devices, d =>
        {
            Assert.False(string.IsNullOrWhiteSpace(d.Name));
            Assert.True(d.MaxInputChannels + d.MaxOutputChannels > 0, d.Name);
        });
    }

    [Fact]
    public void Find_MissingRobotDevice_SaysWhichDevicesExist()
    {
        var e = Assert.Throws<PortAudioException>(() => PortAudioDevices.Find("Reachy Mini Audio", output: true));

        Assert.Contains("Reachy Mini Audio", e.Message, StringComparison.Ordinal);
        Assert.Contains("Devices:", e.Message, StringComparison.Ordinal);
        Assert.False(PortAudioSink.HasDevice("Reachy Mini Audio"));
    }

    [Fact]
    public async Task Sink_WithoutTheDevice_FailsClearly()
    {
        var sink = new PortAudioSink("Reachy Mini Audio");
        var audio = Audio.WavAudio.FromSamples(new float[1600], 16000, 1);

        var e = await Assert.ThrowsAsync<PortAudioException>(() => sink.PlayAsync(audio, "hi", TestContext.Current.CancellationToken));

        Assert.Contains("No output audio device", e.Message, StringComparison.Ordinal);
    }
}
