using GridExchange.Domain.Codes;
using GridExchange.Domain.Ingest;
using GridExchange.Seeds;
using GridExchange.Storage;
using GridExchange.V1;

namespace GridExchange.Hub.Startup;

/// <summary>
/// Loads a seed directory the way its sources would submit it: each file's source system is
/// registered as a peer over the file's region, and its changes go through validation and
/// <see cref="IHubStore.IngestAsync"/> in batches of 1,000, so they are in the change log with
/// sequences, and a sample that breaks a domain rule fails the start instead of loading.
/// </summary>
internal static class SampleLoader
{
    private const int BatchSize = 1000;

    /// <returns>The number of changes applied.</returns>
    public static async Task<long> LoadAsync(IHubStore store, string directory, SeedManifest manifest, CancellationToken cancellationToken)
    {
        long applied = 0;
        foreach (var file in manifest.Files)
        {
            await store.UpsertPeerAsync(SourcePeer(file), cancellationToken);

            var jurisdiction = new SourceJurisdiction(file.SourceSystem, file.RegionCode);
            var batch = new List<ValidChange>(BatchSize);
            var batchNumber = 0;
            await foreach (var change in SeedReader.ReadAsync(Path.Combine(directory, file.Name), cancellationToken))
            {
                batch.Add(Validate(file, jurisdiction, change, batch.Count));
                if (batch.Count == BatchSize)
                {
                    applied += await SubmitAsync(store, file, ++batchNumber, batch, cancellationToken);
                    batch = new List<ValidChange>(BatchSize);
                }
            }

            if (batch.Count > 0)
            {
                applied += await SubmitAsync(store, file, ++batchNumber, batch, cancellationToken);
            }
        }

        return applied;
    }

    /// <summary>The peer a seed file's source system is registered as: SOURCE and CONSUMER over the file's region.</summary>
    internal static Peer SourcePeer(SeedFile file) => new()
    {
        Id = file.SourceSystem,
        Name = $"Sample source {file.SourceSystem}",
        Level = RegionCode.TryParse(file.RegionCode, out var region) ? (RegionLevel)(int)region.Level : RegionLevel.Unspecified,
        RegionCode = file.RegionCode,
        Roles = { PeerRole.Source, PeerRole.Consumer },
        DataClasses = { DataClass.S1, DataClass.S2, DataClass.S3, DataClass.S4 },
        Enabled = true,
    };

    /// <summary>
    /// Validates a seed change as SubmitChanges does, giving the normalised change at
    /// <paramref name="index"/> of its batch; a change that breaks a rule fails the load.
    /// </summary>
    internal static ValidChange Validate(SeedFile file, SourceJurisdiction jurisdiction, Change change, int index)
    {
        var check = ChangeValidator.Validate(change, jurisdiction);
        if (!check.IsValid)
        {
            throw new InvalidDataException(
                $"{file.Name}: change {change.SourceChangeId} breaks a rule ({check.Reason}: {check.Message}); the sample is not loaded.");
        }

        return new ValidChange(index, check.Normalized, check.RegionCode, check.ParentKey);
    }

    private static async Task<long> SubmitAsync(
        IHubStore store, SeedFile file, int batchNumber, List<ValidChange> batch, CancellationToken cancellationToken)
    {
        var outcome = await store.IngestAsync(
            new IngestBatch(file.SourceSystem, $"sample-{file.Name}-{batchNumber}", System.Text.Encoding.UTF8.GetBytes(file.Sha256),
                null, batch, _ => []),
            cancellationToken);
        var commit = outcome.Commit
            ?? throw new InvalidOperationException($"{file.Name} batch {batchNumber} was loaded before; the store is not empty.");
        var refused = commit.Plan.FirstOrDefault(p => p.Status != PlanStatus.Applied);
        if (refused is not null)
        {
            throw new InvalidDataException(
                $"{file.Name}: change {refused.Change.SourceChangeId} was {refused.Status} ({refused.Reason}: {refused.Message}).");
        }

        return commit.Plan.Count;
    }
}
