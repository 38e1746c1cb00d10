using GridExchange.V1;

namespace GridExchange.Storage;

/// <summary>
/// The hub's storage port. The gRPC services and jobs talk only to this; the PostgreSQL and
/// SQLite adapters implement it with the same semantics, proved by one contract test suite.
/// </summary>
public interface IHubStore : IAsyncDisposable
{
    /// <summary>"postgresql" or "sqlite": for logs and health output.</summary>
    string Kind { get; }

    /// <summary>Applies every migration not yet applied. Safe to call from several replicas at once.</summary>
    Task MigrateAsync(CancellationToken cancellationToken);

    /// <summary>Returns the applied migration ids in order.</summary>
    Task<IReadOnlyList<int>> GetAppliedMigrationsAsync(CancellationToken cancellationToken);

    /// <summary>True when no entity has been stored yet (first start).</summary>
    Task<bool> IsEmptyAsync(CancellationToken cancellationToken);

    /// <summary>
    /// Commits a SubmitChanges batch atomically: plans it (<c>IngestPlanner</c>) on state read
    /// under the log's write lock, appends the applied changes to the log at consecutive
    /// sequences, updates current state, records the applied source_change_ids, the source's
    /// checkpoint and the answer to the request id, all in one transaction. A request id seen
    /// before returns the stored answer (or <see cref="IngestOutcome.RequestIdReused"/>).
    /// </summary>
    Task<IngestOutcome> IngestAsync(IngestBatch batch, CancellationToken cancellationToken);

    /// <summary>The log's epoch and extent.</summary>
    Task<FeedHead> GetFeedHeadAsync(CancellationToken cancellationToken);

    /// <summary>
    /// Reads the next page of the log for a scope, from one consistent view: every change up
    /// to the returned head is either served or known to be outside the scope. Uses the
    /// log's bucket indexes, never a scan of the whole log for a narrow scope.
    /// </summary>
    Task<FeedPage> ReadFeedAsync(FeedQuery query, CancellationToken cancellationToken);

    /// <summary>
    /// Opens a read-only view of one consistent state (a snapshot's or digest's point). Keep it
    /// open only while streaming: it holds a read transaction.
    /// </summary>
    Task<IStoreSnapshot> OpenSnapshotAsync(CancellationToken cancellationToken);

    /// <summary>
    /// Applies retention: changes committed before <paramref name="keepSince"/> leave the feed
    /// (cursors before them get RESYNC_REQUIRED), except each entity's last change before that
    /// point; stored SubmitChanges answers older than <paramref name="forgetRequestsBefore"/> are deleted.
    /// Then runs <see cref="ReencryptPayloadsAsync"/>, so payloads move to a newly activated key.
    /// </summary>
    Task<RetentionResult> TrimLogAsync(DateTimeOffset keepSince, DateTimeOffset forgetRequestsBefore, CancellationToken cancellationToken);

    /// <summary>Signals commits to waiting readers (subscriptions) in this process.</summary>
    FeedSignal Signal { get; }

    /// <summary>The last checkpoint committed for a source, or null.</summary>
    Task<SourceCheckpoint?> GetSourceCheckpointAsync(string sourceSystem, CancellationToken cancellationToken);

    /// <summary>Creates or replaces a registered peer.</summary>
    Task UpsertPeerAsync(Peer peer, CancellationToken cancellationToken);

    /// <summary>A registered peer by id, or null.</summary>
    Task<Peer?> GetPeerAsync(string peerId, CancellationToken cancellationToken);

    /// <summary>
    /// Registered peers in id order (ordinal) after <paramref name="afterId"/> (null: from the
    /// first), at most <paramref name="limit"/>; timestamps filled in as by <see cref="FindPeerAsync"/>.
    /// </summary>
    Task<IReadOnlyList<Peer>> ListPeersAsync(string? afterId, int limit, CancellationToken cancellationToken);

    /// <summary>
    /// A registered peer by id as AdminService shows it: <c>created_at</c> and <c>updated_at</c>
    /// filled in (from the row for a registration written without them); null if none.
    /// </summary>
    Task<Peer?> FindPeerAsync(string peerId, CancellationToken cancellationToken);

