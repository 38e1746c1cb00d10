using System.Globalization;
using Google.Protobuf;
using GridExchange.Domain.Feed;
using GridExchange.PeerSimulator.Source;
using GridExchange.Seeds;
using GridExchange.Storage;
using GridExchange.V1;
using Microsoft.Data.Sqlite;
using RegionCodeValue = GridExchange.Domain.Codes.RegionCode;

namespace GridExchange.PeerSimulator.Sink;

/// <summary>
/// A city system's copy of the data below it, in a SQLite file of its own: what the hub pushes
/// with PeerService.ReceiveChanges, applied with the position it came with in one transaction
/// (peer_service.proto: incremental batches chained by cursor, numbered reload batches), and
/// the directives delivered with ReceiveDirective. Calls are handled one at a time.
/// </summary>
/// <remarks>
/// Versions guard every record: an incremental change applies only above the version held (a
/// tombstone keeps its version), so nothing re-sent can roll a record back. A reload batch is
/// authoritative and replaces any other version. Records are stored as the hub sent them, never
/// re-validated: the hub may have masked fields the city is not granted.
/// </remarks>
public sealed class CitySink : IAsyncDisposable
{
    private readonly SqliteConnection _db;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly RegionCodeValue _region;

    private CitySink(SqliteConnection db, RegionCodeValue region)
    {
        _db = db;
        _region = region;
    }

    /// <summary>The sink's jurisdiction.</summary>
    public string RegionCode => _region.Value;

