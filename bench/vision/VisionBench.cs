#:project ../../src/RosaOS.Vision/RosaOS.Vision.csproj
#:property PublishAot=false

// Vision benchmark: the simulated head camera's frame rate at the served resolution, and the cost of the
// face work the tools and the speech loop do per frame. Run: bench/vision/run.sh
using System.Diagnostics;
using OpenCvSharp;
using RosaOS.Vision.Faces;
using RosaOS.Vision.Room;

var pictures = args.Length > 0 ? args[0] : Path.Combine(
    Environment.GetEnvironmentVariable("ROSAOS_TOOLS_DIR") is { Length: > 0 } tools ? tools : Path.Combine(AppContext.GetData("EntryPointFileDirectoryPath") as string ?? ".", "../../.tools"),
    "skimage");
var seconds = args.Length > 1 ? double.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 5;

var build = Stopwatch.StartNew();
using var room = VirtualRoom.Create(pictures);
Console.WriteLine($"room built: panorama {room.PanoramaWidth}x{room.PanoramaWidth / 2} in {build.ElapsedMilliseconds} ms, memory {GC.GetTotalMemory(false) / 1e6:0.0} MB managed, {Environment.WorkingSet / 1e6:0} MB working set");
using var detector = new FaceDetector();
var face = new CameraOrientation(0.49, -0.07, 0);

double Rate(Action<int> action, out double msPerOp)
{
    action(0); // warm-up
    var watch = Stopwatch.StartNew();
    var n = 0;
    while (watch.Elapsed.TotalSeconds < seconds)
    {
        action(++n);
    }
    msPerOp = watch.Elapsed.TotalMilliseconds / n;
    return n / watch.Elapsed.TotalSeconds;
}

// A moving head: every frame is a new orientation, so nothing comes from the cache.
var fps = Rate(i => room.RenderJpeg(new CameraOrientation(0.49 + (i * 1e-4), -0.07, 0)), out var msFrame);
Console.WriteLine($"render + JPEG 1280x720 (moving head): {fps:0.0} frames/s, {msFrame:0.0} ms/frame");
var still = Rate(_ => room.RenderJpeg(face), out var msStill);
Console.WriteLine($"still head (cached frame): {still:0} frames/s");
using var frame = room.Render(face);
var jpeg = room.RenderJpeg(face);
Console.WriteLine($"JPEG size at quality 85: {jpeg.Length / 1024.0:0.0} KiB");
Rate(_ => detector.DetectFaces(frame), out var msDetect);
Console.WriteLine($"Haar face detection on a 1280x720 frame: {msDetect:0.0} ms");
Rate(_ => detector.IsMakingEyeContact(frame), out var msEye);
Console.WriteLine($"eye-contact check (face + eyes): {msEye:0.0} ms");
var people = Path.Combine(Path.GetTempPath(), "rosa-bench-people-" + Guid.NewGuid().ToString("N")[..8]);
try
{
    using var registry = new PeopleRegistry(people, detector);
    var shot = Path.Combine(Path.GetTempPath(), "rosa-bench-shot.jpg");
    File.WriteAllBytes(shot, jpeg);
    var save = Stopwatch.StartNew();
    registry.Save(shot, "Bench");
    Console.WriteLine($"save_image_person (copy + retrain, 1 picture): {save.ElapsedMilliseconds} ms");
    Rate(_ => registry.Recognize(frame), out var msRecognize);
    Console.WriteLine($"detect + LBPH recognise: {msRecognize:0.0} ms");
}
finally
{
    Directory.Delete(people, recursive: true);
}
Console.WriteLine($"machine: {Environment.ProcessorCount} vCPU, .NET {Environment.Version}, {System.Runtime.InteropServices.RuntimeInformation.OSDescription}");
