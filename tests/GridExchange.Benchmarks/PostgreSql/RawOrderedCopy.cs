using Npgsql;
using NpgsqlTypes;

namespace GridExchange.Benchmarks.PostgreSql;

/// <summary>
/// The read baselines: one ordered binary COPY of a query's rows, every column read into .NET
/// values by the caller's row reader (so the baseline pays for materialising what the hub
/// materialises). Sorts are off for it, so PostgreSQL reads in index order instead of scanning
/// and sorting (which it picks for a small table, spilling the sort to disk: a baseline made
/// slow by its plan), as the store's keyset-paged reads do.
/// </summary>
internal static class RawOrderedCopy
{
    /// <summary>Runs <c>COPY (<paramref name="query"/>) TO STDOUT (FORMAT BINARY)</c>; returns the rows read.</summary>
    /// <param name="readRow">Reads one row's columns, returning any number derived from them (kept alive, so nothing is optimised away).</param>
    public static async Task<long> ReadAsync(
        NpgsqlDataSource dataSource, string query, Func<NpgsqlBinaryExporter, CancellationToken, Task<long>> readRow, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(dataSource);
        ArgumentNullException.ThrowIfNull(readRow);
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using (var noSort = new NpgsqlCommand("SET LOCAL enable_sort = off", connection, transaction))
        {
            await noSort.ExecuteNonQueryAsync(cancellationToken);
        }

        var rows = 0L;
        var checksum = 0L;
        await using (var reader = await connection.BeginBinaryExportAsync($"COPY ({query}) TO STDOUT (FORMAT BINARY)", cancellationToken))
        {
            while (await reader.StartRowAsync(cancellationToken) != -1)
            {
                checksum += await readRow(reader, cancellationToken);
                rows++;
            }
        }

        await transaction.CommitAsync(cancellationToken);
        GC.KeepAlive(checksum);
        return rows;
    }

    /// <summary>Reads a column that may be NULL.</summary>
    public static async Task<T?> ReadNullableAsync<T>(NpgsqlBinaryExporter reader, NpgsqlDbType type, CancellationToken cancellationToken)
        where T : class
    {
        ArgumentNullException.ThrowIfNull(reader);
        if (reader.IsNull)
        {
            await reader.SkipAsync(cancellationToken);
            return null;
        }

        return await reader.ReadAsync<T>(type, cancellationToken);
    }
}
