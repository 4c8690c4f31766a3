using System.Text.Json;
using RosaOS.ReachyMini.Geometry;
using RosaOS.Simulator.Robot;

namespace RosaOS.Simulator.Datasets;

/// <summary>
/// A recorded move (emotion, dance) of a dataset: <c>{description, time[], set_target_data[{head 4×4, antennas[2], body_yaw}]}</c>,
/// played by linear interpolation between samples with a geodesic SLERP of the head (the daemon's <c>RecordedMove</c>).
/// </summary>
internal sealed class RecordedMove : IMove
{
    private readonly double[] _time;
    private readonly double[][] _heads;
    private readonly double[][] _antennas;
    private readonly double[] _bodyYaw;

    private RecordedMove(string name, string description, double[] time, double[][] heads, double[][] antennas, double[] bodyYaw, string? soundPath)
    {
        Name = name;
        Description = description;
        _time = time;
        _heads = heads;
        _antennas = antennas;
        _bodyYaw = bodyYaw;
        SoundPath = soundPath;
        var dt = (time[^1] - time[0]) / time.Length;
        Duration = time.Length * dt;
    }

    public string Name { get; }
    public string Description { get; }
    public string? SoundPath { get; }
    public double Duration { get; }
    public int SampleCount => _time.Length;

    /// <summary>Sample i: head pose, antennas, body yaw (for tests and tools).</summary>
    public (double[] Head, double[] Antennas, double BodyYaw, double Time) Sample(int i) => (_heads[i], _antennas[i], _bodyYaw[i], _time[i]);

    public MoveSample Evaluate(double t)
    {
        // bisect_right(time, t)
        var lo = 0;
        var hi = _time.Length;
        while (lo < hi)
        {
            var mid = (lo + hi) >> 1;
            if (t < _time[mid])
            {
                hi = mid;
            }
            else
            {
                lo = mid + 1;
            }
        }
        var prev = Math.Max(lo - 1, 0);
        var next = lo < _time.Length ? lo : prev;
        var span = _time[next] - _time[prev];
        var alpha = span == 0 ? 0 : Math.Clamp((t - _time[prev]) / span, 0, 1);
        var head = Interpolation.Pose(_heads[prev], _heads[next], alpha);
        double[] antennas =
        [
            _antennas[prev][0] + ((_antennas[next][0] - _antennas[prev][0]) * alpha),
            _antennas[prev][1] + ((_antennas[next][1] - _antennas[prev][1]) * alpha),
        ];
        return new MoveSample(head, antennas, _bodyYaw[prev] + ((_bodyYaw[next] - _bodyYaw[prev]) * alpha));
    }

    /// <summary>Reads and checks a move file; throws <see cref="InvalidDataException"/> naming the problem.</summary>
    public static RecordedMove Load(string path, string name, string? soundPath)
    {
        using var stream = File.OpenRead(path);
        using var doc = JsonDocument.Parse(stream);
        var root = doc.RootElement;
        var description = root.TryGetProperty("description", out var d) && d.ValueKind == JsonValueKind.String ? d.GetString() ?? "" : "";
        if (!root.TryGetProperty("time", out var timeElement) || timeElement.ValueKind != JsonValueKind.Array
            || !root.TryGetProperty("set_target_data", out var data) || data.ValueKind != JsonValueKind.Array)
        {
            throw new InvalidDataException($"{path}: a recorded move needs 'time' and 'set_target_data' arrays.");
        }
        var time = timeElement.EnumerateArray().Select(e => e.GetDouble()).ToArray();
        var n = data.GetArrayLength();
        if (n == 0 || n != time.Length)
        {
            throw new InvalidDataException($"{path}: 'time' has {time.Length} values and 'set_target_data' {n}; they must match and be non-empty.");
        }
        var heads = new double[n][];
        var antennas = new double[n][];
        var bodyYaw = new double[n];
        var i = 0;
        foreach (var sample in data.EnumerateArray())
        {
            var head = new double[16];
            var k = 0;
            foreach (var row in sample.GetProperty("head").EnumerateArray())
            {
                foreach (var v in row.EnumerateArray())
                {
                    if (k < 16)
                    {
                        head[k] = v.GetDouble();
                    }
                    k++;
                }
            }
            if (k != 16)
            {
                throw new InvalidDataException($"{path}: sample {i} has a head that is not 4×4.");
            }
            heads[i] = head;
            antennas[i] = sample.TryGetProperty("antennas", out var a) && a.ValueKind == JsonValueKind.Array && a.GetArrayLength() == 2
                ? [a[0].GetDouble(), a[1].GetDouble()]
                : [0.0, 0.0];
            bodyYaw[i] = sample.TryGetProperty("body_yaw", out var b) && b.ValueKind == JsonValueKind.Number ? b.GetDouble() : 0.0;
            i++;
        }
        return new RecordedMove(name, description, time, heads, antennas, bodyYaw, soundPath);
    }
}