    /// <summary>
    /// Opens (creating) the sink's database; an empty one is filled from the seed files' records
    /// under the region (the city's copy before the hub ever pushed), holding no cursor yet.
    /// </summary>
    public static async Task<CitySink> OpenAsync(string databasePath, string regionCode, string? seedDirectory, CancellationToken cancellationToken)
    {
        if (!RegionCodeValue.TryParse(regionCode, out var region))
        {
            throw new ArgumentException($"{regionCode} is not a region code.", nameof(regionCode));
        }

        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(databasePath))!);
        var db = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = databasePath, Pooling = false }.ToString());
        await db.OpenAsync(cancellationToken);
        var sink = new CitySink(db, region);
        try
        {
            await sink.ExecuteAsync(null, """
                PRAGMA journal_mode = WAL;
                CREATE TABLE IF NOT EXISTS records (
                    entity_type INTEGER NOT NULL, entity_key TEXT NOT NULL, version INTEGER NOT NULL,
                    region_code TEXT NOT NULL, deleted INTEGER NOT NULL, payload BLOB,
                    PRIMARY KEY (entity_type, entity_key));
                CREATE TABLE IF NOT EXISTS position (
                    id INTEGER PRIMARY KEY CHECK (id = 1), cursor TEXT NOT NULL,
                    reload_id TEXT NOT NULL, batch_index INTEGER NOT NULL, reload_open INTEGER NOT NULL);
                INSERT OR IGNORE INTO position VALUES (1, '', '', 0, 0);
                CREATE TABLE IF NOT EXISTS reload_keys (entity_type INTEGER NOT NULL, entity_key TEXT NOT NULL, PRIMARY KEY (entity_type, entity_key));
                CREATE TABLE IF NOT EXISTS directives (
                    directive_id TEXT PRIMARY KEY, version INTEGER NOT NULL, payload BLOB NOT NULL,
                    receipts INTEGER NOT NULL, local_reference TEXT NOT NULL);
                CREATE TABLE IF NOT EXISTS directive_deliveries (request_id TEXT PRIMARY KEY, local_reference TEXT NOT NULL);
                CREATE TABLE IF NOT EXISTS directive_receipts (
                    directive_id TEXT NOT NULL, recipient_region_code TEXT NOT NULL, version INTEGER NOT NULL, payload BLOB NOT NULL,
                    PRIMARY KEY (directive_id, recipient_region_code));
                """, cancellationToken);
            if (seedDirectory is not null && await sink.ScalarAsync("SELECT COUNT(*) FROM records", cancellationToken) == 0)
            {
                await sink.LoadSeedAsync(seedDirectory, cancellationToken);
            }

            return sink;
        }
        catch
        {
            await db.DisposeAsync();
            throw;
        }
    }

    /// <summary>Handles one ReceiveChanges batch (see the comments on ReceiveChangesRequest and ReceiveStatus).</summary>
    public async Task<ReceiveChangesResponse> ReceiveAsync(ReceiveChangesRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        await _gate.WaitAsync(cancellationToken);
        try
        {
            await using var tx = (SqliteTransaction)await _db.BeginTransactionAsync(cancellationToken);
            var held = await ReadPositionAsync(tx, cancellationToken);
            var response = request.Kind == ReceiveBatchKind.Changes
                ? await ReceiveChangesAsync(tx, held, request, cancellationToken)
                : await ReceiveReloadAsync(tx, held, request, cancellationToken);
            await tx.CommitAsync(cancellationToken);
            return response;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>
    /// Records a delivered directive: a repeated delivery (same request id) changes nothing and
    /// gets the same answer; a newer version of a known directive replaces the older, and so does a
    /// newer version of each receipt; the local reference is assigned once per directive.
    /// </summary>
    public async Task<ReceiveDirectiveResponse> ReceiveDirectiveAsync(ReceiveDirectiveRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        await _gate.WaitAsync(cancellationToken);
        try
        {
            await using var tx = (SqliteTransaction)await _db.BeginTransactionAsync(cancellationToken);
            var earlier = await QueryTextAsync(tx, "SELECT local_reference FROM directive_deliveries WHERE request_id = @a", cancellationToken, request.RequestId);
            if (earlier is not null)
            {
                return new ReceiveDirectiveResponse { LocalReference = earlier };
            }

            var id = request.Directive.Meta.Id;
            var reference = await QueryTextAsync(tx, "SELECT local_reference FROM directives WHERE directive_id = @a", cancellationToken, id);
            if (reference is null)
            {
                var n = await ScalarAsync("SELECT COUNT(*) FROM directives", cancellationToken, tx) + 1;
                reference = string.Create(CultureInfo.InvariantCulture, $"RW-{_region.Prefix}-{n:D6}");
                await ExecuteAsync(tx, "INSERT INTO directives VALUES (@a, @b, @c, @d, @e)", cancellationToken,
                    id, request.Directive.Meta.Version, request.Directive.ToByteArray(), request.Receipts.Count, reference);
            }
            else
            {
                await ExecuteAsync(tx, "UPDATE directives SET version = @b, payload = @c, receipts = @d WHERE directive_id = @a AND version < @b", cancellationToken,
                    id, request.Directive.Meta.Version, request.Directive.ToByteArray(), request.Receipts.Count);
            }

            foreach (var receipt in request.Receipts)
            {
                await ExecuteAsync(tx, """
                    INSERT INTO directive_receipts VALUES (@a, @b, @c, @d)
                    ON CONFLICT (directive_id, recipient_region_code) DO UPDATE SET version = excluded.version, payload = excluded.payload
                    WHERE excluded.version > directive_receipts.version
                    """, cancellationToken, id, receipt.RecipientRegionCode, receipt.Meta?.Version ?? 0, receipt.ToByteArray());
            }

            await ExecuteAsync(tx, "INSERT INTO directive_deliveries VALUES (@a, @b)", cancellationToken, request.RequestId, reference);
            await tx.CommitAsync(cancellationToken);
            return new ReceiveDirectiveResponse { LocalReference = reference };
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>The hub cursor the sink holds ("" for none).</summary>
    public async Task<string> GetCursorAsync(CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            return (await ReadPositionAsync(null, cancellationToken)).Cursor;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Live records and digest root per entity type, the held cursor and the directives.</summary>
    public async Task<PeerState> GetStateAsync(CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            var byType = new Dictionary<EntityType, List<(string, long, string)>>();
            await using (var command = Command(null, "SELECT entity_type, entity_key, version, region_code FROM records WHERE deleted = 0"))
            await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
            {
                while (await reader.ReadAsync(cancellationToken))
                {
                    var type = (EntityType)reader.GetInt32(0);
                    if (!byType.TryGetValue(type, out var list))
                    {
                        byType[type] = list = [];
                    }

                    list.Add((reader.GetString(1), reader.GetInt64(2), reader.GetString(3)));
                }
            }

            var position = await ReadPositionAsync(null, cancellationToken);
            return new PeerState(
                PeerRoleKind.Sink,
                RegionCode,
                position.Cursor,
                byType.ToDictionary(p => p.Key, p => (long)p.Value.Count),
                byType.ToDictionary(p => p.Key, p => DigestTree.Build(RegionCode, _region.Prefix.Length, p.Value).Hash),
                await ScalarAsync("SELECT COUNT(*) FROM directives", cancellationToken));
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>The directives held, by id, each with its receipts in recipient order and local reference; and how many deliveries were taken (repeats not counted).</summary>
    public async Task<(IReadOnlyList<HeldDirective> Directives, long Deliveries)> GetDirectivesAsync(CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            var receipts = new Dictionary<string, List<DirectiveReceipt>>(StringComparer.Ordinal);
            await using (var command = Command(null, "SELECT directive_id, payload FROM directive_receipts ORDER BY directive_id, recipient_region_code"))
            await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
            {
                while (await reader.ReadAsync(cancellationToken))
                {
                    if (!receipts.TryGetValue(reader.GetString(0), out var list))
                    {
                        receipts[reader.GetString(0)] = list = [];
                    }

                    list.Add(DirectiveReceipt.Parser.ParseFrom((byte[])reader.GetValue(1)));
                }
            }

            var directives = new List<HeldDirective>();
            await using (var command = Command(null, "SELECT directive_id, payload, local_reference FROM directives ORDER BY directive_id"))
            await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
            {
                while (await reader.ReadAsync(cancellationToken))
                {
                    directives.Add(new HeldDirective(Directive.Parser.ParseFrom((byte[])reader.GetValue(1)),
                        receipts.TryGetValue(reader.GetString(0), out var held) ? held : [], reader.GetString(2)));
                }
            }

            return (directives, await ScalarAsync("SELECT COUNT(*) FROM directive_deliveries", cancellationToken));
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>A held record's version and whether it is a tombstone; null when never held.</summary>
    public async Task<(long Version, bool Deleted)?> GetRecordAsync(EntityType type, string key, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            await using var command = Command(null, "SELECT version, deleted FROM records WHERE entity_type = @a AND entity_key = @b", (int)type, key);
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            return await reader.ReadAsync(cancellationToken) ? (reader.GetInt64(0), reader.GetInt32(1) != 0) : null;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await _db.DisposeAsync();
        _gate.Dispose();
    }

    private async Task<ReceiveChangesResponse> ReceiveChangesAsync(SqliteTransaction tx, Position held, ReceiveChangesRequest request, CancellationToken cancellationToken)
    {
        if (held.Cursor.Length == 0)
        {
            // No usable cursor: nothing incremental can be applied until a reload has ended.
            return Answer(held, ReceiveStatus.ReloadRequired);
        }

        if (request.Cursor == held.Cursor)
        {
            return Answer(held, ReceiveStatus.Applied); // a resend of the batch last applied
        }

        if (request.PreviousCursor != held.Cursor)
        {
            return Answer(held, ReceiveStatus.OutOfOrder);
        }

        foreach (var change in request.Changes)
        {
            await ApplyAsync(tx, change, authoritative: false, cancellationToken);
        }

        var now = held with { Cursor = request.Cursor };
        await WritePositionAsync(tx, now, cancellationToken);
        return Answer(now, ReceiveStatus.Applied);
    }

    private async Task<ReceiveChangesResponse> ReceiveReloadAsync(SqliteTransaction tx, Position held, ReceiveChangesRequest request, CancellationToken cancellationToken)
    {
        var sameReload = request.ReloadId.Length > 0 && request.ReloadId == held.ReloadId;
        if (sameReload && request.BatchIndex == held.BatchIndex)
        {
            // A resend of the reload's last stored batch (SNAPSHOT_END included): already held.
            return Answer(held, ReceiveStatus.Applied, echoReload: true);
        }

        if (request.BatchIndex == 1 && !sameReload)
        {
            // A new reload abandons any unfinished one: its notes of keys received start afresh.
            await ExecuteAsync(tx, "DELETE FROM reload_keys", cancellationToken);
            held = held with { ReloadId = request.ReloadId, BatchIndex = 0, ReloadOpen = true };
        }
        else if (!sameReload)
        {
            return Answer(held, ReceiveStatus.ReloadRequired); // a reload the sink does not know
        }
        else if (!held.ReloadOpen || request.BatchIndex != held.BatchIndex + 1)
        {
            return Answer(held, ReceiveStatus.OutOfOrder, echoReload: held.ReloadOpen);
        }

        foreach (var change in request.Changes)
        {
            await ApplyAsync(tx, change, authoritative: true, cancellationToken);
            await ExecuteAsync(tx, "INSERT OR IGNORE INTO reload_keys VALUES (@a, @b)", cancellationToken, (int)change.EntityType, change.EntityKey);
        }

        held = held with { BatchIndex = request.BatchIndex };
        if (request.Kind == ReceiveBatchKind.SnapshotEnd)
        {
            // Everything of the scope this reload did not send is gone at the hub (or no longer
            // ours to hold): delete it, then take the reload's cursor.
            await ExecuteAsync(tx, """
                UPDATE records SET deleted = 1, payload = NULL
                WHERE deleted = 0 AND NOT EXISTS (
                    SELECT 1 FROM reload_keys k WHERE k.entity_type = records.entity_type AND k.entity_key = records.entity_key)
                """, cancellationToken);
            await ExecuteAsync(tx, "DELETE FROM reload_keys", cancellationToken);
            held = held with { Cursor = request.Cursor, ReloadOpen = false };
        }

        await WritePositionAsync(tx, held, cancellationToken);
        return Answer(held, ReceiveStatus.Applied, echoReload: true);
    }

    private async Task ApplyAsync(SqliteTransaction tx, Change change, bool authoritative, CancellationToken cancellationToken)
    {
        var live = change.Operation is ChangeOperation.Upsert or ChangeOperation.Enter;
        var payload = live ? EntityRecords.PayloadOf(change)?.ToByteArray() : null;
        // Incremental: only above the version held. Reload: the hub's current version, whatever is held.
        var guard = authoritative ? "records.version <> excluded.version OR records.deleted <> excluded.deleted" : "excluded.version > records.version";
        await ExecuteAsync(tx, $"""
            INSERT INTO records (entity_type, entity_key, version, region_code, deleted, payload) VALUES (@a, @b, @c, @d, @e, @f)
            ON CONFLICT (entity_type, entity_key) DO UPDATE SET
                version = excluded.version, region_code = CASE WHEN excluded.deleted = 1 THEN records.region_code ELSE excluded.region_code END,
                deleted = excluded.deleted, payload = excluded.payload
            WHERE {guard}
            """, cancellationToken, (int)change.EntityType, change.EntityKey, change.EntityVersion, change.RegionCode, live ? 0 : 1, payload);
    }

    private static ReceiveChangesResponse Answer(Position held, ReceiveStatus status, bool echoReload = false) => new()
    {
        Status = status,
        AckedCursor = held.Cursor,
        AckedReloadId = echoReload || held.ReloadOpen ? held.ReloadId : "",
        AckedBatchIndex = echoReload || held.ReloadOpen ? held.BatchIndex : 0,
    };

    private async Task LoadSeedAsync(string directory, CancellationToken cancellationToken)
    {
        var manifest = SeedReader.LoadManifest(directory);
        await using var tx = (SqliteTransaction)await _db.BeginTransactionAsync(cancellationToken);
        foreach (var path in SeedReader.Files(directory, manifest))
        {
            await foreach (var change in SeedReader.ReadAsync(path, cancellationToken))
            {
                if (change.RegionCode.StartsWith(_region.Prefix, StringComparison.Ordinal))
                {
                    await ApplyAsync(tx, change, authoritative: false, cancellationToken);
                }
            }
        }

        await tx.CommitAsync(cancellationToken);
    }

    private async Task<Position> ReadPositionAsync(SqliteTransaction? tx, CancellationToken cancellationToken)
    {
        await using var command = Command(tx, "SELECT cursor, reload_id, batch_index, reload_open FROM position WHERE id = 1");
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        return new Position(reader.GetString(0), reader.GetString(1), reader.GetInt64(2), reader.GetInt32(3) != 0);
    }

    private Task WritePositionAsync(SqliteTransaction tx, Position position, CancellationToken cancellationToken) =>
        ExecuteAsync(tx, "UPDATE position SET cursor = @a, reload_id = @b, batch_index = @c, reload_open = @d WHERE id = 1", cancellationToken,
            position.Cursor, position.ReloadId, position.BatchIndex, position.ReloadOpen ? 1 : 0);

    private SqliteCommand Command(SqliteTransaction? tx, string sql, params object?[] args)
    {
        var command = _db.CreateCommand();
        command.Transaction = tx;
        command.CommandText = sql;
        for (var i = 0; i < args.Length; i++)
        {
            command.Parameters.AddWithValue("@" + (char)('a' + i), args[i] ?? DBNull.Value);
        }

        return command;
    }

    private async Task ExecuteAsync(SqliteTransaction? tx, string sql, CancellationToken cancellationToken, params object?[] args)
    {
        await using var command = Command(tx, sql, args);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private async Task<long> ScalarAsync(string sql, CancellationToken cancellationToken, SqliteTransaction? tx = null)
    {
        await using var command = Command(tx, sql);
        return Convert.ToInt64(await command.ExecuteScalarAsync(cancellationToken), CultureInfo.InvariantCulture);
    }

    private async Task<string?> QueryTextAsync(SqliteTransaction tx, string sql, CancellationToken cancellationToken, params object?[] args)
    {
        await using var command = Command(tx, sql, args);
        return await command.ExecuteScalarAsync(cancellationToken) as string;
    }

    // The sink's position: the hub cursor it holds and the reload it is in (or last finished).
    private sealed record Position(string Cursor, string ReloadId, long BatchIndex, bool ReloadOpen);
}

/// <summary>A directive as a city sink holds it.</summary>
/// <param name="Directive">The directive, as last delivered in a newer version.</param>
/// <param name="Receipts">The receipts of the sink's jurisdiction, each as last delivered in a newer version.</param>
/// <param name="LocalReference">The sink's own reference, assigned at the first delivery.</param>
public sealed record HeldDirective(Directive Directive, IReadOnlyList<DirectiveReceipt> Receipts, string LocalReference);
