using System.Diagnostics;
using System.Globalization;
using GridExchange.Seeds.Cli;

namespace GridExchange.Seeds;

internal static class Program
{
    public static async Task<int> Main(string[] args)
    {
        if (!CommandLine.TryParse(args, out var options, out var error))
        {
            if (!string.IsNullOrEmpty(error))
            {
                await Console.Error.WriteLineAsync(error);
            }

            await Console.Error.WriteLineAsync(CommandLine.Usage);
            return string.IsNullOrEmpty(error) ? 0 : 2;
        }

        using var cts = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) =>
        {
            e.Cancel = true;
            cts.Cancel();
        };

        var stopwatch = Stopwatch.StartNew();
        var progress = new SynchronousProgress(file => Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{stopwatch.Elapsed:hh\\:mm\\:ss} {file.Name,-20} {file.Lines,10:N0} records  {new FileInfo(Path.Combine(options.OutputDirectory, file.Name)).Length / 1024.0 / 1024.0,8:F1} MiB")));
        try
        {
            var manifest = await SeedGenerator.GenerateAsync(options, progress, cts.Token);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Done in {stopwatch.Elapsed:hh\\:mm\\:ss}: {manifest.Files.Count} files in {options.OutputDirectory}"));
            foreach (var (type, count) in manifest.Totals)
            {
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {type,-30} {count,14:N0}"));
            }

            return 0;
        }
        catch (OperationCanceledException)
        {
            await Console.Error.WriteLineAsync("Cancelled.");
            return 130;
        }
        catch (ArgumentException e)
        {
            await Console.Error.WriteLineAsync(e.Message);
            return 2;
        }
    }

    // Progress<T> posts to the thread pool; console lines should appear as files complete.
    private sealed class SynchronousProgress(Action<SeedFile> report) : IProgress<SeedFile>
    {
        private readonly Lock _gate = new();

        public void Report(SeedFile value)
        {
            lock (_gate)
            {
                report(value);
            }
        }
    }
}
