namespace GridExchange.Hub.Sync;

/// <summary>
/// Settings of the sync engine, section <c>GridExchange:Sync</c>. Every outbound call to a peer
/// goes through the peer's resilience pipeline, outermost first: concurrency limit, total timeout,
/// retry (transient codes only, RetryInfo honoured), circuit breaker, per-attempt timeout.
/// </summary>
public sealed class SyncOptions
{
    /// <summary>Schedule the peers' recurring sync jobs and run them (off: TriggerSync still enqueues runs).</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>
    /// The bearer token the hub presents to peers (<c>authorization: Bearer …</c>), as configured
    /// at the peers; <see cref="PeerTokens"/> overrides it per peer id. Empty: no header.
    /// </summary>
    public string PeerToken { get; set; } = "";

    /// <summary>Per-peer bearer tokens by peer id (e.g. <c>GridExchange__Sync__PeerTokens__county-370602</c>).</summary>
    public Dictionary<string, string> PeerTokens { get; set; } = new(StringComparer.Ordinal);

    /// <summary>
    /// Per-attempt timeout in milliseconds: one unary call (ReceiveChanges), or the wait for the
    /// next message of an ExportChanges stream (an idle stream, not a long one, is given up).
    /// </summary>
    public int AttemptTimeoutMs { get; set; } = 15_000;

    /// <summary>Total timeout of one call with all its retries, in milliseconds.</summary>
    public int TotalTimeoutMs { get; set; } = 60_000;

    /// <summary>Retries of a call after a transient failure (0: none).</summary>
    public int MaxRetries { get; set; } = 4;

    /// <summary>First back-off delay in milliseconds; doubles per retry, with jitter.</summary>
    public int RetryBaseDelayMs { get; set; } = 500;

    /// <summary>Longest back-off delay, and the cap on a peer's RetryInfo, in milliseconds.</summary>
    public int RetryMaxDelayMs { get; set; } = 30_000;

    /// <summary>Circuit breaker: share of failed calls in the sampling window that opens it (0–1).</summary>
    public double BreakerFailureRatio { get; set; } = 0.5;

    /// <summary>Circuit breaker: fewest calls in the window before it may open.</summary>
    public int BreakerMinimumThroughput { get; set; } = 6;

    /// <summary>Circuit breaker: sampling window in milliseconds.</summary>
    public int BreakerSamplingMs { get; set; } = 30_000;

    /// <summary>Circuit breaker: how long it stays open before a trial call, in milliseconds.</summary>
    public int BreakerBreakMs { get; set; } = 30_000;

    /// <summary>Most calls in flight to one peer at once (its links share them); more wait in a queue.</summary>
    public int MaxConcurrentCallsPerPeer { get; set; } = 2;

    /// <summary>Calls that may wait for one of those slots; beyond, a call is rejected (retried by the next run).</summary>
    public int MaxQueuedCallsPerPeer { get; set; } = 8;

    /// <summary>Changes asked per ExportChanges message (the peer may send fewer; at most 1,000).</summary>
    public int PullBatchSize { get; set; } = 500;

    /// <summary>Changes per pushed ReceiveChanges batch (at most 1,000; batches are also kept under 4 MiB).</summary>
    public int PushBatchSize { get; set; } = 500;

    /// <summary>
    /// Longest a run of one link goes on, in milliseconds; it then stops at a batch boundary and
    /// the next run continues from the committed position (the link's lock does not expire under
    /// a running run: <see cref="SyncLocks"/>).
    /// </summary>
    public int MaxRunMs { get; set; } = 300_000;

    /// <summary>
    /// How often one run reopens a stream that broke after making progress (each reopening
    /// resumes from the last committed checkpoint and does not use up the retries).
    /// </summary>
    public int MaxResumesPerRun { get; set; } = 200;

    /// <summary>
    /// Live mode (<c>SYNC_MODE_LIVE</c>): how long one live cycle of a link lasts, in milliseconds —
    /// a followed ExportChanges stream is reopened after it, a sink's link re-reads the log at least
    /// that often. Each cycle holds the link's lock and records its outcome in the link's status.
    /// </summary>
    public int LiveCycleMs { get; set; } = 60_000;

    /// <summary>Live mode: how often each replica looks for live links no replica keeps open, in milliseconds.</summary>
    public int LiveScanMs { get; set; } = 5_000;

    /// <summary>How often the recurring jobs are reconciled with the registry besides start-up and AdminService changes (cron, UTC+8).</summary>
    public string ReconcileSchedule { get; set; } = "*/5 * * * *";

    internal TimeSpan AttemptTimeout => TimeSpan.FromMilliseconds(Math.Max(1, AttemptTimeoutMs));

    internal TimeSpan TotalTimeout => TimeSpan.FromMilliseconds(Math.Max(1, TotalTimeoutMs));

    internal TimeSpan MaxRun => TimeSpan.FromMilliseconds(Math.Max(1, MaxRunMs));

    internal TimeSpan LiveCycle => TimeSpan.FromMilliseconds(Math.Max(100, LiveCycleMs));

    internal TimeSpan LiveScan => TimeSpan.FromMilliseconds(Math.Max(50, LiveScanMs));

    /// <summary>The token for <paramref name="peerId"/>, or empty.</summary>
    internal string TokenFor(string peerId) => PeerTokens.TryGetValue(peerId, out var token) ? token : PeerToken;
}
