using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using System.Text;
using Google.Protobuf.WellKnownTypes;
using GridExchange.Domain.Codes;
using GridExchange.Domain.Feed;
using GridExchange.Domain.Ingest;
using GridExchange.PeerSimulator.Services;
using GridExchange.Seeds;
using GridExchange.Storage;
using GridExchange.Storage.Protection;
using GridExchange.Storage.Sqlite;
using GridExchange.V1;

namespace GridExchange.PeerSimulator.Source;

/// <summary>
/// A county system's own data: the hub's embedded store (<see cref="SqliteHubStore"/>) in a file
/// of the simulator's, filled from the county's seed file through the hub's validator, and
/// changed only through <see cref="SubmitAsync"/>. Its change log is the ordered, resumable
/// history <see cref="ExportAsync"/> serves as PeerService.ExportChanges.
/// </summary>
public sealed class CountySource : IAsyncDisposable
{
    private const int SeedBatchSize = 1000;

    private readonly SqliteHubStore _store;
    private readonly TimeProvider _clock;

    private CountySource(SqliteHubStore store, string sourceSystem, string regionCode, string epoch, TimeProvider clock)
    {
        _store = store;
        SourceSystem = sourceSystem;
        RegionCode = regionCode;
        Epoch = epoch;
        _clock = clock;
    }

    /// <summary>The store (tests read it; only <see cref="SubmitAsync"/> writes it).</summary>
    public IHubStore Store => _store;

    /// <summary>The system that owns the county's records.</summary>
    public string SourceSystem { get; }

    /// <summary>The county's 12-digit code.</summary>
    public string RegionCode { get; }

    /// <summary>The store's epoch: every checkpoint names it, so one from another database is refused.</summary>
    public string Epoch { get; }

    /// <summary>
    /// Opens (creating and migrating) the store at <paramref name="databasePath"/>; an empty one
    /// is filled from the county's file in <paramref name="seedDirectory"/> when given.
    /// </summary>
    /// <exception cref="InvalidDataException">The seed folder has no file for the county, or a seed record breaks a rule.</exception>
    public static async Task<CountySource> OpenAsync(
        string databasePath, string regionCode, string? sourceSystem, string? seedDirectory, TimeProvider clock, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(clock);
        SeedManifest? manifest = null;
        SeedFile? file = null;
        if (seedDirectory is not null)
        {
            manifest = SeedReader.LoadManifest(seedDirectory);
            file = manifest.Files.FirstOrDefault(f => f.RegionCode == regionCode)
                ?? throw new InvalidDataException($"The seed folder {seedDirectory} has no file for county {regionCode}.");
        }

        var owner = sourceSystem ?? file?.SourceSystem ?? $"sim-{regionCode[..6]}";
        var store = new SqliteHubStore(databasePath, PayloadProtection.Create(SimulatorKeys.Options()), clock);
        try
        {
            await store.MigrateAsync(cancellationToken);
            var head = await store.GetFeedHeadAsync(cancellationToken);
            var source = new CountySource(store, owner, regionCode, head.Epoch, clock);
            if (file is not null && await store.IsEmptyAsync(cancellationToken))
            {
                await source.LoadSeedAsync(Path.Combine(seedDirectory!, file.Name), cancellationToken);
            }

            return source;
        }
        catch
        {
            await store.DisposeAsync();
            throw;
        }
    }

