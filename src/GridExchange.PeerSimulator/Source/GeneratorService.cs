namespace GridExchange.PeerSimulator.Source;

/// <summary>
/// Runs the <see cref="ChangeGenerator"/> at <see cref="Rate"/> changes per second, committing
/// ten times a second what has come due, so the change log grows steadily as a county's would.
/// </summary>
public sealed class GeneratorService(CountySource source, ChangeGenerator generator, ILogger<GeneratorService> logger) : BackgroundService
{
    private double _rate;

    /// <summary>Changes per second; 0 pauses. May be changed while running.</summary>
    public double Rate
    {
        get => Volatile.Read(ref _rate);
        set => Volatile.Write(ref _rate, Math.Max(0, value));
    }

    /// <summary>Changes committed (applied or not) since start.</summary>
    public long Committed { get; private set; }

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await generator.InitializeAsync(stoppingToken);
        var due = 0.0;
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(100));
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            due += Rate / 10;
            var count = (int)Math.Min(due, 1000);
            if (count == 0)
            {
                continue;
            }

            due -= count;
            try
            {
                var changes = await generator.NextAsync(count, stoppingToken);
                if (changes.Count > 0)
                {
                    await source.SubmitAsync(changes, stoppingToken);
                    Committed += changes.Count;
                }
            }
            catch (ArgumentException e)
            {
                // A generated change the hub's rules refuse is a generator bug: say so, keep going.
                logger.LogError(e, "The change generator made an invalid change.");
            }
        }
    }
}
