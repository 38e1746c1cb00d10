using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using GridExchange.Domain.Audit;
using GridExchange.Domain.Errors;
using GridExchange.Domain.Ingest;
using GridExchange.Domain.Peers;
using GridExchange.Domain.Security;
using GridExchange.Hub.Security;
using GridExchange.Storage;
using GridExchange.V1;

namespace GridExchange.Hub.Services;

/// <summary>
/// Peers, sync and audit administration (role ADMIN, checked by the authentication
/// interceptor). Served now: the peer registry (RegisterPeer, GetPeer, ListPeers, UpdatePeer,
/// RotatePeerToken), the sync engine (GetPeerStatus, TriggerSync; see <see cref="Sync.SyncAdmin"/>)
/// and the audit log (ListAuditEntries, VerifyAuditLog). Every registry change, every sync
/// trigger and every read of the audit log is recorded in the audit log; a registry change also
/// reconciles the peers' recurring sync jobs.
/// </summary>
/// <remarks>
/// The rules live in the domain (<see cref="PeerRules"/>, <see cref="PeerUpdate"/>); this class
/// maps them to the wire. A change is committed with its answer in one transaction
/// (<see cref="IHubStore.WritePeerAsync"/>), then audited, then the authenticator's cache of the
/// peer is dropped, so a disabled peer, a narrowed grant or a rotated token holds from the peer's
/// next call on this replica (within <c>CredentialCacheSeconds</c> on the others), and running
/// streams end at their next grant check.
/// </remarks>
internal sealed class AdminGrpcService(
    IHubStore store, AuditTrail audit, PeerAuthenticator authenticator, PeerTokens tokens, Sync.SyncAdmin sync, Sync.SyncScheduler scheduler)
    : AdminService.AdminServiceBase
{
    private const int MaxPeerIdLength = 64;

    /// <inheritdoc />
    public override async Task<RegisterPeerResponse> RegisterPeer(RegisterPeerRequest request, ServerCallContext context)
    {
        var caller = context.Caller();
        RpcErrors.ThrowIfInvalid(PeerRules.ValidateRequestId(request.RequestId), "request_id");
        if (request.Peer is null)
        {
            throw RpcErrors.InvalidArgument("peer", ErrorReasons.RequiredField, "peer is required: the registration to store.");
        }

        ThrowFirst(PeerRules.Validate(request.Peer));
        var peer = PeerRules.Normalize(request.Peer);
        var token = tokens.Issue("register", peer.Id, caller.PeerId, request.RequestId);
        var outcome = await store.WritePeerAsync(
            new PeerWrite(caller.PeerId, request.RequestId, context.Method, RequestHash(context.Method, request), peer.Id, (current, now) =>
            {
                if (current is not null)
                {
                    throw RpcErrors.Status(StatusCode.AlreadyExists, ErrorReasons.Duplicate,
                        $"Peer '{peer.Id}' is already registered; peer ids are never reused. Use UpdatePeer to change it.",
                        new Dictionary<string, string> { ["peer_id"] = peer.Id });
                }

                var stored = peer.Clone();
                stored.CreatedAt = stored.UpdatedAt = Timestamp.FromDateTimeOffset(now);
                // A new peer holds exactly the token issued here.
                return new PeerWritePlan(stored, BearerTokens.Hash(token), RevokeOtherTokens: true, new RegisterPeerResponse { Peer = stored }.ToByteArray());
            }),
            context.CancellationToken);
        ThrowIfReused(outcome);

        var response = RegisterPeerResponse.Parser.ParseFrom(outcome.Response);
        if (outcome.Repeated)
        {
            await RequireReproducedAsync(token, peer.Id, context.CancellationToken);
        }

        response.BearerToken = token;
        authenticator.Forget(peer.Id);
        await scheduler.TryReconcileAsync(context.CancellationToken);
        await audit.ActionAsync(context, caller,
            Scope(peer.Id, outcome.Repeated, $"roles={string.Join(',', response.Peer.Roles.Select(RoleName))};enabled={(response.Peer.Enabled ? "true" : "false")}"),
            1, request.RequestId);
        return response;
    }

    /// <inheritdoc />
    public override async Task<GetPeerResponse> GetPeer(GetPeerRequest request, ServerCallContext context)
    {
        RpcErrors.ThrowIfInvalid(PeerRules.ValidateId(request.PeerId), "peer_id");
        var peer = await store.FindPeerAsync(request.PeerId, context.CancellationToken)
            ?? throw RpcErrors.NotFound("Peer", request.PeerId);
        return new GetPeerResponse { Peer = peer };
    }

    /// <inheritdoc />
    public override async Task<ListPeersResponse> ListPeers(ListPeersRequest request, ServerCallContext context)
    {
        var limit = EntityPages.Size(request.PageSize);
        if (!System.Enum.IsDefined(request.Role))
        {
            throw RpcErrors.InvalidArgument("role", ErrorReasons.InvalidFormat, $"{(int)request.Role} is not a PeerRole.");
        }

        var binding = string.Create(CultureInfo.InvariantCulture, $"ListPeers|{(int)request.Role}");
        var after = PageTokens.Decode(binding, request.PageToken)?.Key;

        // The registry is small (hundreds of systems), so the role filter runs over the rows in id
        // order; reading on until the next match (or the end) means next_page_token is empty
        // exactly on the last page.
        var page = new List<Peer>(Math.Min(limit, 100));
        var more = false;
        var fetch = Math.Min(limit + 1, PageSizeMax);
        while (!more)
        {
            var batch = await store.ListPeersAsync(after, fetch, context.CancellationToken);
            foreach (var peer in batch)
            {
                if (request.Role != PeerRole.Unspecified && !peer.Roles.Contains(request.Role))
                {
                    continue;
                }

                if (page.Count == limit)
                {
                    more = true;
                    break;
                }

                page.Add(peer);
            }

            if (batch.Count < fetch)
            {
                break;
            }

            after = batch[^1].Id;
        }

        return new ListPeersResponse
        {
            Peers = { page },
            NextPageToken = more ? PageTokens.Encode(binding, new EntityPosition("", page[^1].Id)) : "",
        };
    }

    /// <inheritdoc />
    public override async Task<UpdatePeerResponse> UpdatePeer(UpdatePeerRequest request, ServerCallContext context)
    {
        var caller = context.Caller();
        RpcErrors.ThrowIfInvalid(PeerRules.ValidateRequestId(request.RequestId), "request_id");
        if (request.Peer is null)
        {
            throw RpcErrors.InvalidArgument("peer", ErrorReasons.RequiredField, "peer is required: its id and the new values of the fields in update_mask.");
        }

        RpcErrors.ThrowIfInvalid(PeerRules.ValidateId(request.Peer.Id), "peer.id");
        var paths = request.UpdateMask?.Paths.ToList() ?? [];
        if (PeerUpdate.CheckMask(paths) is { } maskProblem)
        {
            ThrowFirst([maskProblem]);
        }

        var peerId = request.Peer.Id;
        var outcome = await store.WritePeerAsync(
            new PeerWrite(caller.PeerId, request.RequestId, context.Method, RequestHash(context.Method, request), peerId, (current, now) =>
            {
                if (current is null)
                {
                    throw RpcErrors.NotFound("Peer", peerId);
                }

                var updated = PeerUpdate.Apply(current, request.Peer, paths);
                ThrowFirst(PeerUpdate.NewProblems(current, updated));
                if (PeerUpdate.SelfLockout(caller.PeerId, updated) is { } lockout)
                {
                    throw RpcErrors.Status(StatusCode.FailedPrecondition, ErrorReasons.IllegalTransition, lockout,
                        new Dictionary<string, string> { ["peer_id"] = peerId });
                }

                var stored = PeerRules.Normalize(updated);
                stored.CreatedAt = current.CreatedAt;
                stored.UpdatedAt = Timestamp.FromDateTimeOffset(now);
                return new PeerWritePlan(stored, TokenSha256: null, RevokeOtherTokens: false, new UpdatePeerResponse { Peer = stored }.ToByteArray());
            }),
            context.CancellationToken);
        ThrowIfReused(outcome);

        authenticator.Forget(peerId);
        await scheduler.TryReconcileAsync(context.CancellationToken);
        await audit.ActionAsync(context, caller,
            Scope(peerId, outcome.Repeated, $"fields={string.Join(',', paths.Distinct(StringComparer.Ordinal))}"), 1, request.RequestId);
        return UpdatePeerResponse.Parser.ParseFrom(outcome.Response);
    }

    /// <inheritdoc />
    public override async Task<RotatePeerTokenResponse> RotatePeerToken(RotatePeerTokenRequest request, ServerCallContext context)
    {
        var caller = context.Caller();
        RpcErrors.ThrowIfInvalid(PeerRules.ValidateRequestId(request.RequestId), "request_id");
        RpcErrors.ThrowIfInvalid(PeerRules.ValidateId(request.PeerId), "peer_id");
        var token = tokens.Issue("rotate", request.PeerId, caller.PeerId, request.RequestId);
        var outcome = await store.WritePeerAsync(
            new PeerWrite(caller.PeerId, request.RequestId, context.Method, RequestHash(context.Method, request), request.PeerId, (current, _) =>
                current is null
                    ? throw RpcErrors.NotFound("Peer", request.PeerId)
                    // The registration is unchanged (a token is not part of it): the new credential,
                    // the old ones revoked in the same transaction.
                    : new PeerWritePlan(null, BearerTokens.Hash(token), RevokeOtherTokens: true, new RotatePeerTokenResponse().ToByteArray())),
            context.CancellationToken);
        ThrowIfReused(outcome);
        if (outcome.Repeated)
        {
            await RequireReproducedAsync(token, request.PeerId, context.CancellationToken);
        }

        authenticator.Forget(request.PeerId);
        await audit.ActionAsync(context, caller, Scope(request.PeerId, outcome.Repeated, "token rotated"), 1, request.RequestId);
        var response = RotatePeerTokenResponse.Parser.ParseFrom(outcome.Response);
        response.BearerToken = token;
        return response;
    }

    /// <inheritdoc />
    public override async Task<GetPeerStatusResponse> GetPeerStatus(GetPeerStatusRequest request, ServerCallContext context)
    {
        RpcErrors.ThrowIfInvalid(PeerRules.ValidateId(request.PeerId), "peer_id");
        var peer = await store.FindPeerAsync(request.PeerId, context.CancellationToken)
            ?? throw RpcErrors.NotFound("Peer", request.PeerId);
        return new GetPeerStatusResponse { Status = await sync.StatusAsync(peer, context.CancellationToken) };
    }

    /// <inheritdoc />
    public override async Task<TriggerSyncResponse> TriggerSync(TriggerSyncRequest request, ServerCallContext context)
    {
        var caller = context.Caller();
        RpcErrors.ThrowIfInvalid(PeerRules.ValidateRequestId(request.RequestId), "request_id");
        RpcErrors.ThrowIfInvalid(PeerRules.ValidateId(request.PeerId), "peer_id");
        if (!System.Enum.IsDefined(request.Direction))
        {
            throw RpcErrors.InvalidArgument("direction", ErrorReasons.InvalidFormat, $"{(int)request.Direction} is not a SyncDirection.");
        }

        // Stored like a registry change (admin_requests, under the registry's lock), so a repeated
        // request_id returns the first answer — the same run — instead of starting another.
        var outcome = await store.WritePeerAsync(
            new PeerWrite(caller.PeerId, request.RequestId, context.Method, RequestHash(context.Method, request), request.PeerId, (current, _) =>
                new PeerWritePlan(null, TokenSha256: null, RevokeOtherTokens: false,
                    sync.Trigger(current, request.PeerId, request.Direction, request.FullResync).ToByteArray())),
            context.CancellationToken);
        ThrowIfReused(outcome);
        var response = TriggerSyncResponse.Parser.ParseFrom(outcome.Response);
        await audit.ActionAsync(context, caller,
            Scope(request.PeerId, outcome.Repeated,
                $"sync={(request.Direction == SyncDirection.Unspecified ? "ALL" : request.Direction.ToString().ToUpperInvariant())}"
                + $"{(request.FullResync ? ";full_resync" : "")};run={response.RunId}{(response.AlreadyRunning ? ";already_running" : "")}"),
            1, request.RequestId);
        return response;
    }

    private const int PageSizeMax = Domain.Paging.PageSize.Max + 1;

    private static byte[] RequestHash(string method, IMessage request)
    {
        // The method is part of the hash: one request id may not stand for two different RPCs.
        var bytes = new List<byte>(Encoding.UTF8.GetBytes(method)) { 0 };
        bytes.AddRange(request.ToByteArray());
        return SHA256.HashData([.. bytes]);
    }

    private static void ThrowIfReused(PeerWriteOutcome outcome)
    {
        if (outcome.RequestIdReused)
        {
            throw RpcErrors.InvalidArgument("request_id", ErrorReasons.RequestIdReused,
                "This request_id was used before for a different request; choose a new one for every change.");
        }
    }

    /// <summary>
    /// A repeat re-derives the first answer's token; it is returned only if the store holds it
    /// for that peer (live or since revoked), which fails only when the key it is derived from
    /// was rotated in between.
    /// </summary>
    private async Task RequireReproducedAsync(string token, string peerId, CancellationToken cancellationToken)
    {
        var credential = await store.FindCredentialAsync(BearerTokens.Hash(token), cancellationToken);
        if (credential?.PeerId != peerId)
        {
            throw RpcErrors.Status(StatusCode.FailedPrecondition, ErrorReasons.RequestIdReused,
                "The token of this earlier request cannot be reproduced (the hub's index key was rotated since); "
                + "rotate the peer's token with a new request_id.");
        }
    }

    private static void ThrowFirst(IReadOnlyList<FieldProblem> problems)
    {
        if (problems.Count > 0)
        {
            var first = problems[0];
            throw RpcErrors.InvalidArgument(first.Field, first.Reason, $"{first.Field}: {first.Description}");
        }
    }

    private static string Scope(string peerId, bool repeated, string what) =>
        $"peer={peerId};{what}{(repeated ? ";repeat" : "")}";

    private static string RoleName(PeerRole role) => role.ToString().ToUpperInvariant();

    private IAuditLog Log => store as IAuditLog ?? throw new InvalidOperationException($"The {store.Kind} store keeps no audit log.");

    public override async Task<ListAuditEntriesResponse> ListAuditEntries(ListAuditEntriesRequest request, ServerCallContext context)
    {
        var limit = EntityPages.Size(request.PageSize);
        if (request.PeerId.Length > MaxPeerIdLength)
        {
            throw RpcErrors.InvalidArgument("peer_id", ErrorReasons.InvalidLength, $"peer_id is longer than {MaxPeerIdLength} characters.");
        }

        var since = Instant(request.StartTime, "start_time");
        var before = Instant(request.EndTime, "end_time");
        var binding = string.Create(CultureInfo.InvariantCulture,
            $"ListAuditEntries|{request.PeerId}|{since?.ToUnixTimeMilliseconds()}|{before?.ToUnixTimeMilliseconds()}");
        var position = PageTokens.Decode(binding, request.PageToken);
        var after = 0L;
        if (position is { } p && !long.TryParse(p.Key, NumberStyles.None, CultureInfo.InvariantCulture, out after))
        {
            throw RpcErrors.InvalidArgument("page_token", ErrorReasons.InvalidPageToken, "page_token does not belong to this listing.");
        }

        var page = await Log.ListAuditAsync(new AuditQuery(after, limit, request.PeerId, since, before), context.CancellationToken);
        var response = new ListAuditEntriesResponse
        {
            Entries = { page.Entries.Select(ToProto) },
            NextPageToken = page.NextAfterSequence is { } next
                ? PageTokens.Encode(binding, new EntityPosition("", next.ToString(CultureInfo.InvariantCulture)))
                : "",
        };
        await audit.ActionAsync(context, context.Caller(), request.PeerId.Length > 0 ? $"peer={request.PeerId}" : "*", response.Entries.Count);
        return response;
    }

    public override async Task<VerifyAuditLogResponse> VerifyAuditLog(VerifyAuditLogRequest request, ServerCallContext context)
    {
        if (request.FromSequence < 0 || request.ToSequence < 0 || (request.ToSequence > 0 && request.ToSequence < request.FromSequence))
        {
            throw RpcErrors.InvalidArgument(request.FromSequence < 0 ? "from_sequence" : "to_sequence", ErrorReasons.InvalidFormat,
                "from_sequence and to_sequence must be 0 or positive, with to_sequence (when set) not below from_sequence.");
        }

        var result = await Log.VerifyAuditAsync(request.FromSequence, request.ToSequence, context.CancellationToken);
        await audit.ActionAsync(context, context.Caller(),
            string.Create(CultureInfo.InvariantCulture, $"{request.FromSequence}-{request.ToSequence}"), result.VerifiedCount);
        return new VerifyAuditLogResponse
        {
            Intact = result.Intact,
            VerifiedCount = result.VerifiedCount,
            FirstSequence = result.FirstSequence,
            LastSequence = result.LastSequence,
            LastHash = result.LastHash,
            BrokenAtSequence = result.BrokenAtSequence,
            Problem = result.Problem,
        };
    }

    private static AuditEntry ToProto(AuditLogEntry entry) => new()
    {
        Sequence = entry.Sequence,
        At = Timestamp.FromDateTimeOffset(entry.Event.At),
        PeerId = entry.Event.PeerId,
        Method = entry.Event.Method,
        RequestId = entry.Event.RequestId,
        Scope = entry.Event.Scope,
        EntityTypes = { entry.Event.EntityTypes },
        RecordCount = entry.Event.RecordCount,
        DataClasses = { entry.Event.DataClasses },
        PreviousHash = entry.PreviousHash,
        Hash = entry.Hash,
    };

    private static DateTimeOffset? Instant(Timestamp? value, string field)
    {
        if (value is null)
        {
            return null;
        }

        // 0001-01-01 to 9999-12-31, as google.protobuf.Timestamp allows.
        if (value.Seconds is < -62_135_596_800 or > 253_402_300_799 || value.Nanos is < 0 or > 999_999_999)
        {
            throw RpcErrors.InvalidArgument(field, ErrorReasons.InvalidDate, $"{field} is not a valid timestamp.");
        }

        return value.ToDateTimeOffset();
    }
}
