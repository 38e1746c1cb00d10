namespace GridExchange.PeerSimulator.Faults;

/// <summary>Which status an injected error carries.</summary>
public enum InjectedError
{
    /// <summary>UNAVAILABLE, reason SERVICE_UNAVAILABLE, with RetryInfo.</summary>
    Unavailable = 0,

    /// <summary>RESOURCE_EXHAUSTED, reason RATE_LIMITED, with RetryInfo.</summary>
    ResourceExhausted = 1,

    /// <summary>PERMISSION_DENIED, reason ROLE_NOT_GRANTED, no RetryInfo: a refusal a caller must not retry.</summary>
    PermissionDenied = 2,

    /// <summary>INVALID_ARGUMENT, reason INVALID_FORMAT, no RetryInfo: a refusal a caller must not retry.</summary>
    InvalidArgument = 3,
}

/// <summary>
/// The faults a simulator injects into the calls it serves. Immutable: the command line sets the
/// first value, <see cref="FaultPolicy.Update"/> (in-process or the admin endpoint) replaces it
/// at run time. Durations are in milliseconds so the JSON of the admin endpoint stays plain.
/// </summary>
public sealed record FaultSettings
{
    /// <summary>No faults at all.</summary>
    public static FaultSettings None { get; } = new();

    /// <summary>Seed of the decisions: the same seed and the same call order give the same faults.</summary>
    public int Seed { get; init; } = 1;

    /// <summary>Delay added before every call is handled.</summary>
    public int LatencyMs { get; init; }

    /// <summary>Probability (0–1) that a call fails with plain UNAVAILABLE before anything is done.</summary>
    public double DropProbability { get; init; }

    /// <summary>Probability (0–1) that a call fails with <see cref="Error"/> carrying RetryInfo.</summary>
    public double ErrorProbability { get; init; }

    /// <summary>The status of an injected error.</summary>
    public InjectedError Error { get; init; }

    /// <summary>The RetryInfo delay an injected error asks for.</summary>
    public int RetryAfterMs { get; init; } = 1000;

    /// <summary>Probability (0–1) that a call is accepted and never answered until the caller gives up.</summary>
    public double BlackHoleProbability { get; init; }

    /// <summary>When set, every call after the first N the simulator served is black-holed (the link "goes dead").</summary>
    public int? BlackHoleAfterCalls { get; init; }

    /// <summary>When set, a server stream is reset (HTTP/2 RST_STREAM) right after this many messages.</summary>
    public int? ResetAfterMessages { get; init; }

    /// <summary>Probability (0–1) that a stream with <see cref="ResetAfterMessages"/> set is in fact reset.</summary>
    public double ResetProbability { get; init; } = 1;

    /// <summary>Delay before each streamed message after the first (a slow reader or a slow line).</summary>
    public int SlowReadMs { get; init; }

    /// <summary>Throws when a value is out of range, so a typo in the admin JSON is refused instead of half-applied.</summary>
    public void Validate()
    {
        static void Probability(double value, string name)
        {
            if (double.IsNaN(value) || value is < 0 or > 1)
            {
                throw new ArgumentException($"{name} must be between 0 and 1.", name);
            }
        }

        Probability(DropProbability, nameof(DropProbability));
        Probability(ErrorProbability, nameof(ErrorProbability));
        Probability(BlackHoleProbability, nameof(BlackHoleProbability));
        Probability(ResetProbability, nameof(ResetProbability));
        if (LatencyMs < 0 || RetryAfterMs < 0 || SlowReadMs < 0 || BlackHoleAfterCalls < 0 || ResetAfterMessages < 0)
        {
            throw new ArgumentException("Durations and counts must not be negative.");
        }

        if (!Enum.IsDefined(Error))
        {
            throw new ArgumentException("Error must be Unavailable, ResourceExhausted, PermissionDenied or InvalidArgument.", nameof(Error));
        }
    }
}
