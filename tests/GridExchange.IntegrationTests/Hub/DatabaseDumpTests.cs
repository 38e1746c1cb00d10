using System.Diagnostics;
using System.Text;
using GridExchange.IntegrationTests.Infrastructure;
using GridExchange.Storage;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace GridExchange.IntegrationTests.Hub;

/// <summary>
/// The security issue's acceptance test: a database dump of a hub holding the sample shows no
/// citizen ID and no person's name — neither as text nor as the hex <c>pg_dump</c> writes bytea
/// in — while look-up by citizen ID still works.
/// </summary>
public sealed class DatabaseDumpTests
{
    [Fact]
    public async Task PgDump_OfAHubWithTheSample_HoldsNoCitizenIdAndNoNameInClear()
    {
        var truth = await SampleTruth.GetAsync();
        var connectionString = await PostgresServer.NewDatabaseAsync("dump");
        await using (var hub = await HubInstance.StartAsync(null, connectionString, loadSample: true))
        {
            // Look-up by ID works on the loaded sample, through the keyed-hash index.
            var someone = truth.Persons.Values.First(p => p.CitizenId.Length > 0);
            var store = hub.Services.GetRequiredService<IHubStore>();
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            Assert.Contains(someone.Meta.Id, await store.FindPersonKeysByCitizenIdAsync(someone.CitizenId, timeout.Token));
        }

        var dump = await PgDumpAsync(connectionString);

        // The dump is real: it holds the records (their keys are not secret) and the peers'
        // registrations, stored in clear as bytea — so the hex search below does find clear bytes.
        var someKey = truth.Persons.Keys.First();
        Assert.Contains(someKey, dump, StringComparison.Ordinal);
        Assert.NotEmpty(FindAny(dump, [Hex("Sample source county-370602")]));

        var ids = truth.Persons.Values.Select(p => p.CitizenId)
            .Concat(truth.Houses.Values.Select(h => h.OwnerCitizenId))
            .Concat(truth.Cases.Values.SelectMany(c => c.Parties).Select(p => p.CitizenId))
            .Where(id => id.Length > 0)
            .ToHashSet(StringComparer.Ordinal);
        var names = truth.Persons.Values.Select(p => p.Name).Where(n => n.Length > 0).ToHashSet(StringComparer.Ordinal);
        Assert.True(ids.Count > 10_000, $"only {ids.Count} citizen IDs in the sample");

        var leaks = FindAny(dump, [.. ids, .. ids.Select(Hex), .. names, .. names.Select(Hex)]);
        Assert.True(leaks.Count == 0, $"{leaks.Count} personal values in clear in the dump, e.g. {string.Join(", ", leaks.Take(5))}");
    }

    /// <summary>How bytea shows the UTF-8 bytes of <paramref name="text"/> in a plain pg_dump (hex output).</summary>
    private static string Hex(string text) => Convert.ToHexStringLower(Encoding.UTF8.GetBytes(text));

    /// <summary>Every needle that occurs in <paramref name="text"/> (one pass per needle length).</summary>
    private static List<string> FindAny(string text, IReadOnlyCollection<string> needles)
    {
        var found = new List<string>();
        foreach (var group in needles.GroupBy(n => n.Length))
        {
            var set = group.ToHashSet(StringComparer.Ordinal);
            var lookup = set.GetAlternateLookup<ReadOnlySpan<char>>();
            var first = new bool[char.MaxValue + 1];
            foreach (var needle in set)
            {
                first[needle[0]] = true;
            }

            var span = text.AsSpan();
            for (var i = 0; i + group.Key <= span.Length; i++)
            {
                if (first[span[i]] && lookup.TryGetValue(span.Slice(i, group.Key), out var hit))
                {
                    found.Add(hit);
                }
            }
        }

        return found;
    }

    private static async Task<string> PgDumpAsync(string connectionString)
    {
        var server = await PostgresServer.GetAsync();
        var target = new NpgsqlConnectionStringBuilder(connectionString);
        var start = new ProcessStartInfo(server.ClientProgram("pg_dump"))
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            StandardOutputEncoding = Encoding.UTF8,
        };
        foreach (var argument in new[] { "--no-owner", "-h", target.Host!, "-p", target.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "-U", target.Username!, "-d", target.Database! })
        {
            start.ArgumentList.Add(argument);
        }

        if (!string.IsNullOrEmpty(target.Password))
        {
            start.Environment["PGPASSWORD"] = target.Password;
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException("pg_dump did not start");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await process.WaitForExitAsync(timeout.Token);
        Assert.True(process.ExitCode == 0, $"pg_dump exited {process.ExitCode}: {await stderr}");
        return await stdout;
    }
}
