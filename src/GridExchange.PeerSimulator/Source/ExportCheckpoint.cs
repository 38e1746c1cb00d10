using System.Globalization;
using System.Text;
using GridExchange.V1;

namespace GridExchange.PeerSimulator.Source;

/// <summary>Where a full export stands.</summary>
public enum ExportPhase
{
    /// <summary>Not in a full export: incremental changes after <see cref="ExportCheckpoint.Sequence"/>.</summary>
    Changes = 0,

    /// <summary>
    /// Full export, first pass: the current records unchanged since the export's point
    /// (<see cref="ExportCheckpoint.Sequence"/>), by entity type then (scope code, key). Their
    /// places in that order cannot move, so a resumed pass neither skips nor repeats one.
    /// </summary>
    Records = 1,

    /// <summary>
    /// Full export, second pass: the records changed after the export's point, found by walking
    /// the change log (append-only, so again a stable order) up to <see cref="ExportCheckpoint.Until"/>,
    /// each sent in its current state.
    /// </summary>
    Changed = 2,
}

/// <summary>
/// The source's ExportChanges checkpoint: opaque to the hub, base64url of a small text record.
/// It names the store's epoch, so a checkpoint from another database (the county system was
/// reset or restored) is refused with RESYNC_REQUIRED instead of being misread.
/// </summary>
/// <param name="Epoch">The store's epoch.</param>
/// <param name="Phase">Incremental, or which pass of a full export.</param>
/// <param name="Sequence">Changes: the last sequence sent. Full export: its point, where incremental changes continue after SNAPSHOT_END.</param>
/// <param name="TypeIndex">Records pass: index in <see cref="ExportCheckpoint.SnapshotTypes"/> of the type being sent.</param>
/// <param name="ScopeCode">Records pass: scope code of the last record passed ("" before the first of the type).</param>
/// <param name="Key">Records pass: key of the last record passed.</param>
/// <param name="Until">Changed pass: the log position it ends at.</param>
/// <param name="LogPosition">Changed pass: the last log position walked.</param>
public sealed record ExportCheckpoint(
    string Epoch, ExportPhase Phase, long Sequence, int TypeIndex = 0, string ScopeCode = "", string Key = "", long Until = 0, long LogPosition = 0)
{
    private const string Prefix = "gxsim1";

    /// <summary>The entity types of a full export, in the order sent: parents before children.</summary>
    public static IReadOnlyList<EntityType> SnapshotTypes { get; } =
    [
        EntityType.Region, EntityType.Grid, EntityType.GridWorker, EntityType.House, EntityType.Household,
        EntityType.Person, EntityType.Case, EntityType.ServiceRequest,
    ];

    /// <summary>Incremental changes after <paramref name="sequence"/>.</summary>
    public static ExportCheckpoint After(string epoch, long sequence) => new(epoch, ExportPhase.Changes, sequence);

    /// <summary>The opaque text handed to the hub (well under the contract's 1,024 characters: keys are at most 64).</summary>
    public string Encode()
    {
        var text = string.Join('\n',
            Prefix, Epoch, ((int)Phase).ToString(CultureInfo.InvariantCulture), Sequence.ToString(CultureInfo.InvariantCulture),
            TypeIndex.ToString(CultureInfo.InvariantCulture), Until.ToString(CultureInfo.InvariantCulture),
            LogPosition.ToString(CultureInfo.InvariantCulture), ScopeCode, Key);
        return Convert.ToBase64String(Encoding.UTF8.GetBytes(text)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
    }

    /// <summary>Reads a checkpoint this source issued; false for anything else.</summary>
    public static bool TryDecode(string text, out ExportCheckpoint checkpoint)
    {
        ArgumentNullException.ThrowIfNull(text);
        checkpoint = null!;
        try
        {
            var b64 = text.Replace('-', '+').Replace('_', '/');
            b64 = b64.PadRight(b64.Length + ((4 - (b64.Length % 4)) % 4), '=');
            var parts = Encoding.UTF8.GetString(Convert.FromBase64String(b64)).Split('\n', 9); // the key, last, may hold anything
            if (parts.Length != 9 || parts[0] != Prefix
                || !int.TryParse(parts[2], NumberStyles.None, CultureInfo.InvariantCulture, out var phase) || !Enum.IsDefined((ExportPhase)phase)
                || !long.TryParse(parts[3], NumberStyles.None, CultureInfo.InvariantCulture, out var sequence)
                || !int.TryParse(parts[4], NumberStyles.None, CultureInfo.InvariantCulture, out var typeIndex) || typeIndex >= SnapshotTypes.Count
                || !long.TryParse(parts[5], NumberStyles.None, CultureInfo.InvariantCulture, out var until)
                || !long.TryParse(parts[6], NumberStyles.None, CultureInfo.InvariantCulture, out var position))
            {
                return false;
            }

            checkpoint = new ExportCheckpoint(parts[1], (ExportPhase)phase, sequence, typeIndex, parts[7], parts[8], until, position);
            return true;
        }
        catch (FormatException)
        {
            return false;
        }
    }
}
