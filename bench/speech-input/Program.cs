using System.Diagnostics;
using System.Globalization;
using RosaOS.Speech.Audio;
using RosaOS.Speech.Input;

// Prints figures for docs/speech-input.md. Audio: espeak-ng speech alternating with 2 s of faint noise, 60 s in all.
var root = args.Length > 0 ? args[0] : Directory.GetCurrentDirectory();
var tools = Environment.GetEnvironmentVariable("ROSAOS_TOOLS_DIR") ?? Path.Combine(root, ".tools");
var model = SileroVoiceActivityDetector.DefaultModelPath(tools);
CultureInfo.DefaultThreadCurrentCulture = CultureInfo.InvariantCulture;

float[] Say(string text)
{
    var path = Path.GetTempFileName();
    try
    {
        var start = new ProcessStartInfo("espeak-ng") { RedirectStandardError = true };
        foreach (var a in new[] { "-v", "en-us", "-s", "140", "-w", path, text })
        {
            start.ArgumentList.Add(a);
        }
        using var p = Process.Start(start)!;
        p.WaitForExit();
        return AudioMath.ToSpeechRate(WavAudio.Parse(File.ReadAllBytes(path)));
    }
    finally
    {
        File.Delete(path);
    }
}

var random = new Random(1);
float[] Noise(double seconds) => Enumerable.Range(0, (int)(seconds * 16000)).Select(_ => (float)((random.NextDouble() - 0.5) * 0.004)).ToArray();
var phrases = new[] { "hello", "what do you see", "turn left and look at the table", "take a picture of the person in front of you" };
var audio = new List<float>();
for (var i = 0; audio.Count < 60 * 16000; i++)
{
    audio.AddRange(Say(phrases[i % phrases.Length]));
    audio.AddRange(Noise(2));
}
var samples = audio.Take(60 * 16000).ToArray();
var seconds = samples.Length / 16000.0;
Console.WriteLine($"audio: {seconds:0} s of espeak-ng speech and noise at 16 kHz");

var before = GC.GetTotalMemory(true);
var ws0 = Environment.WorkingSet;
using (var silero = new SileroVoiceActivityDetector(model))
{
    Console.WriteLine($"silero session: +{(Environment.WorkingSet - ws0) / 1048576.0:0.0} MiB working set, +{(GC.GetTotalMemory(true) - before) / 1024.0:0} KiB managed");
    for (var i = 0; i + 512 <= 16000; i += 512)
    {
        silero.Window(samples.AsSpan(i, 512)); // warm-up
    }
    silero.Reset();
    var windows = samples.Length / 512;
    var times = new double[windows];
    var sw = new Stopwatch();
    for (var w = 0; w < windows; w++)
    {
        sw.Restart();
        silero.Window(samples.AsSpan(w * 512, 512));
        times[w] = sw.Elapsed.TotalMicroseconds;
    }
    Array.Sort(times);
    var total = times.Sum() / 1e6;
    Console.WriteLine($"silero window (32 ms of audio): p50 {times[windows / 2]:0} us, p99 {times[(int)(windows * 0.99)]:0} us, max {times[^1]:0} us; real-time factor {total / seconds:0.0000} ({seconds / total:0}x faster than real time)");

    silero.Reset();
    var segmenter = new UtteranceSegmenter(silero, new SegmenterOptions());
    sw.Restart();
    var utterances = 0;
    for (var i = 0; i < samples.Length; i += 1600)
    {
        utterances += segmenter.Push(samples.AsSpan(i, Math.Min(1600, samples.Length - i))).Count;
    }
    Console.WriteLine($"segmenter + silero over {seconds:0} s: {sw.Elapsed.TotalMilliseconds:0} ms, {utterances} utterances");
}

var energy = new EnergyVoiceActivityDetector();
var swe = Stopwatch.StartNew();
for (var i = 0; i + 4800 <= samples.Length; i += 4800)
{
    energy.IsSpeech(samples.AsSpan(i, 4800));
}
Console.WriteLine($"energy VAD over {seconds:0} s: {swe.Elapsed.TotalMilliseconds:0.00} ms");

var tenSeconds = Noise(10).Select((x, i) => x + (float)Math.Sin(i * 0.1)).ToArray();
var at22k = AudioMath.Resample(tenSeconds, 16000, 22050);
var swr = Stopwatch.StartNew();
AudioMath.Resample(at22k, 22050, 16000);
Console.WriteLine($"resample 10 s 22.05 kHz -> 16 kHz (windowed sinc, 32 taps): {swr.Elapsed.TotalMilliseconds:0} ms");

var sphinx = new PocketSphinxTranscriber("hello");
foreach (var phrase in new[] { "hello", "what do you see" })
{
    var clip = new AudioClip([.. Noise(0.3), .. Say(phrase), .. Noise(1.5)], 16000);
    var runs = new List<double>();
    var text = "";
    for (var r = 0; r < 5; r++)
    {
        var s = Stopwatch.StartNew();
        text = await sphinx.TranscribeAsync(clip, CancellationToken.None);
        runs.Add(s.Elapsed.TotalMilliseconds);
    }
    runs.Sort();
    Console.WriteLine($"pocketsphinx \"{phrase}\" ({clip.DurationSeconds:0.0} s): median {runs[2]:0} ms -> \"{text}\"");
}
