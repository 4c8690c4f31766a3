using System.Text.Json.Nodes;

namespace RosaOS.Simulator.Api;

/// <summary>
/// The daemon's recording buffer: between <c>start_recording</c> and <c>stop_recording</c> it keeps the records the
/// SDK appends (one per <c>set_target</c>), then hands them out once as a <c>recorded_data</c> message.
/// </summary>
internal sealed class SdkRecording
{
    /// <summary>At most 10 minutes of SDK targets at 50 Hz; beyond that records are dropped (the daemon keeps all).</summary>
    public const int MaxRecords = 30_000;

    private readonly Lock _gate = new();
    private JsonArray _records = [];
    private bool _active;

    /// <summary>Records dropped because the buffer was full, since the last start.</summary>
    public int Dropped { get; private set; }

    /// <summary>True between start and stop.</summary>
    public bool IsRecording
    {
        get
        {
            lock (_gate)
            {
                return _active;
            }
        }
    }

    /// <summary>Clears the buffer and starts keeping records.</summary>
    public void Start()
    {
        lock (_gate)
        {
            _records = [];
            Dropped = 0;
            _active = true;
        }
    }

    /// <summary>Keeps a record while recording; false when it was dropped because the buffer is full.</summary>
    public bool Append(JsonObject record)
    {
        lock (_gate)
        {
            if (!_active)
            {
                // As the daemon: records outside a recording are ignored.
                return true;
            }
            if (_records.Count >= MaxRecords)
            {
                Dropped++;
                return false;
            }
            _records.Add(record.DeepClone());
            return true;
        }
    }

    /// <summary>Stops recording and returns the <c>recorded_data</c> message (empty data when nothing was recorded).</summary>
    public byte[] Stop()
    {
        JsonArray records;
        lock (_gate)
        {
            _active = false;
            (records, _records) = (_records, []);
        }
        return System.Text.Encoding.UTF8.GetBytes(new JsonObject { ["type"] = "recorded_data", ["data"] = records }.ToJsonString());
    }
}
