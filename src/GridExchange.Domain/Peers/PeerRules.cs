using System.Globalization;
using GridExchange.Domain.Codes;
using GridExchange.Domain.Errors;
using GridExchange.Domain.Ingest;
using GridExchange.V1;

namespace GridExchange.Domain.Peers;

/// <summary>
/// The rules of a peer registration (<c>peer.proto</c>, <c>Peer</c>): what AdminService accepts in
/// RegisterPeer and UpdatePeer, and the normal form it stores. Pure: no I/O, no clock.
/// </summary>
public static class PeerRules
{
    /// <summary>Shortest peer id.</summary>
    public const int MinIdLength = 3;

    /// <summary>Longest peer id.</summary>
    public const int MaxIdLength = 64;

    /// <summary>Longest display name, in characters (Unicode scalar values, so 100 Chinese characters fit).</summary>
    public const int MaxNameLength = 100;

    /// <summary>Longest endpoint.</summary>
    public const int MaxEndpointLength = 200;

    /// <summary>Longest request_id of a mutating admin RPC.</summary>
    public const int MaxRequestIdLength = 64;

    /// <summary>
    /// The id the contract reserves for the hub itself: the owner (<c>EntityMeta.source_system</c>)
    /// of records created through hub RPCs. A peer with this id could submit as the hub.
    /// </summary>
    public const string ReservedHubId = "hub";

    /// <summary>Validates a peer id: 3 to 64 characters from <c>[a-z0-9-]</c>, not the reserved <c>hub</c>.</summary>
    public static CodeCheck ValidateId(string? id)
    {
        if (string.IsNullOrEmpty(id))
        {
            return CodeCheck.Fail(ErrorReasons.RequiredField, "The peer id is required.");
        }

        if (id.Length is < MinIdLength or > MaxIdLength)
        {
            return CodeCheck.Fail(ErrorReasons.InvalidLength, $"A peer id has {MinIdLength} to {MaxIdLength} characters.");
        }

        if (!id.All(c => c is (>= 'a' and <= 'z') or (>= '0' and <= '9') or '-'))
        {
            return CodeCheck.Fail(ErrorReasons.InvalidFormat, "A peer id has only lower-case letters a-z, digits and '-'.");
        }

        return id == ReservedHubId
            ? CodeCheck.Fail(ErrorReasons.InvalidFormat, $"The peer id '{ReservedHubId}' is reserved for the hub itself.")
            : CodeCheck.Ok;
    }

    /// <summary>
    /// Validates an idempotency key: required, at most 64 characters, single-line text (no control
    /// characters, no lone surrogates), so both stores keep it byte for byte.
    /// </summary>
    public static CodeCheck ValidateRequestId(string? requestId)
    {
        if (string.IsNullOrEmpty(requestId))
        {
            return CodeCheck.Fail(ErrorReasons.RequiredField, "A request_id is required: a repeat of the request with it returns the first answer.");
        }

        if (requestId.Length > MaxRequestIdLength)
        {
            return CodeCheck.Fail(ErrorReasons.InvalidLength, $"A request_id is at most {MaxRequestIdLength} characters.");
        }

        return IsPlainText(requestId)
            ? CodeCheck.Ok
            : CodeCheck.Fail(ErrorReasons.InvalidFormat, "A request_id must be single-line text without control characters.");
    }

    /// <summary>
    /// Every rule the registration breaks, in field order, with paths under <paramref name="prefix"/>
    /// (e.g. <c>peer.region_code</c>, <c>peer.roles[1]</c>); empty when it is valid.
    /// <c>created_at</c> and <c>updated_at</c> are output only and not checked.
    /// </summary>
    public static IReadOnlyList<FieldProblem> Validate(Peer peer, string prefix = "peer")
    {
        ArgumentNullException.ThrowIfNull(peer);
        var problems = new List<FieldProblem>();
        void Add(string field, string reason, string message) => problems.Add(new FieldProblem($"{prefix}.{field}", reason, message));
        void AddCheck(string field, CodeCheck check)
        {
            if (!check.IsValid)
            {
                Add(field, check.Reason!, check.Message!);
            }
        }

        AddCheck("id", ValidateId(peer.Id));

        if (string.IsNullOrWhiteSpace(peer.Name))
        {
            Add("name", ErrorReasons.RequiredField, "The peer's display name is required.");
        }
        else if (!IsPlainText(peer.Name))
        {
            Add("name", ErrorReasons.InvalidFormat, "A display name must be single-line text without control characters.");
        }
        else if (peer.Name.EnumerateRunes().Count() > MaxNameLength)
        {
            Add("name", ErrorReasons.InvalidLength, $"A display name is at most {MaxNameLength} characters.");
        }

        var regionCheck = RegionCode.Validate(peer.RegionCode);
        if (peer.Level == RegionLevel.Unspecified)
        {
            Add("level", ErrorReasons.RequiredField, "The level of the peer's jurisdiction is required.");
        }
        else if (!Enum.IsDefined(peer.Level))
        {
            Add("level", ErrorReasons.InvalidFormat, $"{(int)peer.Level} is not a RegionLevel.");
        }
        else if (regionCheck.IsValid && (int)RegionCode.Parse(peer.RegionCode).Level != (int)peer.Level)
        {
            Add("level", ErrorReasons.InconsistentFields,
                $"Region code {peer.RegionCode} is a {RegionCode.Parse(peer.RegionCode).Level.ToString().ToLowerInvariant()}, not a {LevelName(peer.Level)}.");
        }

        AddCheck("region_code", regionCheck);

        if (peer.Endpoint.Length > 0)
        {
            AddCheck("endpoint", ValidateEndpoint(peer.Endpoint));
        }
        else if (peer.Roles.Contains(PeerRole.Sink))
        {
            // The hub pushes to a sink: without an endpoint there is nowhere to push.
            Add("endpoint", ErrorReasons.RequiredField, "A peer with role SINK needs an endpoint: the hub pushes changes and directives to it.");
        }

        CheckEnums(peer.Roles, "roles", "role", r => r != PeerRole.Unspecified && Enum.IsDefined(r), ErrorReasons.InvalidFormat, required: true, Add);
        CheckEnums(peer.DataClasses, "data_classes", "data class", c => c != DataClass.Unspecified && Enum.IsDefined(c), ErrorReasons.InvalidFormat, required: true, Add);

        if (peer.Schedule.Length > 0)
        {
            AddCheck("schedule", CronSchedule.Validate(peer.Schedule));
        }

        if (!Enum.IsDefined(peer.SyncMode))
        {
            Add("sync_mode", ErrorReasons.InvalidFormat, $"{(int)peer.SyncMode} is not a SyncMode.");
        }

        CheckEnums(peer.EntityTypes, "entity_types", "entity type", t => t != EntityType.Unspecified && Enum.IsDefined(t),
            ErrorReasons.UnsupportedEntityType, required: false, Add);

        if (peer.ClientCertificateSha256.Length > 0
            && (peer.ClientCertificateSha256.Length != 64 || !peer.ClientCertificateSha256.All(char.IsAsciiHexDigit)))
        {
            Add("client_certificate_sha256", ErrorReasons.InvalidFormat,
                "A client certificate fingerprint is the SHA-256 of the certificate (DER) as 64 hex digits, without separators.");
        }

        return problems;
    }

