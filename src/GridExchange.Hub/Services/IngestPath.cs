using System.Security.Cryptography;
using Google.Protobuf;
using GridExchange.Domain.Feed;
using GridExchange.Domain.Errors;
using GridExchange.Domain.Ingest;
using GridExchange.Storage;
using GridExchange.V1;

namespace GridExchange.Hub.Services;

/// <summary>
/// The one way changes enter the hub: validation of each change against the source's
/// jurisdiction (<see cref="ChangeValidator"/>), then <see cref="IHubStore.IngestAsync"/> with the
/// source's checkpoint in the batch's transaction and the answer stored under the request id.
/// SubmitChanges and the sync engine's pull job both call it, so a pulled batch is applied
/// exactly as a submitted one (ownership, versions, duplicates, rejects).
/// </summary>
internal static class IngestPath
{
    /// <summary>Validates and commits <paramref name="request"/> as <paramref name="jurisdiction"/>'s batch.</summary>
    /// <returns>The answer, and whether it is the stored answer of an earlier identical request (nothing was applied now).</returns>
    /// <exception cref="Grpc.Core.RpcException">INVALID_ARGUMENT, REQUEST_ID_REUSED: the id was used for another request.</exception>
    public static async Task<(SubmitChangesResponse Response, bool Repeated)> SubmitAsync(
        IHubStore store, TimeProvider clock, SubmitChangesRequest request, SourceJurisdiction jurisdiction, CancellationToken cancellationToken)
    {
        var results = new ChangeResult?[request.Changes.Count];
        var valid = new List<ValidChange>(request.Changes.Count);
        for (var i = 0; i < request.Changes.Count; i++)
        {
            var check = ChangeValidator.Validate(request.Changes[i], jurisdiction, clock);
            if (check.IsValid)
            {
                valid.Add(new ValidChange(i, check.Normalized, check.RegionCode, check.ParentKey));
                continue;
            }

            var rejected = new ChangeResult
            {
                Index = i,
                SourceChangeId = request.Changes[i].SourceChangeId,
                Status = ChangeResultStatus.Rejected,
                Reason = check.ReasonCode,
                Message = check.Message ?? "",
            };
            rejected.FieldViolations.Add(check.Problems.Select(p => p.ToFieldViolation()));
            results[i] = rejected;
        }

        SubmitChangesResponse? built = null;
        var outcome = await store.IngestAsync(
            new IngestBatch(
                request.SourceSystem,
                request.RequestId,
                SHA256.HashData(request.ToByteArray()),
                string.IsNullOrEmpty(request.SourceCheckpoint) ? null : request.SourceCheckpoint,
                valid,
                commit => (built = BuildResponse(request, results, commit)).ToByteArray()),
            cancellationToken);

        if (outcome.RequestIdReused)
        {
            throw RpcErrors.InvalidArgument("request_id", ErrorReasons.RequestIdReused,
                "This request_id was used before for a different request; choose a new one for every batch.");
        }

        return outcome.StoredResponse is { } stored ? (SubmitChangesResponse.Parser.ParseFrom(stored), true) : (built!, false);
    }

    private static SubmitChangesResponse BuildResponse(SubmitChangesRequest request, ChangeResult?[] rejected, IngestCommit commit)
    {
        var results = (ChangeResult?[])rejected.Clone();
        foreach (var planned in commit.Plan)
        {
            var result = new ChangeResult { Index = planned.Index, SourceChangeId = planned.Change.SourceChangeId };
            switch (planned.Status)
            {
                case PlanStatus.Applied:
                    result.Status = ChangeResultStatus.Applied;
                    result.Sequence = commit.Sequences[planned.Index];
                    break;
                case PlanStatus.Duplicate:
                    result.Status = ChangeResultStatus.Duplicate;
                    break;
                case PlanStatus.Stale:
                    result.Status = ChangeResultStatus.Stale;
                    result.Reason = ErrorReasonCodes.ToProto(planned.Reason);
                    result.Message = planned.Message ?? "";
                    result.StoredVersion = planned.StoredVersion;
                    break;
                default:
                    result.Status = ChangeResultStatus.Rejected;
                    result.Reason = ErrorReasonCodes.ToProto(planned.Reason);
                    result.Message = planned.Message ?? "";
                    break;
            }

            results[planned.Index] = result;
        }

        var response = new SubmitChangesResponse
        {
            Cursor = new FeedCursor(commit.Head.Epoch, commit.Head.LastSequence, commit.Head.LastMark).Encode(),
            SourceCheckpoint = commit.SourceCheckpoint,
        };
        for (var i = 0; i < request.Changes.Count; i++)
        {
            var result = results[i] ?? throw new InvalidOperationException($"No result for change {i}.");
            response.Results.Add(result);
            switch (result.Status)
            {
                case ChangeResultStatus.Applied: response.AppliedCount++; break;
                case ChangeResultStatus.Duplicate: response.DuplicateCount++; break;
                case ChangeResultStatus.Stale: response.StaleCount++; break;
                default: response.RejectedCount++; break;
            }
        }

        return response;
    }
}
