using Google.Protobuf;
using GridExchange.Domain.Cases;
using GridExchange.V1;

namespace GridExchange.Storage;

/// <summary>What the store holds of a hub-managed case or service request when a write plans on it.</summary>
/// <param name="Record">The current record (payload decrypted).</param>
/// <param name="Times">A hub-managed case's waits and deadlines; null for service requests and source-owned records.</param>
/// <param name="HubManaged">Whether the hub's row exists (the record was created through CaseService).</param>
public sealed record HubRecordState(EntityRecord Record, CaseTimes? Times, bool HubManaged);

/// <summary>The record a write leaves, decided under the lock.</summary>
/// <param name="Entity">The new <see cref="Case"/> or <see cref="ServiceRequest"/> (meta set: id, owner hub, version, updated_at).</param>
/// <param name="GridCode">Its 15-digit grid code: the record's scope in the feed.</param>
/// <param name="Number">Its case or request number.</param>
/// <param name="State">Its state (the enum's number).</param>
/// <param name="Times">A case's waits and deadlines; null for a service request.</param>
/// <param name="Response">The answer to store and return.</param>
public sealed record HubRecordPlan(IMessage Entity, string GridCode, string Number, int State, CaseTimes? Times, byte[] Response);

/// <summary>A CaseService write, committed by <see cref="IHubStore.WriteHubRecordAsync"/>.</summary>
/// <param name="Request">The idempotency key (request ids are unique per caller across the hub's write RPCs of this kind).</param>
/// <param name="Type"><see cref="EntityType.Case"/> or <see cref="EntityType.ServiceRequest"/>.</param>
/// <param name="Key">The record's id (new or existing).</param>
/// <param name="IsNew">A report: the key must not exist.</param>
/// <param name="NumberPrefix">
/// For a report without a number: the number is this prefix and a 6-digit serial, the next free
/// one under the prefix (assigned under the lock); empty otherwise.
/// </param>
/// <param name="Plan">
/// Decides the new record from what the store holds (null for a report, or when the key is not
/// stored) and the assigned number ("" when none was asked for). Throws to refuse.
/// </param>
public sealed record HubRecordWrite(
    DirectiveRequest Request, EntityType Type, string Key, bool IsNew, string NumberPrefix, Func<HubRecordState?, string, HubRecordPlan> Plan);

/// <summary>The outcome of a CaseService write.</summary>
/// <param name="Response">The answer: the one just committed, or for a repeat the one stored then.</param>
/// <param name="Repeated">The request id had been answered before: nothing was written now.</param>
/// <param name="RequestIdReused">The request id was used before for a different request: nothing was written.</param>
/// <param name="NumberTaken">The number given with a report belongs to another hub record: nothing was written.</param>
public sealed record HubRecordOutcome(byte[] Response, bool Repeated, bool RequestIdReused, bool NumberTaken = false);

/// <summary>A case as read, with the hub's deadline columns when the hub manages it.</summary>
/// <param name="Record">The current record.</param>
/// <param name="Times">Its waits and deadlines (hub-managed cases); null for a case a source owns.</param>
public sealed record CaseRow(EntityRecord Record, CaseTimes? Times);