    /// <summary>
    /// Validates <paramref name="changes"/> with the hub's <see cref="ChangeValidator"/> (as the
    /// county's own system would before committing) and commits them as one batch.
    /// </summary>
    /// <returns>The commit: the outcome (applied, duplicate, stale, rejected) of every change.</returns>
    /// <exception cref="ArgumentException">A change is invalid; nothing is committed.</exception>
    public async Task<IngestCommit> SubmitAsync(IReadOnlyList<Change> changes, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(changes);
        var jurisdiction = new SourceJurisdiction(SourceSystem, RegionCode);
        var valid = new List<ValidChange>(changes.Count);
        foreach (var change in changes)
        {
            var check = ChangeValidator.Validate(change, jurisdiction, _clock);
            if (!check.IsValid)
            {
                throw new ArgumentException($"Change {change.SourceChangeId} ({change.EntityType} {change.EntityKey}) is invalid: {check.Reason}: {check.Message}", nameof(changes));
            }

            valid.Add(new ValidChange(valid.Count, check.Normalized, check.RegionCode, check.ParentKey));
        }

        var requestId = "local-" + Guid.NewGuid().ToString("N");
        var outcome = await _store.IngestAsync(
            new IngestBatch(SourceSystem, requestId, SHA256.HashData(Encoding.UTF8.GetBytes(requestId)), null, valid, _ => []),
            cancellationToken);
        return outcome.Commit ?? throw new InvalidOperationException("A fresh request id was answered from the store's memory.");
    }

    /// <summary>
    /// Serves ExportChanges after <paramref name="checkpoint"/> (peer_service.proto): empty starts a
    /// full export (SNAPSHOT batches, then SNAPSHOT_END), a checkpoint inside a full export
    /// continues it, then incremental CHANGES batches; with <paramref name="follow"/> it tails new
    /// changes and sends an empty heartbeat batch at least every <paramref name="heartbeat"/>.
    /// </summary>
    /// <exception cref="Grpc.Core.RpcException">FAILED_PRECONDITION, RESYNC_REQUIRED: the checkpoint is not one this store issued or can honour.</exception>
    public async IAsyncEnumerable<ExportChangesResponse> ExportAsync(
        string checkpoint, int maxBatch, bool follow, TimeSpan heartbeat, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(checkpoint);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxBatch, 1);
        var head = await _store.GetFeedHeadAsync(cancellationToken);
        ExportCheckpoint? position = null;
        if (checkpoint.Length > 0)
        {
            position = Resume(checkpoint, head);
        }

        if (position is null || position.Phase != ExportPhase.Changes)
        {
            var last = "";
            await foreach (var batch in FullExportAsync(position, maxBatch, cancellationToken))
            {
                last = batch.Checkpoint;
                yield return batch;
            }

            // SNAPSHOT_END's checkpoint is the export's point: incremental changes continue after
            // it, so every change made during the export is sent again as CHANGES (most of them
            // STALE at the hub, which already got the newer state in the export).
            ExportCheckpoint.TryDecode(last, out position);
        }

