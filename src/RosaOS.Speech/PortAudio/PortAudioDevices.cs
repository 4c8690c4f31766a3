using System.Runtime.InteropServices;

namespace RosaOS.Speech.PortAudio;

/// <summary>An audio device as PortAudio reports it.</summary>
public sealed record AudioDevice(int Index, string Name, int MaxInputChannels, int MaxOutputChannels, double DefaultSampleRate);

/// <summary>A PortAudio call failed, or the library or a device is missing.</summary>
public sealed class PortAudioException : Exception
{
    public PortAudioException()
    {
    }

    public PortAudioException(string message) : base(message)
    {
    }

    public PortAudioException(string message, Exception innerException) : base(message, innerException)
    {
    }
}

/// <summary>Lists PortAudio devices and finds them by name (the robot's USB audio is "Reachy Mini Audio").</summary>
public static class PortAudioDevices
{
    /// <summary>Every device; empty on a machine without a sound card. Throws <see cref="PortAudioException"/> when libportaudio2 is missing.</summary>
    public static IReadOnlyList<AudioDevice> List()
    {
        using var session = PortAudioSession.Open();
        var count = PortAudioNative.GetDeviceCount();
        var devices = new List<AudioDevice>();
        for (var i = 0; i < count; i++)
        {
            var pointer = PortAudioNative.GetDeviceInfo(i);
            if (pointer == IntPtr.Zero)
            {
                continue;
            }
            var info = Marshal.PtrToStructure<PortAudioNative.DeviceInfo>(pointer);
            devices.Add(new AudioDevice(i, Marshal.PtrToStringUTF8(info.Name) ?? "", info.MaxInputChannels, info.MaxOutputChannels, info.DefaultSampleRate));
        }
        return devices;
    }

    /// <summary>The first device whose name contains <paramref name="name"/> (case-insensitive) and that has the wanted direction.</summary>
    public static AudioDevice Find(string name, bool output)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        var devices = List();
        return devices.FirstOrDefault(d => d.Name.Contains(name, StringComparison.OrdinalIgnoreCase) && (output ? d.MaxOutputChannels : d.MaxInputChannels) > 0)
            ?? throw new PortAudioException($"No {(output ? "output" : "input")} audio device named like '{name}'. Devices: "
                + (devices.Count == 0 ? "none (no sound card)" : string.Join(", ", devices.Select(d => $"'{d.Name}'"))) + ".");
    }
}

/// <summary>Pa_Initialize/Pa_Terminate pair (PortAudio reference-counts them).</summary>
internal readonly struct PortAudioSession : IDisposable
{
    public static PortAudioSession Open()
    {
        int error;
        try
        {
            error = PortAudioNative.Initialize();
        }
        catch (DllNotFoundException e)
        {
            throw new PortAudioException(PortAudioNative.MissingAdvice, e);
        }
        if (error != 0)
        {
            throw new PortAudioException("Pa_Initialize failed: " + PortAudioNative.ErrorText(error));
        }
        return default;
    }

    public void Dispose() => _ = PortAudioNative.Terminate();
}
