using System.Diagnostics.Metrics;
using GridExchange.Hub.Operations;
using GridExchange.V1;

namespace GridExchange.Tests.Operations;

public class HubMetricsTests
{
    [Fact]
    public void SyncRuns_AreCountedByOutcome_AndTheLagGaugesShowEachLinksLastSuccess()
    {
        using var factory = new Factory();
        using var metrics = new HubMetrics(factory);
        var seen = new List<(string Name, long Value, Dictionary<string, string?> Tags)>();
        using var listener = new MeterListener
        {
            InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Meter.Name == HubMetrics.MeterName)
                {
                    l.EnableMeasurementEvents(instrument);
                }
            },
        };
        listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
            seen.Add((instrument.Name, value, tags.ToArray().ToDictionary(t => t.Key, t => t.Value?.ToString()))));
        listener.Start();

        metrics.SyncRun("county-370602", SyncDirection.Pull, succeeded: true, lagChanges: 40, lagSeconds: 3);
        metrics.SyncRun("county-370602", SyncDirection.Pull, succeeded: false, 0, 0);
        metrics.SyncRun("sim-3706", SyncDirection.Push, succeeded: true, lagChanges: 0, lagSeconds: 0);
        listener.RecordObservableInstruments();

        var runs = seen.Where(s => s.Name == "gridexchange.sync.runs").ToList();
        Assert.Equal(3, runs.Count);
        Assert.Equal(["succeeded", "failed", "succeeded"], runs.Select(r => r.Tags["outcome"]));
        Assert.Equal(["pull", "pull", "push"], runs.Select(r => r.Tags["link"]));
        // A failed run keeps the last successful run's lag.
        var lag = seen.Where(s => s.Name == "gridexchange.sync.lag_changes").ToDictionary(s => (s.Tags["peer"], s.Tags["link"]), s => s.Value);
        Assert.Equal(40, lag[("county-370602", "pull")]);
        Assert.Equal(0, lag[("sim-3706", "push")]);
        Assert.Equal(3, seen.Single(s => s.Name == "gridexchange.sync.lag_seconds" && s.Tags["peer"] == "county-370602").Value);
    }

    [Fact]
    public void Ingested_CountsByResultAndRejectReason_ButNotARepeatedAnswer()
    {
        using var factory = new Factory();
        using var metrics = new HubMetrics(factory);
        var seen = new List<(string Name, long Value, Dictionary<string, string?> Tags)>();
        using var listener = new MeterListener { InstrumentPublished = (i, l) => l.EnableMeasurementEvents(i) };
        listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
            seen.Add((instrument.Name, value, tags.ToArray().ToDictionary(t => t.Key, t => t.Value?.ToString()))));
        listener.Start();

        var response = new SubmitChangesResponse { AppliedCount = 5, DuplicateCount = 2, RejectedCount = 1 };
        response.Results.Add(new ChangeResult { Status = ChangeResultStatus.Rejected, Reason = ErrorReason.InvalidCheckDigit });
        metrics.Ingested(response, repeated: false, "submit");
        metrics.Ingested(response, repeated: true, "submit");

        var ingested = seen.Where(s => s.Name == "gridexchange.ingest.changes").ToDictionary(s => s.Tags["result"]!, s => s.Value);
        Assert.Equal(new Dictionary<string, long> { ["applied"] = 5, ["duplicate"] = 2, ["rejected"] = 1 }, ingested);
        var reject = Assert.Single(seen, s => s.Name == "gridexchange.ingest.rejects");
        Assert.Equal("INVALID_CHECK_DIGIT", reject.Tags["reason"]);
    }

    private sealed class Factory : IMeterFactory
    {
        private readonly List<Meter> _meters = [];

        public Meter Create(MeterOptions options)
        {
            var meter = new Meter(options);
            _meters.Add(meter);
            return meter;
        }

        public void Dispose() => _meters.ForEach(m => m.Dispose());
    }
}
