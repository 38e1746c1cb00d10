using GridExchange.V1;

namespace GridExchange.Domain.Sync;

/// <summary>What the push link does after a sink's answer (peer_service.proto, ReceiveStatus).</summary>
public enum PushStep
{
    /// <summary>Stored: send the next batch.</summary>
    Next = 1,

    /// <summary>OUT_OF_ORDER on an incremental batch: resend from the cursor the sink acked.</summary>
    ResendFromAcked = 2,

    /// <summary>Start a new reload (RELOAD_REQUIRED, or an out-of-order reload or acked position the hub cannot resend from).</summary>
    Reload = 3,

    /// <summary>No usable answer (status unset): a failed delivery, retried with back-off.</summary>
    Retry = 4,
}

/// <summary>Decides the push link's next step from a sink's ReceiveChanges answer. Pure.</summary>
public static class PushDecision
{
    /// <summary>The step after <paramref name="response"/> to a batch of <paramref name="sent"/> kind.</summary>
    /// <remarks>
    /// A reload answered OUT_OF_ORDER restarts as a new reload: the hub reads a reload from one
    /// consistent snapshot that it does not keep after the batch is gone, so "resend from batch
    /// n" is not available, which the contract allows ("it starts a new reload"). An incremental
    /// OUT_OF_ORDER with an empty acked cursor means the sink holds none: also a reload.
    /// </remarks>
    public static PushStep Decide(ReceiveBatchKind sent, ReceiveChangesResponse response)
    {
        ArgumentNullException.ThrowIfNull(response);
        return response.Status switch
        {
            ReceiveStatus.Applied => PushStep.Next,
            ReceiveStatus.ReloadRequired => PushStep.Reload,
            ReceiveStatus.OutOfOrder when sent == ReceiveBatchKind.Changes && response.AckedCursor.Length > 0 => PushStep.ResendFromAcked,
            ReceiveStatus.OutOfOrder => PushStep.Reload,
            _ => PushStep.Retry,
        };
    }
}
