namespace GridExchange.PeerSimulator.Faults;

/// <summary>What to do to one call, decided when it arrives.</summary>
/// <param name="CallNumber">1 for the first call the simulator served, then 2, 3, ...</param>
/// <param name="Latency">Delay before handling.</param>
/// <param name="BlackHole">Never answer; wait until the caller cancels.</param>
/// <param name="Drop">Fail with UNAVAILABLE at once.</param>
/// <param name="Error">Fail with this error and RetryInfo, or null.</param>
/// <param name="RetryAfter">The RetryInfo delay of <paramref name="Error"/>.</param>
/// <param name="ResetAfterMessages">For a server stream: reset it after this many messages; null: never.</param>
/// <param name="SlowRead">Delay between streamed messages.</param>
public sealed record FaultDecision(
    long CallNumber,
    TimeSpan Latency,
    bool BlackHole,
    bool Drop,
    InjectedError? Error,
    TimeSpan RetryAfter,
    int? ResetAfterMessages,
    TimeSpan SlowRead)
{
    /// <summary>Whether the call is handled normally (latency and stream faults aside).</summary>
    public bool Passes => !BlackHole && !Drop && Error is null;
}

/// <summary>
/// Decides the faults of each call from the current <see cref="FaultSettings"/> and a PRNG seeded
/// with <see cref="FaultSettings.Seed"/>. Every call draws the same four numbers whatever the
/// settings, so the n-th call's fate depends only on the seed, n and the probabilities: tests
/// replay a run exactly, and changing one probability does not reshuffle the others.
/// </summary>
public sealed class FaultPolicy
{
    private readonly Lock _gate = new();
    private FaultSettings _settings;
    private Random _random;
    private long _calls;

    /// <summary>Creates the policy with <paramref name="settings"/> (none: no faults).</summary>
    public FaultPolicy(FaultSettings? settings = null)
    {
        _settings = settings ?? FaultSettings.None;
        _settings.Validate();
        _random = new Random(_settings.Seed);
    }

    /// <summary>The settings in force.</summary>
    public FaultSettings Settings
    {
        get
        {
            lock (_gate)
            {
                return _settings;
            }
        }
    }

    /// <summary>Calls decided so far.</summary>
    public long Calls
    {
        get
        {
            lock (_gate)
            {
                return _calls;
            }
        }
    }

    /// <summary>
    /// Replaces the settings. The PRNG restarts from the new seed and the call count from 0 (so
    /// <see cref="FaultSettings.BlackHoleAfterCalls"/> counts from now): a test that sets faults
    /// gets the same sequence of decisions whatever ran before.
    /// </summary>
    /// <exception cref="ArgumentException">A value is out of range; nothing changes.</exception>
    public void Update(FaultSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        settings.Validate();
        lock (_gate)
        {
            _settings = settings;
            _random = new Random(settings.Seed);
            _calls = 0;
        }
    }

    /// <summary>Decides the fate of the next call.</summary>
    public FaultDecision Next()
    {
        lock (_gate)
        {
            var s = _settings;
            var call = ++_calls;
            var blackHoleDraw = _random.NextDouble();
            var dropDraw = _random.NextDouble();
            var errorDraw = _random.NextDouble();
            var resetDraw = _random.NextDouble();
            var blackHole = blackHoleDraw < s.BlackHoleProbability || (s.BlackHoleAfterCalls is { } after && call > after);
            var drop = !blackHole && dropDraw < s.DropProbability;
            InjectedError? error = !blackHole && !drop && errorDraw < s.ErrorProbability ? s.Error : null;
            int? reset = s.ResetAfterMessages is { } n && resetDraw < s.ResetProbability ? n : null;
            return new FaultDecision(
                call,
                TimeSpan.FromMilliseconds(s.LatencyMs),
                blackHole,
                drop,
                error,
                TimeSpan.FromMilliseconds(s.RetryAfterMs),
                reset,
                TimeSpan.FromMilliseconds(s.SlowReadMs));
        }
    }
}
