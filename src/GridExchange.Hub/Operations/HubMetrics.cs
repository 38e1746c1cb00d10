using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using GridExchange.V1;

namespace GridExchange.Hub.Operations;

/// <summary>
/// The hub's own metrics, meter <see cref="MeterName"/> (exported with ASP.NET Core's, Kestrel's
/// and Polly's on the Prometheus scrape endpoint and over OTLP; see <see cref="Telemetry"/>):
/// <list type="bullet">
/// <item><c>gridexchange.ingest.changes</c> — changes a batch brought, by <c>result</c> (applied, duplicate, stale, rejected) and <c>path</c> (submit, pull);</item>
/// <item><c>gridexchange.ingest.rejects</c> — rejected changes by <c>reason</c> (as ErrorInfo names it, e.g. INVALID_CHECK_DIGIT);</item>
/// <item><c>gridexchange.feed.changes_served</c> — changes sent to consumers, by <c>rpc</c> (pull, subscribe, snapshot);</item>
/// <item><c>gridexchange.feed.subscribers</c> — SubscribeChanges streams open on this replica;</item>
/// <item><c>gridexchange.sync.runs</c> — sync runs by <c>peer</c>, <c>link</c>, <c>outcome</c> (succeeded, failed);</item>
/// <item><c>gridexchange.sync.lag_changes</c>, <c>gridexchange.sync.lag_seconds</c> — each link's lag after its last run on this replica, by <c>peer</c> and <c>link</c>.</item>
/// </list>
/// Traces: activity source <see cref="ActivitySourceName"/> (one span per sync run), beside ASP.NET
/// Core's span per call.
/// </summary>
internal sealed class HubMetrics : IDisposable
{
    /// <summary>The meter's name.</summary>
    public const string MeterName = "GridExchange.Hub";

    /// <summary>The activity source of the hub's own spans.</summary>
    public const string ActivitySourceName = "GridExchange.Hub";

    private readonly Meter _meter;
    private readonly Counter<long> _ingested;
    private readonly Counter<long> _rejects;
    private readonly Counter<long> _served;
    private readonly UpDownCounter<long> _subscribers;
    private readonly Counter<long> _runs;
    private readonly ConcurrentDictionary<(string Peer, SyncDirection Link), (long Changes, long Seconds)> _lag = new();

    /// <summary>Creates the instruments on a meter of <paramref name="meters"/>.</summary>
    public HubMetrics(IMeterFactory meters)
    {
        ArgumentNullException.ThrowIfNull(meters);
        _meter = meters.Create(MeterName);
        _ingested = _meter.CreateCounter<long>("gridexchange.ingest.changes", "{change}", "Changes brought by submitted and pulled batches, by result.");
        _rejects = _meter.CreateCounter<long>("gridexchange.ingest.rejects", "{change}", "Rejected changes, by reason.");
        _served = _meter.CreateCounter<long>("gridexchange.feed.changes_served", "{change}", "Changes sent to consumers, by RPC.");
        _subscribers = _meter.CreateUpDownCounter<long>("gridexchange.feed.subscribers", "{stream}", "SubscribeChanges streams open on this replica.");
        _runs = _meter.CreateCounter<long>("gridexchange.sync.runs", "{run}", "Sync runs, by peer, link and outcome.");
        _meter.CreateObservableGauge("gridexchange.sync.lag_changes", () => Lag(l => l.Changes), "{change}",
            "Changes behind after the link's last run on this replica.");
        _meter.CreateObservableGauge("gridexchange.sync.lag_seconds", () => Lag(l => l.Seconds), "s",
            "Seconds behind after the link's last run on this replica.");
        Activities = new ActivitySource(ActivitySourceName);
    }

    /// <summary>The source of the hub's own spans.</summary>
    public ActivitySource Activities { get; }

    /// <summary>Counts what one batch brought (nothing for the stored answer of a repeated request).</summary>
    public void Ingested(SubmitChangesResponse response, bool repeated, string path)
    {
        ArgumentNullException.ThrowIfNull(response);
        if (repeated)
        {
            return;
        }

        var tag = new KeyValuePair<string, object?>("path", path);
        Add(_ingested, response.AppliedCount, "applied", tag);
        Add(_ingested, response.DuplicateCount, "duplicate", tag);
        Add(_ingested, response.StaleCount, "stale", tag);
        Add(_ingested, response.RejectedCount, "rejected", tag);
        foreach (var result in response.Results)
        {
            if (result.Status == ChangeResultStatus.Rejected)
            {
                _rejects.Add(1, new KeyValuePair<string, object?>("reason", GridExchange.Domain.Ingest.ErrorReasonCodes.ToReason(result.Reason)));
            }
        }
    }

    /// <summary>Counts changes sent to a consumer by <paramref name="rpc"/> (pull, subscribe, snapshot).</summary>
    public void Served(int changes, string rpc)
    {
        if (changes > 0)
        {
            _served.Add(changes, new KeyValuePair<string, object?>("rpc", rpc));
        }
    }

    /// <summary>A SubscribeChanges stream opened (+1) or closed (-1).</summary>
    public void Subscribers(int delta) => _subscribers.Add(delta);

    /// <summary>Counts a sync run and keeps its lag for the gauges.</summary>
    public void SyncRun(string peerId, SyncDirection link, bool succeeded, long lagChanges, long lagSeconds)
    {
        _runs.Add(1, new("peer", peerId), new("link", LinkName(link)), new("outcome", succeeded ? "succeeded" : "failed"));
        if (succeeded)
        {
            _lag[(peerId, link)] = (lagChanges, lagSeconds);
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        Activities.Dispose();
        _meter.Dispose();
    }

    /// <summary>The metric tag value of a link: pull, push, directives.</summary>
    public static string LinkName(SyncDirection link) => link switch
    {
        SyncDirection.Pull => "pull",
        SyncDirection.Push => "push",
        SyncDirection.Directives => "directives",
        _ => "unspecified",
    };

    private static void Add(Counter<long> counter, long value, string result, KeyValuePair<string, object?> path)
    {
        if (value > 0)
        {
            counter.Add(value, new KeyValuePair<string, object?>("result", result), path);
        }
    }

    private IEnumerable<Measurement<long>> Lag(Func<(long Changes, long Seconds), long> pick) =>
        _lag.Select(entry => new Measurement<long>(pick(entry.Value),
            new KeyValuePair<string, object?>("peer", entry.Key.Peer), new KeyValuePair<string, object?>("link", LinkName(entry.Key.Link))));
}
