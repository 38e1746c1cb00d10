namespace GridExchange.Domain.Codes;

/// <summary>
/// The administrative level of a region or grid code.
/// </summary>
/// <remarks>
/// The numbers are GB/T 31000-2015 table 5.2 (层级), extended with 07 for the grid, and equal
/// the <c>RegionLevel</c> values in <c>common.proto</c>, so a cast converts between them.
/// Level 01 (中央, central) has no code of its own and is not represented.
/// </remarks>
public enum DivisionLevel
{
    /// <summary>省级 — province, autonomous region or municipality; 2 significant digits.</summary>
    Province = 2,

    /// <summary>地市级 — prefecture-level city; 4 significant digits.</summary>
    City = 3,

    /// <summary>县区级 — county or district; 6 significant digits.</summary>
    County = 4,

    /// <summary>乡镇街道 — township, town or sub-district; 9 significant digits.</summary>
    Township = 5,

    /// <summary>村社区 — village or residents' community; 12 significant digits.</summary>
    Village = 6,

    /// <summary>网格 — grid; a 15-digit grid code.</summary>
    Grid = 7,
}

/// <summary>Helpers for <see cref="DivisionLevel"/>.</summary>
public static class DivisionLevels
{
    /// <summary>
    /// The number of significant leading digits a code of <paramref name="level"/> has:
    /// 2, 4, 6, 9, 12 or 15. Everything under a code shares this prefix.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="level"/> is not a defined level.</exception>
    public static int PrefixLength(this DivisionLevel level) => level switch
    {
        DivisionLevel.Province => 2,
        DivisionLevel.City => 4,
        DivisionLevel.County => 6,
        DivisionLevel.Township => 9,
        DivisionLevel.Village => 12,
        DivisionLevel.Grid => 15,
        _ => throw new ArgumentOutOfRangeException(nameof(level), level, "Not a division level."),
    };
}
