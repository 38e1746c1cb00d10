using System.Collections;
using GridExchange.Domain.Codes;
using GridExchange.Seeds.Geography;
using GridExchange.Seeds.Randomness;

namespace GridExchange.Seeds.Generation;

/// <summary>
/// Hands out citizen IDs that are unique across the generated province, one county at a time
/// and without coordination between counties.
/// </summary>
/// <remarks>
/// <para>
/// Natives of a county get its own address code and a sequence 001–899; a bit per (birth date,
/// sequence) makes them unique within the county, hence everywhere.
/// </para>
/// <para>
/// Floating residents carry another county's address code and a sequence 900–999, which no
/// native of that county uses. Two host counties could still pick the same (origin, date,
/// sequence), so each host only uses birth dates whose day number is congruent to its own index
/// modulo <see cref="HostModulus"/>: the date moves by at most 68 days, and hosts never meet.
/// </para>
/// </remarks>
internal sealed class CitizenIdAllocator
{
    public const int HostModulus = 137;
    private const int NativeSequences = 900;
    private static readonly DateOnly Epoch = CitizenId.MinBirthDate;

    private readonly string _addressCode;
    private readonly int _hostIndex;
    private readonly DateOnly _asOf;
    private readonly BitArray _native;
    private readonly HashSet<long> _floating = [];

    public CitizenIdAllocator(CountyInfo county, DateOnly asOf)
    {
        _addressCode = county.Code6;
        _hostIndex = county.Index;
        _asOf = asOf;
        _native = new BitArray(checked((DayNumber(asOf) + 1) * NativeSequences));
    }

    /// <summary>An ID for someone born in this county on <paramref name="birthDate"/> (moved by a day if that day is full).</summary>
    public (string Id, DateOnly BirthDate) Native(DateOnly birthDate, bool male, SeedRandom random)
    {
        var day = DayNumber(birthDate);
        while (true)
        {
            var start = SequenceStart(random, 1, NativeSequences - 1, male);
            for (var probe = 0; probe < NativeSequences / 2; probe++)
            {
                var sequence = Wrap(start + (2 * probe), 1, NativeSequences - 1, male);
                var bit = (day * NativeSequences) + sequence;
                if (!_native[bit])
                {
                    _native[bit] = true;
                    var date = Epoch.AddDays(day);
                    return (CitizenId.Create(_addressCode, date, sequence), date);
                }
            }

            day = day > 0 ? day - 1 : day + 1;
        }
    }

    /// <summary>An ID for a floating resident registered in <paramref name="originCode6"/> (origin index <paramref name="originIndex"/>).</summary>
    public (string Id, DateOnly BirthDate) Floating(string originCode6, int originIndex, DateOnly birthDate, bool male, SeedRandom random)
    {
        var day = DayNumber(birthDate);
        var residue = (((day - _hostIndex) % HostModulus) + HostModulus) % HostModulus;
        day = residue <= HostModulus / 2 ? day - residue : day + (HostModulus - residue);
        while (day > DayNumber(_asOf))
        {
            day -= HostModulus;
        }

        while (true)
        {
            var start = SequenceStart(random, NativeSequences, 999, male);
            for (var probe = 0; probe < 50; probe++)
            {
                var sequence = Wrap(start + (2 * probe), NativeSequences, 999, male);
                var key = ((long)originIndex << 32) | ((long)day << 10) | (long)sequence;
                if (_floating.Add(key))
                {
                    var date = Epoch.AddDays(day);
                    return (CitizenId.Create(originCode6, date, sequence), date);
                }
            }

            day -= HostModulus;
        }
    }

    private static int DayNumber(DateOnly date) => date.DayNumber - Epoch.DayNumber;

    private static int SequenceStart(SeedRandom random, int min, int max, bool male) =>
        Wrap(random.Between(min, max), min, max, male);

    // The sequence in [min, max] with the gender's parity (odd = male) nearest at or above value, wrapping.
    private static int Wrap(int value, int min, int max, bool male)
    {
        var span = max - min + 1;
        var v = min + (((value - min) % span) + span) % span;
        if ((v % 2 == 1) != male)
        {
            v = v + 1 > max ? min + ((min % 2 == 1) == male ? 0 : 1) : v + 1;
        }

        return v;
    }
}