    /// <summary>
    /// Every enabled peer with its whole registration (endpoint, roles, schedule, sync mode,
    /// grants, timestamps filled in), in id order: what the sync engine schedules from. Read
    /// afresh on each call, so a peer disabled or changed through UpdatePeer is seen at once.
    /// </summary>
    Task<IReadOnlyList<Peer>> ListEnabledPeersAsync(CancellationToken cancellationToken);

    /// <summary>
    /// Commits one administrative change to the registry (<see cref="PeerWrite"/>): under the
    /// registry's write lock, returns the stored answer when the caller's request id was answered
    /// before (or reports it reused for another request); otherwise runs the plan on the peer's
    /// current registration and writes the registration, the credential (revoking the others when
    /// asked) and the answer in one transaction. An exception from the plan writes nothing.
    /// </summary>
    Task<PeerWriteOutcome> WritePeerAsync(PeerWrite write, CancellationToken cancellationToken);

    /// <summary>The credential whose token text hashes to <paramref name="tokenSha256"/> (SHA-256), with its peer; null if none.</summary>
    Task<PeerCredential?> FindCredentialAsync(ReadOnlyMemory<byte> tokenSha256, CancellationToken cancellationToken);

    /// <summary>
    /// Stores a live credential for <paramref name="peerId"/> by its token's SHA-256; with
    /// <paramref name="revokeOthers"/> the peer's other live credentials are revoked in the same
    /// transaction (rotation). Storing a hash this peer already holds live changes nothing; a
    /// hash held by another peer, or revoked, throws.
    /// </summary>
    Task IssueCredentialAsync(string peerId, ReadOnlyMemory<byte> tokenSha256, bool revokeOthers, CancellationToken cancellationToken);

    /// <summary>Revokes every live credential of <paramref name="peerId"/>; returns how many.</summary>
    Task<int> RevokeCredentialsAsync(string peerId, CancellationToken cancellationToken);

    /// <summary>
    /// Records when peers last called the hub successfully (<c>PeerStatus.last_call_at</c>): one
    /// upsert of table <c>peer_activity</c> for all of <paramref name="lastCalls"/> (peer id →
    /// instant), in which a stored instant only moves forward — an older instant (another
    /// replica's, flushed later) leaves a newer one in place. Kept apart from the registry's rows.
    /// </summary>
    Task RecordLastCallsAsync(IReadOnlyCollection<KeyValuePair<string, DateTimeOffset>> lastCalls, CancellationToken cancellationToken);

    /// <summary>When <paramref name="peerId"/> last called the hub successfully, as recorded so far; null if never.</summary>
    Task<DateTimeOffset?> GetLastCallAsync(string peerId, CancellationToken cancellationToken);

    /// <summary>Reads one live (not deleted) entity by type and key, or null.</summary>
    Task<EntityRecord?> GetAsync(EntityType type, string key, CancellationToken cancellationToken);

    /// <summary>
    /// Lists live entities whose scope code starts with <paramref name="scopePrefix"/>, in
    /// (scope code, key) order after <paramref name="after"/>: an index range scan, not a table scan.
    /// </summary>
    Task<IReadOnlyList<EntityRecord>> ListInScopeAsync(
        EntityType type, string scopePrefix, EntityPosition? after, int limit, CancellationToken cancellationToken);

    /// <summary>
    /// The maintained counters and the directive-receipt counts of each of <paramref name="codes"/>
    /// (12-digit region or 15-digit grid codes), as of one consistent read. Every write keeps the
    /// counters, so the figures follow the feed head; on a store upgraded from a hub that wrote
    /// records without their clear stat facet, those are classified from their payload first, in
    /// bounded steps. Never counts records: reads counters by key and receipts by an index range.
    /// </summary>
    Task<IReadOnlyDictionary<string, RegionFigures>> ReadRegionFiguresAsync(
        IReadOnlyList<string> codes, DateTimeOffset now, CancellationToken cancellationToken);

    /// <summary>Lists the live entities whose parent key is <paramref name="parentKey"/> ("" = top level), in key order.</summary>
    Task<IReadOnlyList<EntityRecord>> ListChildrenAsync(
        EntityType type, string parentKey, EntityPosition? after, int limit, CancellationToken cancellationToken);

