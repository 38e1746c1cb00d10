using GridExchange.Domain.Errors;
using GridExchange.Domain.Ingest;
using GridExchange.V1;

namespace GridExchange.Domain.Peers;

/// <summary>
/// UpdatePeer's rules: which <c>update_mask</c> paths may change, how the named fields are copied
/// onto the stored registration, which problems of the result are the update's own, and the
/// guard that keeps an operator from locking itself out.
/// </summary>
public static class PeerUpdate
{
    /// <summary>The fields of <c>Peer</c> an update may name (proto field names).</summary>
    public static IReadOnlySet<string> MutablePaths { get; } = new HashSet<string>(StringComparer.Ordinal)
    {
        "name", "level", "region_code", "endpoint", "roles", "data_classes", "schedule", "sync_mode", "enabled",
        "entity_types", "client_certificate_sha256",
    };

    /// <summary>The fields that identify or describe the registration and never change through an update.</summary>
    public static IReadOnlySet<string> ImmutablePaths { get; } = new HashSet<string>(StringComparer.Ordinal) { "id", "created_at", "updated_at" };

    /// <summary>Checks the mask: at least one path, each a mutable field of <c>Peer</c>.</summary>
    /// <returns>The problem, on field <c>update_mask</c>; null when the mask is usable.</returns>
    public static FieldProblem? CheckMask(IReadOnlyList<string> paths)
    {
        ArgumentNullException.ThrowIfNull(paths);
        if (paths.Count == 0)
        {
            return new FieldProblem("update_mask", ErrorReasons.RequiredField,
                "update_mask is required: name the fields of peer to change, e.g. 'enabled' or 'roles'.");
        }

        foreach (var path in paths)
        {
            if (ImmutablePaths.Contains(path))
            {
                return new FieldProblem("update_mask", ErrorReasons.InvalidFormat, $"Field '{path}' of a peer cannot be changed.");
            }

            if (!MutablePaths.Contains(path))
            {
                return new FieldProblem("update_mask", ErrorReasons.InvalidFormat,
                    $"'{Shorten(path)}' is not a field of a peer that can be changed; use one of: {string.Join(", ", MutablePaths.Order(StringComparer.Ordinal))}.");
            }
        }

        return null;
    }

    /// <summary>
    /// <paramref name="current"/> with the fields named in <paramref name="paths"/> taken from
    /// <paramref name="patch"/> (repeated fields replaced whole, as FieldMask semantics say).
    /// Check the mask first (<see cref="CheckMask"/>).
    /// </summary>
    public static Peer Apply(Peer current, Peer patch, IReadOnlyList<string> paths)
    {
        ArgumentNullException.ThrowIfNull(current);
        ArgumentNullException.ThrowIfNull(patch);
        ArgumentNullException.ThrowIfNull(paths);
        var next = current.Clone();
        foreach (var path in paths.Distinct(StringComparer.Ordinal))
        {
            switch (path)
            {
                case "name": next.Name = patch.Name; break;
                case "level": next.Level = patch.Level; break;
                case "region_code": next.RegionCode = patch.RegionCode; break;
                case "endpoint": next.Endpoint = patch.Endpoint; break;
                case "roles": next.Roles.Clear(); next.Roles.Add(patch.Roles); break;
                case "data_classes": next.DataClasses.Clear(); next.DataClasses.Add(patch.DataClasses); break;
                case "schedule": next.Schedule = patch.Schedule; break;
                case "sync_mode": next.SyncMode = patch.SyncMode; break;
                case "enabled": next.Enabled = patch.Enabled; break;
                case "entity_types": next.EntityTypes.Clear(); next.EntityTypes.Add(patch.EntityTypes); break;
                case "client_certificate_sha256": next.ClientCertificateSha256 = patch.ClientCertificateSha256; break;
                default: throw new ArgumentException($"'{path}' is not a mutable field of a peer; call CheckMask first.", nameof(paths));
            }
        }

        return next;
    }

    /// <summary>
    /// The problems of <paramref name="updated"/> that the update brings in: those
    /// <paramref name="current"/> did not already have. A registration stored before these rules
    /// (by the sample loader, or an older hub) may break one, and an operator must still be able
    /// to disable such a peer at once without first repairing an unrelated field.
    /// </summary>
    public static IReadOnlyList<FieldProblem> NewProblems(Peer current, Peer updated)
    {
        var before = PeerRules.Validate(current).Select(p => (p.Field, p.Reason)).ToHashSet();
        return [.. PeerRules.Validate(updated).Where(p => !before.Contains((p.Field, p.Reason)))];
    }

    /// <summary>
    /// Whether the update would lock <paramref name="callerId"/> out of administration: an
    /// operator may not disable its own registration nor take ADMIN from itself. Without this
    /// guard a slip with <c>hub-admin</c>'s token leaves a hub nobody can administer short of a
    /// restart with <c>ResetAdminToken</c> and a hand edit of the database; another ADMIN peer
    /// can still make either change, so the hub always keeps an administrator that can act.
    /// </summary>
    /// <returns>A message for people when it would; null otherwise.</returns>
    public static string? SelfLockout(string callerId, Peer updated)
    {
        ArgumentNullException.ThrowIfNull(updated);
        if (updated.Id != callerId)
        {
            return null;
        }

        if (!updated.Enabled)
        {
            return $"Peer '{callerId}' cannot disable itself: that would lock the operator out. Another ADMIN peer can disable it.";
        }

        return updated.Roles.Contains(PeerRole.Admin)
            ? null
            : $"Peer '{callerId}' cannot remove role ADMIN from itself: that would lock the operator out. Another ADMIN peer can remove it.";
    }

    private static string Shorten(string path) => path.Length <= 64 ? path : path[..64] + "…";
}
