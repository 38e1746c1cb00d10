using GridExchange.V1;

namespace GridExchange.Storage;

/// <summary>
/// One administrative change to the peer registry (RegisterPeer, UpdatePeer, RotatePeerToken),
/// committed by <see cref="IHubStore.WritePeerAsync"/> in one transaction with its answer, so a
/// repeated request id gets the first answer and never applies the change twice.
/// </summary>
/// <param name="CallerId">The peer making the call: request ids are unique per caller.</param>
/// <param name="RequestId">The request's idempotency key.</param>
/// <param name="Method">The full gRPC method name, kept with the answer.</param>
/// <param name="RequestHash">SHA-256 of the method and the request: a repeat must carry the same request.</param>
/// <param name="PeerId">The peer the change is about.</param>
/// <param name="Plan">
/// Decides the change from the peer's stored registration (null if none; timestamps filled in)
/// and the commit time, under the registry's write lock. Throws to refuse: nothing is written.
/// </param>
public sealed record PeerWrite(
    string CallerId,
    string RequestId,
    string Method,
    byte[] RequestHash,
    string PeerId,
    Func<Peer?, DateTimeOffset, PeerWritePlan> Plan);

/// <summary>What a <see cref="PeerWrite"/> commits.</summary>
/// <param name="Registration">The peer's new registration (its id must be the write's peer id); null leaves it unchanged.</param>
/// <param name="TokenSha256">A credential to store for the peer (SHA-256 of the token text); null issues none.</param>
/// <param name="RevokeOtherTokens">Revoke the peer's other live credentials in the same transaction (rotation).</param>
/// <param name="Response">The answer to store for repeats (never containing a token).</param>
public sealed record PeerWritePlan(Peer? Registration, byte[]? TokenSha256, bool RevokeOtherTokens, byte[] Response);

/// <summary>The outcome of a <see cref="PeerWrite"/>.</summary>
/// <param name="Response">The answer: the one just committed, or for a repeat the one stored then.</param>
/// <param name="Repeated">The request id had been answered before: nothing was written now.</param>
/// <param name="RequestIdReused">The caller used the request id before for a different request: nothing was written.</param>
public sealed record PeerWriteOutcome(byte[] Response, bool Repeated, bool RequestIdReused);