    /// <summary>
    /// The keys of the live persons whose <c>citizen_id</c> is <paramref name="citizenId"/>, in key
    /// order (usually one; more when sources hold duplicates). Looked up by its keyed hash
    /// (HMAC-SHA256 under the index key of the ID trimmed and upper-cased); the IDs themselves
    /// are stored only inside the encrypted payloads. A legacy 15-digit number must be upgraded
    /// to 18 characters first (<c>CitizenId.TryUpgradeLegacy</c>), as ingest does.
    /// </summary>
    /// <exception cref="InvalidOperationException">The index was built with another index key.</exception>
    Task<IReadOnlyList<string>> FindPersonKeysByCitizenIdAsync(string citizenId, CancellationToken cancellationToken);

    /// <summary>
    /// Rebuilds the citizen-ID index from the live persons under the configured index key (after
    /// the index key was changed). Holds up ingest until done; returns the persons indexed.
    /// </summary>
    Task<long> RebuildCitizenIdIndexAsync(CancellationToken cancellationToken);

    /// <summary>
    /// Re-encrypts, under the active key, every logged payload that is under another key or was
    /// stored in clear, from where the last pass for the active key stopped up to the head, in
    /// short transactions beside ingest. Safe to re-run and to interrupt. <see cref="TrimLogAsync"/>
    /// runs it after trimming, so the daily retention job moves the log to a new key.
    /// </summary>
    Task<PayloadRekeyResult> ReencryptPayloadsAsync(CancellationToken cancellationToken);

    /// <summary>
    /// Commits a new directive with one receipt per recipient (<see cref="DirectiveIssue"/>): under
    /// the feed's write lock, returns the stored answer when the caller's request id was answered
    /// before (or reports it reused); otherwise assigns the directive number's serial, writes the
    /// directive, its receipts, their changes to the feed (owner <c>hub</c>) and the answer in one
    /// transaction.
    /// </summary>
    Task<DirectiveWriteOutcome> IssueDirectiveAsync(DirectiveIssue issue, CancellationToken cancellationToken);

    /// <summary>
    /// Commits one receipt's action (<see cref="ReceiptChange"/>) with the directive's new roll-up
    /// (a directive change when it moved), their feed changes and the answer, idempotent on the
    /// request id as <see cref="IssueDirectiveAsync"/>. An exception from the plan writes nothing.
    /// </summary>
    Task<DirectiveWriteOutcome> ChangeReceiptAsync(ReceiptChange change, CancellationToken cancellationToken);

    /// <summary>
    /// Commits a withdrawal (<see cref="DirectiveWithdrawal"/>): the directive and every receipt not
    /// yet COMPLETED become WITHDRAWN, with their feed changes and the answer, idempotent on the
    /// request id. An exception from the plan writes nothing.
    /// </summary>
    Task<DirectiveWriteOutcome> WithdrawDirectiveAsync(DirectiveWithdrawal withdrawal, CancellationToken cancellationToken);

    /// <summary>A directive by id (its current roll-up), or null.</summary>
    Task<Directive?> GetDirectiveAsync(string directiveId, CancellationToken cancellationToken);

    /// <summary>One receipt (overdue flags unset: they are computed at read time), or null.</summary>
    Task<DirectiveReceipt?> GetReceiptAsync(string directiveId, string recipientRegionCode, CancellationToken cancellationToken);

    /// <summary>Roll-up counts of a directive's receipts in a scope, overdue as of the scope's end, in one aggregate query.</summary>
    Task<ReceiptCounts> CountReceiptsAsync(ReceiptScope scope, CancellationToken cancellationToken);

    /// <summary>A page of a directive's receipts in recipient-code order (overdue flags unset).</summary>
    Task<IReadOnlyList<DirectiveReceipt>> ListReceiptsAsync(ReceiptQuery query, CancellationToken cancellationToken);

    /// <summary>A page of directives issued by or addressed to a caller, newest first.</summary>
    Task<IReadOnlyList<ListedDirective>> ListDirectivesAsync(DirectiveQuery query, CancellationToken cancellationToken);

