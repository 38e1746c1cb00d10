namespace GridExchange.Domain.Ingest;

/// <summary>
/// The submitting source system and the code of its jurisdiction. The source may write only
/// records that lie inside that subtree: everything whose code starts with the jurisdiction's
/// significant prefix (province 2 digits, city 4, county 6, township 9, village 12; a 15-digit
/// grid code is accepted too and means that one grid).
/// </summary>
/// <param name="SourceSystem">The registered peer id of the source; becomes the owner (<c>EntityMeta.source_system</c>).</param>
/// <param name="RegionCode">The 12-digit region code of the jurisdiction. A malformed code grants nothing.</param>
public sealed record SourceJurisdiction(string SourceSystem, string RegionCode);
