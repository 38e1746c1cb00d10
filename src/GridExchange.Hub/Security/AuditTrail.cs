using System.Threading.Channels;
using Grpc.Core;
using GridExchange.Domain.Audit;
using GridExchange.Domain.Errors;
using GridExchange.Domain.Privacy;
using GridExchange.Domain.Security;
using GridExchange.Hub.Services;
using GridExchange.Storage;
using GridExchange.V1;
using DataClass = GridExchange.V1.DataClass;

namespace GridExchange.Hub.Security;

/// <summary>
/// Records reads of personal data (and administrative actions) in the audit log before the
/// data leaves the hub: a call waits until its entry is committed, and fails with UNAVAILABLE
/// when it cannot be — no unaudited read. Entries of concurrent calls are appended together
/// (group commit), so the chain's lock is taken once per batch, not once per call.
/// </summary>
internal sealed partial class AuditTrail : BackgroundService
{
    private const int MaxBatch = 500;

    private static readonly DataClass[] Personal = [DataClass.S2, DataClass.S3, DataClass.S4];

    private static readonly EntityType[] AllTypes =
        [.. System.Enum.GetValues<EntityType>().Where(t => t != EntityType.Unspecified)];

    // The personal-data classes each type can hold, from the contract's privacy options, worked
    // out once: a type holds a class when it needs redaction for a caller granted every other.
    private static readonly Dictionary<EntityType, DataClass[]> HeldClasses = AllTypes.ToDictionary(
        t => t,
        t => Personal.Where(c => Redactor.NeedsRedaction(t, DataClassGrants.Of(Personal.Where(o => o != c)))).ToArray());

    private readonly IAuditLog _log;
    private readonly TimeProvider _clock;
    private readonly ILogger<AuditTrail> _logger;
    private readonly Channel<Pending> _queue = Channel.CreateUnbounded<Pending>(new UnboundedChannelOptions { SingleReader = true });

    public AuditTrail(IHubStore store, TimeProvider clock, ILogger<AuditTrail> logger)
    {
        _log = store as IAuditLog ?? throw new InvalidOperationException($"The {store.Kind} store keeps no audit log.");
        _clock = clock;
        _logger = logger;
    }

    /// <summary>Whether a read of <paramref name="types"/> reads personal data (and is audited).</summary>
    public static bool IsPersonal(IEnumerable<EntityType> types) => types.Any(t => Held(t).Length > 0);

    /// <summary>
    /// Records that <paramref name="caller"/> read <paramref name="count"/> records of
    /// <paramref name="types"/> in <paramref name="scope"/> through the current call, and waits
    /// until the entry is committed. Reads of types without personal data are not recorded.
    /// </summary>
    /// <exception cref="RpcException">UNAVAILABLE when the entry could not be recorded.</exception>
    public Task ReadAsync(ServerCallContext context, Caller caller, string scope, IReadOnlyCollection<EntityType> types, long count, string requestId = "")
    {
        var read = types.Count == 0 ? AllTypes : types;
        if (!IsPersonal(read))
        {
            return Task.CompletedTask;
        }

        // The classes sent unmasked: granted, and held by some type read.
        var revealed = Personal.Where(c => caller.Holds(c) && read.Any(t => Held(t).Contains(c))).ToList();
        return RecordAsync(context.Method, caller, scope, [.. read], count, revealed, requestId, context.CancellationToken);
    }

    /// <summary>
    /// Records that the sync engine pushed <paramref name="count"/> records of <paramref name="types"/>
    /// to sink <paramref name="sink"/> (PeerService.ReceiveChanges), before they are sent: a push
    /// discloses personal data as a read does. Types without personal data are not recorded.
    /// </summary>
    /// <exception cref="RpcException">UNAVAILABLE when the entry could not be recorded.</exception>
    public Task SyncPushAsync(Peer sink, string scope, IReadOnlyCollection<EntityType> types, long count, CancellationToken cancellationToken)
    {
        var caller = Caller.FromPeer(sink);
        var read = types.Count == 0 ? AllTypes : types;
        if (!IsPersonal(read))
        {
            return Task.CompletedTask;
        }

        var revealed = Personal.Where(c => caller.Holds(c) && read.Any(t => Held(t).Contains(c))).ToList();
        return RecordAsync("/gridexchange.v1.PeerService/ReceiveChanges", caller, scope, [.. read], count, revealed, "", cancellationToken);
    }

    /// <summary>Records an administrative action (or a read of the audit log) and waits until it is committed.</summary>
    public Task ActionAsync(ServerCallContext context, Caller caller, string scope, long count, string requestId = "") =>
        RecordAsync(context.Method, caller, scope, [], count, [], requestId, context.CancellationToken);

    // A type this build does not know is treated as holding every class.
    private static DataClass[] Held(EntityType type) => HeldClasses.TryGetValue(type, out var held) ? held : Personal;

    private async Task RecordAsync(
        string method, Caller caller, string scope, IReadOnlyList<EntityType> types, long count, IReadOnlyList<DataClass> revealed, string requestId,
        CancellationToken cancellationToken)
    {
        var entry = new AuditEvent(_clock.GetUtcNow(), caller.PeerId, method, requestId,
            scope.Length <= AuditEvent.MaxScopeLength ? scope : scope[..(AuditEvent.MaxScopeLength - 1)] + "…", types, count, revealed);
        var pending = new Pending(entry, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
        if (!_queue.Writer.TryWrite(pending))
        {
            throw Unrecorded();
        }

        try
        {
            await pending.Done.Task.WaitAsync(cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            throw Unrecorded();
        }
    }

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var batch = new List<Pending>(MaxBatch);
        try
        {
            while (await _queue.Reader.WaitToReadAsync(stoppingToken))
            {
                while (batch.Count < MaxBatch && _queue.Reader.TryRead(out var next))
                {
                    batch.Add(next);
                }

                try
                {
                    await _log.AppendAuditAsync([.. batch.Select(p => p.Event)], stoppingToken);
                    batch.ForEach(p => p.Done.TrySetResult());
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    LogAppendFailed(e, batch.Count);
                    batch.ForEach(p => p.Done.TrySetException(e));
                }

                batch.Clear();
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Shutting down: calls still waiting fail (their data was not sent).
        }
        finally
        {
            _queue.Writer.TryComplete();
            batch.ForEach(p => p.Done.TrySetCanceled(stoppingToken));
            while (_queue.Reader.TryRead(out var left))
            {
                left.Done.TrySetCanceled(stoppingToken);
            }
        }
    }

    private static RpcException Unrecorded() =>
        RpcErrors.Unavailable(ErrorReasons.ServiceUnavailable,
            "The read could not be recorded in the audit log, so no data was sent; retry shortly.", TimeSpan.FromSeconds(1));

    [LoggerMessage(Level = LogLevel.Error, Message = "Appending {Count} audit entries failed; those calls were refused")]
    private partial void LogAppendFailed(Exception exception, int count);

    private sealed record Pending(AuditEvent Event, TaskCompletionSource Done);
}
