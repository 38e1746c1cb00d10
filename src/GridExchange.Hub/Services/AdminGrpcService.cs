using System.Globalization;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using GridExchange.Domain.Audit;
using GridExchange.Domain.Errors;
using GridExchange.Hub.Security;
using GridExchange.Storage;
using GridExchange.V1;

namespace GridExchange.Hub.Services;

/// <summary>
/// Peers, sync and audit administration (role ADMIN, checked by the authentication
/// interceptor). Served now: the audit log (ListAuditEntries, VerifyAuditLog); the peer and sync
/// RPCs answer NOT_YET_AVAILABLE until the sync-engine issue. Reading the audit log is itself
/// recorded in it.
/// </summary>
internal sealed class AdminGrpcService(IHubStore store, AuditTrail audit) : AdminService.AdminServiceBase
{
    private const int MaxPeerIdLength = 64;

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