    /// <summary>
    /// The registration as the hub stores it: sync mode UNSPECIFIED made SCHEDULED (what the
    /// contract says it means, so the sync engine reads no default), the fingerprint in lower
    /// case (as the authenticator compares it), output-only timestamps cleared. Validate first.
    /// </summary>
    public static Peer Normalize(Peer peer)
    {
        ArgumentNullException.ThrowIfNull(peer);
        var normal = peer.Clone();
        if (normal.SyncMode == SyncMode.Unspecified)
        {
            normal.SyncMode = SyncMode.Scheduled;
        }

        normal.ClientCertificateSha256 = normal.ClientCertificateSha256.ToLowerInvariant();
        normal.CreatedAt = null;
        normal.UpdatedAt = null;
        return normal;
    }

    /// <summary>Validates an endpoint: an absolute <c>http</c> or <c>https</c> URI with a host, at most 200 characters.</summary>
    public static CodeCheck ValidateEndpoint(string endpoint)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        if (endpoint.Length > MaxEndpointLength)
        {
            return CodeCheck.Fail(ErrorReasons.InvalidLength, $"An endpoint is at most {MaxEndpointLength} characters.");
        }

        if (!Uri.TryCreate(endpoint, UriKind.Absolute, out var uri)
            || (uri.Scheme != Uri.UriSchemeHttps && uri.Scheme != Uri.UriSchemeHttp)
            || uri.Host.Length == 0
            || !IsPlainText(endpoint) || endpoint.Contains(' ', StringComparison.Ordinal))
        {
            return CodeCheck.Fail(ErrorReasons.InvalidFormat, "An endpoint is an absolute http:// or https:// URI, e.g. https://grid.zhifu.example:8443.");
        }

        // Credentials in the URI would be stored and shown in clear; the hub authenticates to
        // peers otherwise. A query or fragment means nothing to a gRPC channel.
        if (uri.UserInfo.Length > 0 || uri.Query.Length > 0 || uri.Fragment.Length > 0)
        {
            return CodeCheck.Fail(ErrorReasons.InvalidFormat, "An endpoint carries no user name, password, query or fragment: scheme, host, port and path only.");
        }

        return CodeCheck.Ok;
    }

    private static void CheckEnums<T>(
        IReadOnlyList<T> values, string field, string what, Func<T, bool> valid, string invalidReason, bool required, Action<string, string, string> add)
        where T : struct, Enum
    {
        if (values.Count == 0)
        {
            if (required)
            {
                add(field, ErrorReasons.RequiredField, $"At least one {what} is required.");
            }

            return;
        }

        var seen = new HashSet<T>();
        for (var i = 0; i < values.Count; i++)
        {
            var path = string.Create(CultureInfo.InvariantCulture, $"{field}[{i}]");
            if (!valid(values[i]))
            {
                add(path, invalidReason, $"{Convert.ToInt32(values[i], CultureInfo.InvariantCulture)} is not a {what} that can be granted.");
            }
            else if (!seen.Add(values[i]))
            {
                add(path, ErrorReasons.InvalidFormat, $"{what} {values[i]} is listed twice.");
            }
        }
    }

    private static string LevelName(RegionLevel level) => level.ToString().ToLowerInvariant();

    /// <summary>No control characters (NUL above all, which PostgreSQL cannot store) and no lone surrogates.</summary>
    private static bool IsPlainText(string value)
    {
        for (var i = 0; i < value.Length; i++)
        {
            var c = value[i];
            if (char.IsControl(c))
            {
                return false;
            }

            if (char.IsHighSurrogate(c) && i + 1 < value.Length && char.IsLowSurrogate(value[i + 1]))
            {
                i++;
            }
            else if (char.IsSurrogate(c))
            {
                return false;
            }
        }

        return true;
    }
}
