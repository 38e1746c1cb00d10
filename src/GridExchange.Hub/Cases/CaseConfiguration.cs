using System.Globalization;
using GridExchange.Domain.Cases;

namespace GridExchange.Hub.Cases;

/// <summary>
/// CaseService's configuration, checked once at start-up: the deadline settings with their
/// working-day calendar, and the proxy-service catalogue. A bad setting or catalogue stops the
/// hub from starting with a message naming it, rather than failing requests later.
/// </summary>
internal sealed class CaseConfiguration(CaseDeadlineSettings deadlines, ServiceCatalogue catalogue)
{
    /// <summary>Deadlines and calendar.</summary>
    public CaseDeadlineSettings Deadlines { get; } = deadlines;

    /// <summary>The proxy-service item catalogue.</summary>
    public ServiceCatalogue Catalogue { get; } = catalogue;

    /// <summary>Builds the configuration from <paramref name="options"/>.</summary>
    /// <exception cref="InvalidOperationException">A setting or the catalogue is invalid.</exception>
    public static CaseConfiguration Load(CaseOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var deadlines = new CaseDeadlineSettings
        {
            AcceptYellowDays = options.AcceptYellowWorkingDays,
            AcceptRedDays = options.AcceptRedWorkingDays,
            HandleYellowDays = options.HandleYellowWorkingDays,
            HandleRedDays = options.HandleRedWorkingDays,
            Holidays = Dates(options.Holidays, "Holidays"),
            WorkingWeekendDays = Dates(options.WorkingWeekendDays, "WorkingWeekendDays"),
        };
        if (deadlines.Problem() is { } problem)
        {
            throw new InvalidOperationException("GridExchange:Cases: " + problem);
        }

        string json;
        if (string.IsNullOrWhiteSpace(options.ServiceCatalogueFile))
        {
            using var stream = typeof(CaseConfiguration).Assembly.GetManifestResourceStream("GridExchange.Hub.service-catalogue.json")
                ?? throw new InvalidOperationException("The built-in service catalogue is missing from the hub's assembly.");
            using var reader = new StreamReader(stream);
            json = reader.ReadToEnd();
        }
        else
        {
            json = File.ReadAllText(options.ServiceCatalogueFile);
        }

        try
        {
            return new CaseConfiguration(deadlines, ServiceCatalogue.Parse(json));
        }
        catch (FormatException e)
        {
            throw new InvalidOperationException($"GridExchange:Cases:ServiceCatalogueFile '{options.ServiceCatalogueFile}': {e.Message}", e);
        }
    }

    private static HashSet<DateOnly> Dates(List<string> values, string name)
    {
        var dates = new HashSet<DateOnly>();
        foreach (var value in values)
        {
            if (!DateOnly.TryParseExact(value, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var date))
            {
                throw new InvalidOperationException($"GridExchange:Cases:{name}: '{value}' is not a date (yyyy-MM-dd).");
            }

            dates.Add(date);
        }

        return dates;
    }
}
