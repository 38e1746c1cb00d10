using System.Security.Cryptography;
using Google.Protobuf;
using GridExchange.Domain.Feed;
using GridExchange.Domain.Ingest;
using GridExchange.Storage;
using GridExchange.V1;

namespace GridExchange.Benchmarks.Workload;

/// <summary>A prepared SubmitChanges batch: the request as a county sends it and the store's input.</summary>
/// <param name="County">The submitting county.</param>
/// <param name="Request">The request (for the gRPC path and the request hash).</param>
/// <param name="Valid">The changes after validation.</param>
internal sealed record PreparedBatch(string County, SubmitChangesRequest Request, IReadOnlyList<ValidChange> Valid)
{
    /// <summary>The store's input, answering with a full SubmitChangesResponse as the hub does.</summary>
    public IngestBatch ToIngestBatch() => new(
        Request.SourceSystem,
        Request.RequestId,
        SHA256.HashData(Request.ToByteArray()),
        Request.SourceCheckpoint,
        Valid,
        Batches.EncodeAnswer);
}

/// <summary>Builds the batches every ingest benchmark submits.</summary>
internal static class Batches
{
    /// <summary>
    /// Prepares <paramref name="count"/> batches of <paramref name="size"/> changes, counties in
    /// turn, each with its request id and a source checkpoint.
    /// </summary>
    public static List<PreparedBatch> Prepare(PersonWorkload workload, string requestPrefix, int count, int size)
    {
        ArgumentNullException.ThrowIfNull(workload);
        var batches = new List<PreparedBatch>(count);
        for (var i = 0; i < count; i++)
        {
            var county = PersonWorkload.Counties[i % PersonWorkload.Counties.Count];
            batches.Add(Prepare(workload, county, $"{requestPrefix}-{i:D6}", size));
        }

        return batches;
    }

    /// <summary>Prepares one batch from <paramref name="county"/>.</summary>
    public static PreparedBatch Prepare(PersonWorkload workload, string county, string requestId, int size)
    {
        ArgumentNullException.ThrowIfNull(workload);
        var changes = workload.NextChanges(county, size);
        var request = new SubmitChangesRequest
        {
            RequestId = requestId,
            SourceSystem = PersonWorkload.SourceOf(county),
            SourceCheckpoint = "checkpoint-" + requestId,
            Changes = { changes },
        };
        return new PreparedBatch(county, request, PersonWorkload.Validate(county, changes));
    }

    /// <summary>The answer the hub stores with a batch (one result per change), serialised.</summary>
    public static byte[] EncodeAnswer(IngestCommit commit)
    {
        ArgumentNullException.ThrowIfNull(commit);
        var response = new SubmitChangesResponse
        {
            Cursor = new FeedCursor(commit.Head.Epoch, commit.Head.LastSequence).Encode(),
            SourceCheckpoint = commit.SourceCheckpoint,
        };
        foreach (var planned in commit.Plan)
        {
            var applied = planned.Status == PlanStatus.Applied;
            response.Results.Add(new ChangeResult
            {
                Index = planned.Index,
                SourceChangeId = planned.Change.SourceChangeId,
                Status = applied ? ChangeResultStatus.Applied : ChangeResultStatus.Rejected,
                Sequence = applied ? commit.Sequences[planned.Index] : 0,
            });
            if (applied)
            {
                response.AppliedCount++;
            }
        }

        return response.ToByteArray();
    }

    /// <summary>Average serialised size of the entity payloads of <paramref name="batches"/>.</summary>
    public static double AveragePayloadBytes(IEnumerable<PreparedBatch> batches) =>
        batches.SelectMany(b => b.Valid).Average(v => v.Change.Person.CalculateSize());
}
