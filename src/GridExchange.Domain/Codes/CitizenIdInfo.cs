namespace GridExchange.Domain.Codes;

/// <summary>The fields encoded in a valid 18-character citizen ID (GB 11643-1999).</summary>
/// <param name="AddressCode">The 6-digit GB/T 2260 code of the county where the number was first issued.</param>
/// <param name="BirthDate">The holder's date of birth.</param>
/// <param name="Sequence">The 3-digit sequence code, 0–999.</param>
/// <param name="IsMale">Whether the sequence code is odd (male); even means female.</param>
public readonly record struct CitizenIdInfo(string AddressCode, DateOnly BirthDate, int Sequence, bool IsMale);
