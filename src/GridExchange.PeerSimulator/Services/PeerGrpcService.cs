using Grpc.Core;
using GridExchange.Domain.Errors;
using GridExchange.PeerSimulator.Sink;
using GridExchange.PeerSimulator.Source;
using GridExchange.V1;

namespace GridExchange.PeerSimulator.Services;

/// <summary>
/// PeerService as a county (source) or city (sink) system serves it: a thin adapter to
/// <see cref="CountySource"/> or <see cref="CitySink"/>; the RPCs of the role it does not hold
/// answer UNIMPLEMENTED, as the contract asks.
/// </summary>
internal sealed class PeerGrpcService(SimulatorOptions options, CountySource? source, CitySink? sink, CallGauge exports) : PeerService.PeerServiceBase
{
    private const int MaxCheckpointLength = 1024;
    private const int MaxReceiveBatch = 1000;

    public override async Task ExportChanges(ExportChangesRequest request, IServerStreamWriter<ExportChangesResponse> responseStream, ServerCallContext context)
    {
        if (source is null)
        {
            throw PeerErrors.NotServed("ExportChanges", "sink");
        }

        if (request.Checkpoint.Length > MaxCheckpointLength)
        {
            throw PeerErrors.InvalidArgument("checkpoint", ErrorReasons.InvalidLength, "checkpoint is longer than 1,024 characters.");
        }

        if (request.MaxBatchSize < 0)
        {
            throw PeerErrors.InvalidArgument("max_batch_size", ErrorReasons.InvalidPageSize, "max_batch_size must not be negative.");
        }

        var batch = request.MaxBatchSize == 0 ? options.MaxBatchSize : Math.Min(request.MaxBatchSize, options.MaxBatchSize);
        using var counted = exports.Enter();
        await foreach (var response in source.ExportAsync(request.Checkpoint, batch, request.Follow, options.HeartbeatInterval, context.CancellationToken))
        {
            await responseStream.WriteAsync(response, context.CancellationToken);
        }
    }

    public override Task<ReceiveChangesResponse> ReceiveChanges(ReceiveChangesRequest request, ServerCallContext context)
    {
        if (sink is null)
        {
            throw PeerErrors.NotServed("ReceiveChanges", "source");
        }

        if (request.Kind == ReceiveBatchKind.Unspecified || !Enum.IsDefined(request.Kind))
        {
            throw PeerErrors.InvalidArgument("kind", ErrorReasons.RequiredField, "kind must be CHANGES, SNAPSHOT or SNAPSHOT_END.");
        }

        if (request.Changes.Count > MaxReceiveBatch)
        {
            throw PeerErrors.InvalidArgument("changes", ErrorReasons.TooManyItems, "A batch holds at most 1,000 changes.");
        }

        if (request.Kind == ReceiveBatchKind.Changes ? request.Cursor.Length == 0 : request.ReloadId.Length == 0 || request.BatchIndex < 1)
        {
            throw PeerErrors.InvalidArgument(request.Kind == ReceiveBatchKind.Changes ? "cursor" : "reload_id", ErrorReasons.RequiredField,
                "A CHANGES batch needs its cursor; a reload batch its reload_id and a batch_index from 1.");
        }

        return sink.ReceiveAsync(request, context.CancellationToken);
    }

    public override Task<ReceiveDirectiveResponse> ReceiveDirective(ReceiveDirectiveRequest request, ServerCallContext context)
    {
        if (sink is null)
        {
            throw PeerErrors.NotServed("ReceiveDirective", "source");
        }

        if (request.RequestId.Length == 0 || request.Directive?.Meta is null || request.Directive.Meta.Id.Length == 0)
        {
            throw PeerErrors.InvalidArgument(request.RequestId.Length == 0 ? "request_id" : "directive.meta.id", ErrorReasons.RequiredField,
                "request_id and the directive with its meta.id are required.");
        }

        return sink.ReceiveDirectiveAsync(request, context.CancellationToken);
    }
}
