using System.Globalization;

namespace GridExchange.Benchmarks.Replicas;

/// <summary>The command line of the <c>replicas</c> mode: <c>replicas [--rows N] [--consumers K]</c>.</summary>
internal sealed record ReplicaOptions
{
    /// <summary>Changes per loaded batch and rows per pulled page.</summary>
    public const int BatchSize = 1000;

    /// <summary>The most replica processes started.</summary>
    public const int MaxReplicas = 3;

    /// <summary>Rows loaded once (rounded down to whole batches) and then pulled by every consumer.</summary>
    public int Rows { get; init; } = 30_000;

    /// <summary>Concurrent consumers, each pulling the whole feed, spread over the replicas.</summary>
    public int Consumers { get; init; } = 6;

    /// <summary>Parses the arguments after <c>replicas</c>; null (after printing usage) when they are wrong.</summary>
    public static ReplicaOptions? Parse(IReadOnlyList<string> args)
    {
        ArgumentNullException.ThrowIfNull(args);
        var options = new ReplicaOptions();
        for (var i = 0; i < args.Count; i++)
        {
            switch (args[i])
            {
                case "--rows" when i + 1 < args.Count && int.TryParse(args[i + 1], NumberStyles.None, CultureInfo.InvariantCulture, out var rows) && rows >= BatchSize:
                    options = options with { Rows = rows / BatchSize * BatchSize };
                    i++;
                    break;
                case "--consumers" when i + 1 < args.Count && int.TryParse(args[i + 1], NumberStyles.None, CultureInfo.InvariantCulture, out var consumers) && consumers is >= 1 and <= 64:
                    options = options with { Consumers = consumers };
                    i++;
                    break;
                default:
                    Console.Error.WriteLine("usage: GridExchange.Benchmarks replicas [--rows N (>= 1000)] [--consumers K (1-64)]");
                    return null;
            }
        }

        return options;
    }
}
