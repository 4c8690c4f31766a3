using System.Diagnostics;
using System.Globalization;
using System.Text;
using OpenCvSharp;

namespace RosaOS.Vision;

/// <summary>
/// What can be said about an image without a vision model (issue 18): the faces and the people known among them,
/// printed text read by Debian's tesseract OCR when it is installed, and the dominant colours. The answer says a
/// vision model would describe more.
/// </summary>
public static class OfflineDescriber
{
    /// <summary>Longest OCR run; a page of text takes well under a second.</summary>
    public static readonly TimeSpan OcrTimeout = TimeSpan.FromSeconds(20);

    /// <summary>Most characters of OCR text quoted back.</summary>
    public const int MaxTextChars = 600;

    /// <summary>A sentence for the model: faces, text, colours, and what a vision model would add.</summary>
    public static async Task<string> DescribeAsync(string path, Mat frame, IReadOnlyList<DetectedFace> faces, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(frame);
        ArgumentNullException.ThrowIfNull(faces);
        var text = new StringBuilder("No vision model is configured, so this is what rosaOS finds offline. ");
        if (faces.Count == 0)
        {
            text.Append("No face. ");
        }
        else
        {
            var known = faces.Where(f => f.Name is not null).Select(f => f.Name!).Distinct().ToList();
            text.Append(CultureInfo.InvariantCulture, $"{faces.Count} face(s)")
                .Append(known.Count > 0 ? $", known: {string.Join(", ", known)}" : ", no one known")
                .Append(". ");
        }
        var (ocr, why) = await ReadTextAsync(path, cancellationToken);
        text.Append(ocr switch
        {
            null => $"Text: not read ({why}). ",
            "" => "No readable text. ",
            _ => $"Text read: \"{ocr}\". ",
        });
        text.Append("Dominant colours: ").Append(string.Join(", ", DominantColours(frame).Select(c => string.Create(CultureInfo.InvariantCulture, $"{c.Name} {c.Share:P0}")))).Append(". ");
        text.Append("A vision model would describe the scene itself: ").Append(Model.VisionModelOptions.HowToConfigure);
        return text.ToString();
    }

    /// <summary>Named colours covering at least 8 % of the picture, largest first (at most four).</summary>
    public static IReadOnlyList<(string Name, double Share)> DominantColours(Mat frame)
    {
        ArgumentNullException.ThrowIfNull(frame);
        using var small = new Mat();
        Cv2.Resize(frame, small, new Size(64, 64), 0, 0, InterpolationFlags.Area);
        using var bgr = small.Channels() == 1 ? small.CvtColor(ColorConversionCodes.GRAY2BGR) : small.Clone();
        using var hsv = bgr.CvtColor(ColorConversionCodes.BGR2HSV);
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        int rows = hsv.Rows, cols = hsv.Cols;
        for (var y = 0; y < rows; y++)
        {
            for (var x = 0; x < cols; x++)
            {
                var p = hsv.At<Vec3b>(y, x);
                var name = Name(p.Item0, p.Item1, p.Item2);
                counts[name] = counts.GetValueOrDefault(name) + 1;
            }
        }
        double total = rows * cols;
        return [.. counts.Select(kv => (kv.Key, kv.Value / total)).Where(c => c.Item2 >= 0.08).OrderByDescending(c => c.Item2).Take(4)];
    }

    // OpenCV hue is 0..179 (degrees / 2).
    private static string Name(byte h, byte s, byte v)
        => v < 50 ? "black"
            : s < 40 ? (v > 200 ? "white" : "grey")
            : h < 8 || h >= 170 ? "red"
            : h < 20 ? (v < 150 ? "brown" : "orange")
            : h < 33 ? "yellow"
            : h < 85 ? "green"
            : h < 100 ? "cyan"
            : h < 130 ? "blue"
            : h < 155 ? "purple"
            : "pink";

    /// <summary>The text tesseract reads ("" when none), or null and why when it cannot run.</summary>
    public static async Task<(string? Text, string Why)> ReadTextAsync(string path, CancellationToken cancellationToken)
    {
        var tesseract = FindOnPath("tesseract");
        if (tesseract is null)
        {
            return (null, "tesseract is not installed; scripts/install.sh installs Debian's tesseract-ocr");
        }
        using var process = new Process
        {
            StartInfo = new ProcessStartInfo(tesseract)
            {
                ArgumentList = { path, "stdout", "--psm", "3" },
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            },
        };
        // One thread for OCR: tesseract's OpenMP threads would otherwise take every core of a small robot computer.
        process.StartInfo.Environment["OMP_THREAD_LIMIT"] = "1";
        try
        {
            process.Start();
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            return (null, "tesseract could not start: " + ex.Message);
        }
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(OcrTimeout);
        var stderr = process.StandardError.ReadToEndAsync(timeout.Token);
        try
        {
            var buffer = new char[MaxTextChars * 4];
            var read = await process.StandardOutput.ReadBlockAsync(buffer.AsMemory(), timeout.Token);
            await process.WaitForExitAsync(timeout.Token);
            await stderr;
            if (process.ExitCode != 0)
            {
                return (null, $"tesseract exited with {process.ExitCode}");
            }
            var words = string.Join(' ', new string(buffer, 0, read).Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries));
            return (words.Length > MaxTextChars ? words[..MaxTextChars] + "…" : words, "");
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return (null, $"tesseract took over {OcrTimeout.TotalSeconds:0} s");
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }
    }

    private static string? FindOnPath(string name)
    {
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            foreach (var candidate in OperatingSystem.IsWindows() ? [Path.Combine(dir, name + ".exe")] : new[] { Path.Combine(dir, name) })
            {
                if (File.Exists(candidate))
                {
                    return candidate;
                }
            }
        }
        return null;
    }
}