        await foreach (var batch in ChangesAsync(position.Sequence, maxBatch, follow, heartbeat, cancellationToken))
        {
            yield return batch;
        }
    }

    /// <summary>Live records and digest root per entity type, as of one consistent read.</summary>
    public async Task<PeerState> GetStateAsync(CancellationToken cancellationToken)
    {
        await using var view = await _store.OpenSnapshotAsync(cancellationToken);
        var root = Domain.Codes.RegionCode.TryParse(RegionCode, out var code) ? code : default;
        var records = new Dictionary<EntityType, long>();
        var digests = new Dictionary<EntityType, string>();
        foreach (var type in ExportCheckpoint.SnapshotTypes)
        {
            var entries = await view.ReadDigestEntriesAsync(type, root.Prefix, view.Head.LastSequence, cancellationToken);
            if (entries.Count == 0)
            {
                continue;
            }

            records[type] = entries.Count;
            digests[type] = DigestTree.Build(RegionCode, root.Prefix.Length, entries.Select(e => (e.Key, e.Version, e.RegionCode))).Hash;
        }

        return new PeerState(PeerRoleKind.Source, RegionCode, view.Head.LastSequence.ToString(System.Globalization.CultureInfo.InvariantCulture), records, digests, 0);
    }

    /// <inheritdoc />
    public ValueTask DisposeAsync() => _store.DisposeAsync();

    // The full export as of a point S (the log head when it starts): first the records unchanged
    // since S, then, walking the log from S to where it stood when that pass ended, the current
    // state of every record changed after S. A resumed export never loses a record: the first
    // pass's order cannot move under it, the second pass's log cannot either, and a record that
    // changed while the first pass was under way is caught by the second. SNAPSHOT_END carries S.
    private async IAsyncEnumerable<ExportChangesResponse> FullExportAsync(
        ExportCheckpoint? from, int maxBatch, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var buffer = new List<Change>(maxBatch);
        var position = from;
        if (position is null || position.Phase == ExportPhase.Records)
        {
            await using var view = await _store.OpenSnapshotAsync(cancellationToken);
            position ??= new ExportCheckpoint(Epoch, ExportPhase.Records, view.Head.LastSequence);
            var asOf = position.Sequence;
            for (var t = position.TypeIndex; t < ExportCheckpoint.SnapshotTypes.Count; t++)
            {
                var type = ExportCheckpoint.SnapshotTypes[t];
                EntityPosition? after = t == position.TypeIndex && position.Key.Length > 0 ? new EntityPosition(position.ScopeCode, position.Key) : null;
                position = position with { TypeIndex = t, ScopeCode = after?.ScopeCode ?? "", Key = after?.Key ?? "" };
                while (true)
                {
                    var page = await view.ReadAsync(type, "", after, maxBatch, cancellationToken);
                    foreach (var record in page)
                    {
                        after = new EntityPosition(record.ScopeCode, record.Key);
                        position = position with { ScopeCode = record.ScopeCode, Key = record.Key };
                        if (record.Sequence > asOf)
                        {
                            continue; // changed since the export's point: the second pass sends it
                        }

                        buffer.Add(SnapshotChange(record.Type, record.Key, record.Version, record.Payload));
                        if (buffer.Count == maxBatch)
                        {
                            yield return Batch(buffer, position, ExportBatchKind.Snapshot, caughtUp: false);
                            buffer = new List<Change>(maxBatch);
                        }
                    }

                    if (page.Count < maxBatch)
                    {
                        break;
                    }
                }
            }

            var until = (await _store.GetFeedHeadAsync(cancellationToken)).LastSequence;
            position = new ExportCheckpoint(Epoch, ExportPhase.Changed, asOf, Until: until, LogPosition: asOf);
        }

        var sent = new HashSet<(EntityType, string)>();
        while (position.LogPosition < position.Until)
        {
            var page = await _store.ReadFeedAsync(new FeedQuery(position.LogPosition, FeedScope.All, maxBatch), cancellationToken);
            if (page.Changes.Count == 0)
            {
                break;
            }

            foreach (var logged in page.Changes)
            {
                if (logged.Sequence > position.Until)
                {
                    break;
                }

                position = position with { LogPosition = logged.Sequence };
                if (!sent.Add((logged.Type, logged.Key)))
                {
                    continue;
                }

                var current = await _store.GetAsync(logged.Type, logged.Key, cancellationToken);
                if (current is null)
                {
                    continue; // deleted since: the hub deletes it at SNAPSHOT_END, or gets the DELETE as a change
                }

                buffer.Add(SnapshotChange(current.Type, current.Key, current.Version, current.Payload.Span));
                if (buffer.Count == maxBatch)
                {
                    yield return Batch(buffer, position, ExportBatchKind.Snapshot, caughtUp: false);
                    buffer = new List<Change>(maxBatch);
                }
            }

            if (page.Changes[^1].Sequence >= position.Until)
            {
                break;
            }
        }

        var head = await _store.GetFeedHeadAsync(cancellationToken);
        yield return Batch(buffer, ExportCheckpoint.After(Epoch, position.Sequence), ExportBatchKind.SnapshotEnd, caughtUp: head.LastSequence == position.Sequence);
    }

    private async IAsyncEnumerable<ExportChangesResponse> ChangesAsync(
        long after, int maxBatch, bool follow, TimeSpan heartbeat, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        // Whether the last message sent told the hub it is caught up; a stream always ends on one.
        var toldCaughtUp = false;
        var lastSent = _clock.GetTimestamp();
        while (true)
        {
            var page = await _store.ReadFeedAsync(new FeedQuery(after, FeedScope.All, maxBatch), cancellationToken);
            if (page.Changes.Count > 0 || page.Next != after || !toldCaughtUp)
            {
                after = page.Next;
                var batch = Batch(page.Changes.Select(ToChange).ToList(), ExportCheckpoint.After(Epoch, after), ExportBatchKind.Changes, page.CaughtUp);
                batch.PendingCount = Math.Max(0, page.Head.LastSequence - after);
                toldCaughtUp = page.CaughtUp;
                lastSent = _clock.GetTimestamp();
                yield return batch;
                if (!page.CaughtUp)
                {
                    continue;
                }
            }

            if (!follow)
            {
                yield break;
            }

            // The store's signal wakes us on commits in this process (the generator's); the
            // one-second cap re-reads anyway, so a missed pulse costs at most a second.
            var idle = _clock.GetElapsedTime(lastSent);
            var wait = heartbeat - idle;
            if (wait <= TimeSpan.Zero)
            {
                lastSent = _clock.GetTimestamp();
                yield return Batch([], ExportCheckpoint.After(Epoch, after), ExportBatchKind.Changes, caughtUp: true);
                continue;
            }

            await _store.Signal.WaitAsync(after, wait < TimeSpan.FromSeconds(1) ? wait : TimeSpan.FromSeconds(1), cancellationToken);
        }
    }

    private ExportChangesResponse Batch(List<Change> changes, ExportCheckpoint checkpoint, ExportBatchKind kind, bool caughtUp) => new()
    {
        Changes = { changes },
        Checkpoint = checkpoint.Encode(),
        CaughtUp = caughtUp,
        Kind = kind,
        SourceTime = Timestamp.FromDateTimeOffset(_clock.GetUtcNow()),
    };

    // A full export's record: its source_change_id names this store (epoch), the record and its
    // version, so a repeated export of an unchanged record is a DUPLICATE at the hub and two
    // databases of the county (after a reset) never reuse an id for different content.
    private Change SnapshotChange(EntityType type, string key, long version, ReadOnlySpan<byte> payload)
    {
        var keyHash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)))[..16];
        var change = new Change
        {
            EntityType = type,
            EntityKey = key,
            Operation = ChangeOperation.Upsert,
            EntityVersion = version,
            SourceChangeId = string.Create(System.Globalization.CultureInfo.InvariantCulture, $"snap-{Epoch[..12]}-{(int)type}-{version}-{keyHash}"),
        };
        Payloads.Set(change, type, payload);
        return change;
    }

    private static Change ToChange(LoggedChange logged)
    {
        var change = new Change
        {
            EntityType = logged.Type,
            EntityKey = logged.Key,
            Operation = logged.Operation,
            EntityVersion = logged.Version,
            SourceChangeId = logged.SourceChangeId,
        };
        if (logged.Payload is not null)
        {
            Payloads.Set(change, logged.Type, logged.Payload);
        }

        return change;
    }

    private async Task LoadSeedAsync(string path, CancellationToken cancellationToken)
    {
        var batch = new List<Change>(SeedBatchSize);
        await foreach (var change in SeedReader.ReadAsync(path, cancellationToken))
        {
            batch.Add(change);
            if (batch.Count == SeedBatchSize)
            {
                await SubmitAsync(batch, cancellationToken);
                batch = new List<Change>(SeedBatchSize);
            }
        }

        if (batch.Count > 0)
        {
            await SubmitAsync(batch, cancellationToken);
        }
    }

    private ExportCheckpoint Resume(string text, FeedHead head)
    {
        if (!ExportCheckpoint.TryDecode(text, out var position))
        {
            throw PeerErrors.ResyncRequired("The checkpoint was not issued by this county system; start over with an empty checkpoint.");
        }

        if (position.Epoch != head.Epoch)
        {
            throw PeerErrors.ResyncRequired("The checkpoint belongs to another database of this county system (reset or restored); start over with an empty checkpoint.");
        }

        var usable = position.Phase == ExportPhase.Changes
            ? head.CanResumeAfter(position.Sequence)
            : position.Sequence <= head.LastSequence && position.Until <= head.LastSequence && position.LogPosition <= Math.Max(position.Until, position.Sequence);
        return usable ? position : throw PeerErrors.ResyncRequired("The checkpoint lies beyond or before what this county system holds; start over with an empty checkpoint.");
    }
}
