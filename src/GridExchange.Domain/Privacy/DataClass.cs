namespace GridExchange.Domain.Privacy;

/// <summary>
/// The personal-data class of a field (DOMAIN §5), which decides who may see it and how.
/// PIPL Art. 28 makes specific identity, health and minors' data sensitive personal information.
/// </summary>
/// <remarks>Higher numbers are more sensitive; a grant for a class does not imply the classes above it.</remarks>
public enum DataClass
{
    /// <summary>
    /// Open: region and grid names and codes, organisation names, counts and statistics.
    /// Free to exchange.
    /// </summary>
    S1 = 1,

    /// <summary>
    /// Internal: birth date, ethnicity, marital status, education, occupation, household number.
    /// For government consumers only.
    /// </summary>
    S2 = 2,

    /// <summary>
    /// Masked: citizen ID and other certificate numbers, names, phone numbers, street addresses,
    /// coordinates of homes. Masked (see <see cref="Masking"/>) unless the caller holds the grant.
    /// </summary>
    S3 = 3,

    /// <summary>
    /// Restricted: special-group membership and details, health, religion, minors' records.
    /// Only with an explicit grant; never in a broad feed; encrypted at rest; every read audited.
    /// </summary>
    S4 = 4,
}
