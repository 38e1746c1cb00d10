using System.Collections.Concurrent;
using GridExchange.V1;

namespace GridExchange.Hub.Sync;

/// <summary>
/// What this replica knows of its own runs, in memory: which links it is running now and what
/// its last run of each did. Durable, shared state (positions, last success and error, failures,
/// lag) is in the store's <c>sync_links</c>; "running on any replica" comes from the scheduler's
/// lock (<see cref="SyncLocks"/>); the circuit breaker's state is per replica (<see cref="PeerPipelines"/>).
/// </summary>
internal sealed class SyncRuntime
{
    private readonly ConcurrentDictionary<(string PeerId, SyncDirection Link), LinkRuntime> _links = new();

    /// <summary>A run of the link started here.</summary>
    public void Started(string peerId, SyncDirection link, string runId) =>
        _links.AddOrUpdate((peerId, link), _ => new LinkRuntime(runId, true, null, null), (_, old) => old with { RunId = runId, Running = true });

    /// <summary>A run of the link ended here, with its result or its error.</summary>
    public void Finished(string peerId, SyncDirection link, LinkRunResult? result, string? error) =>
        _links.AddOrUpdate((peerId, link), _ => new LinkRuntime("", true, result, error), (_, old) => old with { LastResult = result, LastError = error });

    /// <summary>The run is over (whatever happened).</summary>
    public void Ended(string peerId, SyncDirection link) =>
        _links.AddOrUpdate((peerId, link), _ => new LinkRuntime("", false, null, null), (_, old) => old with { Running = false });

    /// <summary>This replica's view of the link; null if it never ran it.</summary>
    public LinkRuntime? Of(string peerId, SyncDirection link) => _links.TryGetValue((peerId, link), out var state) ? state : null;
}

/// <summary>A link as this replica last ran it.</summary>
/// <param name="RunId">The job id of the run.</param>
/// <param name="Running">Whether it is running here now.</param>
/// <param name="LastResult">What the last run did, when it succeeded.</param>
/// <param name="LastError">Why the last run failed, when it did.</param>
internal sealed record LinkRuntime(string RunId, bool Running, LinkRunResult? LastResult, string? LastError);
