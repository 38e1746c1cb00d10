namespace GridExchange.Domain.Errors;

/// <summary>
/// The machine-readable reasons the hub puts in <c>google.rpc.ErrorInfo.reason</c>, with
/// <see cref="Domain"/> as <c>ErrorInfo.domain</c>.
/// </summary>
/// <remarks>
/// Each value equals its <c>ErrorReason</c> enum value name in <c>errors.proto</c> without the
/// <c>ERROR_REASON_</c> prefix. Clients switch on these strings, so they never change once
/// published; new reasons are only ever added.
/// </remarks>
public static class ErrorReasons
{
    /// <summary>The <c>ErrorInfo.domain</c> for every reason below.</summary>
    public const string Domain = "gridexchange.v1";

    /// <summary>The consumer's cursor is older than the retained change log; it must re-read a snapshot.</summary>
    public const string ResyncRequired = "RESYNC_REQUIRED";

    /// <summary>A submitted change carries an entity version older than the one already held.</summary>
    public const string StaleVersion = "STALE_VERSION";

    /// <summary>The entity's region or grid lies outside the caller's jurisdiction.</summary>
    public const string OutOfJurisdiction = "OUT_OF_JURISDICTION";

    /// <summary>A citizen ID or unified social credit code fails its check character.</summary>
    public const string InvalidCheckDigit = "INVALID_CHECK_DIGIT";

    /// <summary>A region, grid or grid-worker code is not a well-formed code.</summary>
    public const string InvalidCode = "INVALID_CODE";

    /// <summary>A value contains characters or a layout its field does not allow.</summary>
    public const string InvalidFormat = "INVALID_FORMAT";

    /// <summary>A value is longer (or, for fixed-length codes, shorter) than its field allows.</summary>
    public const string InvalidLength = "INVALID_LENGTH";

    /// <summary>A date is not a real calendar date, or lies outside the range its field allows.</summary>
    public const string InvalidDate = "INVALID_DATE";

    /// <summary>A required field is missing or blank.</summary>
    public const string RequiredField = "REQUIRED_FIELD";

    /// <summary>Two fields contradict each other (e.g. birth date and citizen ID).</summary>
    public const string InconsistentFields = "INCONSISTENT_FIELDS";

    /// <summary>A change envelope's payload does not match its entity type or key.</summary>
    public const string PayloadMismatch = "PAYLOAD_MISMATCH";

    /// <summary>The entity type is unspecified or not accepted by this operation.</summary>
    public const string UnsupportedEntityType = "UNSUPPORTED_ENTITY_TYPE";

    /// <summary>The requested entity does not exist.</summary>
    public const string NotFound = "NOT_FOUND";

    /// <summary>The entity or change already exists.</summary>
    public const string Duplicate = "DUPLICATE";

    /// <summary>The action is not allowed from the entity's current lifecycle state.</summary>
    public const string IllegalTransition = "ILLEGAL_TRANSITION";

    /// <summary>The expected version does not match the stored version (optimistic concurrency).</summary>
    public const string VersionConflict = "VERSION_CONFLICT";

    /// <summary>A change-feed cursor is malformed or was not issued by this hub.</summary>
    public const string InvalidCursor = "INVALID_CURSOR";

    /// <summary>A page token is malformed or belongs to a different request.</summary>
    public const string InvalidPageToken = "INVALID_PAGE_TOKEN";

    /// <summary>A page size is negative.</summary>
    public const string InvalidPageSize = "INVALID_PAGE_SIZE";

    /// <summary>The caller presented no valid credential.</summary>
    public const string Unauthenticated = "UNAUTHENTICATED";

    /// <summary>The caller's credential has been revoked.</summary>
    public const string CredentialRevoked = "CREDENTIAL_REVOKED";

    /// <summary>The caller lacks the role the operation requires.</summary>
    public const string RoleNotGranted = "ROLE_NOT_GRANTED";

    /// <summary>The caller lacks the grant for the personal-data class requested.</summary>
    public const string DataClassNotGranted = "DATA_CLASS_NOT_GRANTED";

    /// <summary>A directive may only be issued to regions below the issuer.</summary>
    public const string DirectiveNotDownward = "DIRECTIVE_NOT_DOWNWARD";

    /// <summary>The caller exceeded its rate limit; retry after the delay in <c>RetryInfo</c>.</summary>
    public const string RateLimited = "RATE_LIMITED";

    /// <summary>The call carried no deadline, which this operation requires.</summary>
    public const string DeadlineRequired = "DEADLINE_REQUIRED";

    /// <summary>The request or an item in it exceeds the allowed size.</summary>
    public const string MessageTooLarge = "MESSAGE_TOO_LARGE";

    /// <summary>The RPC is part of the v1 contract but not served by this hub release (UNIMPLEMENTED).</summary>
    public const string NotYetAvailable = "NOT_YET_AVAILABLE";

    /// <summary>A request_id was reused with a different request body.</summary>
    public const string RequestIdReused = "REQUEST_ID_REUSED";

    /// <summary>A repeated field holds more items than allowed.</summary>
    public const string TooManyItems = "TOO_MANY_ITEMS";

    /// <summary>The hub or a dependency is temporarily unavailable; retry with back-off.</summary>
    public const string ServiceUnavailable = "SERVICE_UNAVAILABLE";

    /// <summary>The calling or target peer is registered but disabled.</summary>
    public const string PeerDisabled = "PEER_DISABLED";

    /// <summary>The caller is not the owner (source of truth) of the record it tried to change.</summary>
    public const string NotOwner = "NOT_OWNER";

    /// <summary>The data asked for is still being prepared (UNAVAILABLE with RetryInfo).</summary>
    public const string DataNotReady = "DATA_NOT_READY";
}