    /// <summary>
    /// Receipts under <paramref name="recipientPrefix"/> ("" for all) not yet delivered to their
    /// recipient's system, oldest directive first, with their directives: what a push of
    /// <c>PeerService.ReceiveDirective</c> to a sink sends.
    /// </summary>
    Task<IReadOnlyList<UndeliveredReceipt>> ListUndeliveredReceiptsAsync(string recipientPrefix, int limit, CancellationToken cancellationToken);

    /// <summary>
    /// Records that a directive reached the system of the recipients under
    /// <paramref name="recipientPrefix"/> ("" for all): their receipts' first delivery (later ones
    /// keep the first instant).
    /// </summary>
    Task MarkReceiptsDeliveredAsync(string directiveId, string recipientPrefix, DateTimeOffset at, CancellationToken cancellationToken);

    /// <summary>
    /// Commits one hub-managed case or service request write (<see cref="HubRecordWrite"/>:
    /// ReportCase, TransitionCase, ReportServiceRequest, TransitionServiceRequest) under the feed's
    /// write lock: returns the stored answer when the caller's request id was answered before (or
    /// reports it reused); otherwise assigns the number's serial when asked, runs the plan on the
    /// stored record, and writes the record's row (migration 13), its change to the feed (owner
    /// <c>hub</c>) and the answer in one transaction. An exception from the plan writes nothing.
    /// </summary>
    Task<HubRecordOutcome> WriteHubRecordAsync(HubRecordWrite write, CancellationToken cancellationToken);

    /// <summary>A live case with its deadline columns (null for a case a source owns), or null.</summary>
    Task<CaseRow?> GetCaseAsync(string caseId, CancellationToken cancellationToken);

    /// <summary>
    /// Live cases in (scope code, key) order after <paramref name="after"/> under
    /// <paramref name="scopePrefix"/>, at most <paramref name="limit"/>, each with its deadline
    /// columns (hub-managed cases): the keyset walk of <see cref="ListInScopeAsync"/>, joined.
    /// </summary>
    Task<IReadOnlyList<CaseRow>> ListCasesAsync(string scopePrefix, EntityPosition? after, int limit, CancellationToken cancellationToken);

    /// <summary>Round trip to the database, for health checks.</summary>
    Task<bool> PingAsync(CancellationToken cancellationToken);
}

/// <summary>What a re-encryption pass did.</summary>
/// <param name="ActiveKeyId">The key payloads were moved to.</param>
/// <param name="Rewritten">Payloads re-encrypted by this run.</param>
/// <param name="CheckedThrough">
/// Every payload logged at or below this sequence is now under <paramref name="ActiveKeyId"/>;
/// once it has passed the last change written by a hub that did not yet have that key active,
/// the old keys decrypt nothing any more.
/// </param>
public sealed record PayloadRekeyResult(string ActiveKeyId, long Rewritten, long CheckedThrough);

/// <summary>A stored bearer-token credential (the token itself is never stored).</summary>
/// <param name="PeerId">The peer the token belongs to.</param>
/// <param name="IssuedAt">When it was issued.</param>
/// <param name="RevokedAt">When it was revoked; null while live.</param>
/// <param name="Peer">The peer's registration; null if the peer row is gone.</param>
public sealed record PeerCredential(string PeerId, DateTimeOffset IssuedAt, DateTimeOffset? RevokedAt, Peer? Peer);

/// <summary>One entity's current state.</summary>
/// <param name="Type">The entity type.</param>
/// <param name="Key">The stable key (<c>meta.id</c>).</param>
/// <param name="ScopeCode">The finest region or grid code the entity lies in; prefix scans use it.</param>
/// <param name="ParentKey">The parent's key for tree-shaped entities (regions), otherwise "".</param>
/// <param name="Version">Monotonic version from the source.</param>
/// <param name="SourceSystem">The system that owns the record.</param>
/// <param name="UpdatedAt">When the source last changed it.</param>
/// <param name="Payload">The entity message in protobuf binary form.</param>
public sealed record EntityRecord(
    EntityType Type,
    string Key,
    string ScopeCode,
    string ParentKey,
    long Version,
    string SourceSystem,
    DateTimeOffset UpdatedAt,
    ReadOnlyMemory<byte> Payload);

/// <summary>A position in (scope code, key) order, for keyset paging.</summary>
public readonly record struct EntityPosition(string ScopeCode, string Key);
