using System.CommandLine;
using RosaOS.Hosting;

namespace RosaOS.Simulator;

/// <summary>The `rosa sim` sub-command.</summary>
public static class SimCommand
{
    /// <summary>Builds the command with its options and action.</summary>
    public static Command Create()
    {
        var port = new Option<int>("--port") { Description = "HTTP port of the daemon API.", DefaultValueFactory = _ => 8000 };
        var host = new Option<string>("--host") { Description = "Address to bind (loopback by default).", DefaultValueFactory = _ => "127.0.0.1" };
        var robotName = new Option<string>("--robot-name") { Description = "Robot name reported in the daemon status.", DefaultValueFactory = _ => "reachy_mini" };
        var noWake = new Option<bool>("--no-wake-up-on-start") { Description = "Stay in the sleep pose at start (the daemon wakes up by default)." };
        var sleepOnStop = new Option<bool>("--goto-sleep-on-stop") { Description = "Play the sleep sequence before exiting on Ctrl-C/SIGTERM." };
        var noAutostart = new Option<bool>("--no-autostart") { Description = "Do not start the backend; POST /api/daemon/start does." };
        var noMedia = new Option<bool>("--no-media") { Description = "Report no camera or audio (camera_specs_name \"\")." };
        var dataset = new Option<string[]>("--dataset")
        {
            Description = "Map a dataset name to a folder of <move>.json files, e.g. pollen-robotics/reachy-mini-emotions-library=DIR (repeatable).",
            Arity = ArgumentArity.ZeroOrMore,
        };
        var datasets = new Option<string[]>("--datasets")
        {
            Description = "A folder holding <owner>/<name>/ datasets or a Hugging Face cache (repeatable).",
            Arity = ArgumentArity.ZeroOrMore,
        };
        var sounds = new Option<string?>("--sounds") { Description = "Folder of the daemon's built-in sounds (wake_up.wav, go_sleep.wav, …); default: an installed reachy_mini Python package's assets." };
        var noCheckoutData = new Option<bool>("--no-checkout-data") { Description = "Ignore ../shared/data beside a checkout: fetch the emotions from the Hub as on a fresh machine." };
        var command = new Command("sim", "Run the simulated Reachy Mini daemon (the real daemon's API on port 8000).")
        {
            port, host, robotName, noWake, sleepOnStop, noAutostart, noMedia, dataset, datasets, sounds, noCheckoutData,
        };
        command.SetAction(async (result, cancellationToken) =>
        {
            // Hand System.CommandLine its task before any work: its SIGTERM handler dereferences that task, and a
            // signal arriving while the action still runs synchronously would otherwise kill the process (exit 143).
            await Task.Yield();
            var options = new SimOptions
            {
                Port = result.GetValue(port),
                Host = result.GetValue(host) ?? "127.0.0.1",
                RobotName = result.GetValue(robotName) ?? "reachy_mini",
                WakeUpOnStart = !result.GetValue(noWake),
                GotoSleepOnStop = result.GetValue(sleepOnStop),
                Autostart = !result.GetValue(noAutostart),
                NoMedia = result.GetValue(noMedia),
                SoundsDirectory = result.GetValue(sounds) is { } s ? Path.GetFullPath(s) : null,
            };
            foreach (var mapping in result.GetValue(dataset) ?? [])
            {
                var eq = mapping.IndexOf('=', StringComparison.Ordinal);
                if (eq <= 0 || eq == mapping.Length - 1)
                {
                    await Console.Error.WriteLineAsync($"rosa sim: --dataset expects NAME=DIR, got '{mapping}'.");
                    return 2;
                }
                options.DatasetMappings[mapping[..eq]] = Path.GetFullPath(mapping[(eq + 1)..]);
            }
            foreach (var root in result.GetValue(datasets) ?? [])
            {
                options.DatasetRoots.Add(Path.GetFullPath(root));
            }
            if (!result.GetValue(noCheckoutData))
            {
                AddCheckoutDefault(options);
            }
            return await SimHost.RunAsync(options, cancellationToken);
        });
        return command;
    }

    // From a checkout with ../shared/data beside it, the emotions test data stands in for the Hub dataset.
    private static void AddCheckoutDefault(SimOptions options)
    {
        const string Emotions = "pollen-robotics/reachy-mini-emotions-library";
        if (options.DatasetMappings.ContainsKey(Emotions))
        {
            return;
        }
        var shared = Path.GetFullPath(Path.Combine(RosaEnvironment.RepositoryRoot, "..", "shared", "data", "reachy-mini-emotions-library"));
        if (Directory.Exists(shared))
        {
            options.DatasetMappings[Emotions] = shared;
        }
    }
}
