using GridExchange.Domain.Audit;
using GridExchange.V1;

namespace GridExchange.Tests.Audit;

public class AuditChainVerifierTests
{
    private static readonly DateTimeOffset Start = new(2025, 3, 1, 8, 0, 0, TimeSpan.Zero);

    private static List<AuditLogEntry> Log(int count) =>
        [.. AuditLogEntry.Chain(0, AuditHash.Genesis, Enumerable.Range(1, count).Select(i => new AuditEvent(
            Start.AddSeconds(i), $"peer-{i % 3}", "/gridexchange.v1.ExchangeService/PullChanges", $"r{i}", "370602",
            [EntityType.Person], i, [DataClass.S3])))];

    [Fact]
    public void Verify_AnIntactLog_ReportsItsExtentAndLastHash()
    {
        var log = Log(5);

        var result = AuditChainVerifier.Verify(log);

        Assert.Equal(new AuditVerification(true, 5, 1, 5, log[4].Hash, 0, ""), result);
    }

    [Fact]
    public void Verify_AnEmptyLog_IsIntactWithNothingChecked() =>
        Assert.Equal(new AuditVerification(true, 0, 0, 0, "", 0, ""), AuditChainVerifier.Verify([]));

    [Fact]
    public void Verify_AChangedEntry_IsAWrongHashAtItsSequence()
    {
        var log = Log(5);
        log[2] = log[2] with { Event = log[2].Event with { RecordCount = 1000 } };

        var result = AuditChainVerifier.Verify(log);

        Assert.False(result.Intact);
        Assert.Equal(3, result.BrokenAtSequence);
        Assert.StartsWith("wrong hash", result.Problem, StringComparison.Ordinal);
        Assert.Equal((2L, 2L, log[1].Hash), (result.VerifiedCount, result.LastSequence, result.LastHash));
    }

    [Fact]
    public void Verify_AChangedEntryWithItsHashRecomputed_IsAWrongLinkAtTheNextSequence()
    {
        var log = Log(5);
        var forged = log[2] with { Event = log[2].Event with { RecordCount = 1000 } };
        log[2] = forged with { Hash = AuditHash.Compute(forged) };

        var result = AuditChainVerifier.Verify(log);

        Assert.Equal((false, 4L), (result.Intact, result.BrokenAtSequence));
        Assert.Equal("wrong link: the previous_hash of sequence 4 is not the hash of sequence 3", result.Problem);
    }

    [Fact]
    public void Verify_AFirstEntryNotLinkedToGenesis_IsAWrongLinkAt1()
    {
        var forged = AuditLogEntry.Create(1, new string('f', 64), Log(1)[0].Event);

        var result = AuditChainVerifier.Verify([forged]);

        Assert.Equal((false, 1L), (result.Intact, result.BrokenAtSequence));
        Assert.Equal("wrong link: the previous_hash of sequence 1 is not 64 zeros", result.Problem);
    }

    [Fact]
    public void Verify_ARemovedEntry_IsAGapAtTheMissingSequence()
    {
        var log = Log(5);
        log.RemoveAt(2);

        var result = AuditChainVerifier.Verify(log);

        Assert.Equal((false, 3L), (result.Intact, result.BrokenAtSequence));
        Assert.Equal("sequence 3 is missing: the next entry present is sequence 4", result.Problem);
    }

    [Fact]
    public void Verify_AMissingFirstEntry_IsAGapAt1()
    {
        var result = AuditChainVerifier.Verify(Log(3).Skip(1));

        Assert.Equal((false, 1L, 0L), (result.Intact, result.BrokenAtSequence, result.VerifiedCount));
    }

    [Fact]
    public void Verify_EntriesOutOfOrderOrRepeated_AreReportedAsSuch()
    {
        var log = Log(4);
        var swapped = new[] { log[0], log[2], log[1], log[3] };
        var repeated = new[] { log[0], log[1], log[1], log[2] };

        // 1, 3: a gap at 2 comes first; 1, 2, 2: the repeat.
        Assert.Equal(2, AuditChainVerifier.Verify(swapped).BrokenAtSequence);
        var result = AuditChainVerifier.Verify(repeated);
        Assert.Equal((false, 2L), (result.Intact, result.BrokenAtSequence));
        Assert.Equal("sequence 2 is out of order: it follows sequence 2", result.Problem);
    }

    [Fact]
    public void Finish_EntriesCutOffTheEnd_AreMissing()
    {
        var log = Log(5);
        var verifier = new AuditChainVerifier(1, AuditHash.Genesis);
        foreach (var entry in log.Take(3))
        {
            Assert.True(verifier.Add(entry));
        }

        var result = verifier.Finish(5, log[4].Hash);

        Assert.Equal((false, 4L, 3L), (result.Intact, result.BrokenAtSequence, result.VerifiedCount));
        Assert.Equal("sequence 4 is missing: the log holds entries through sequence 5", result.Problem);
    }

    [Fact]
    public void Finish_ALastHashOtherThanTheHeads_IsAWrongHashAtTheLastSequence()
    {
        var log = Log(3);
        var verifier = new AuditChainVerifier(1, AuditHash.Genesis);
        log.ForEach(e => verifier.Add(e));

        var result = verifier.Finish(3, log[1].Hash);

        Assert.Equal((false, 3L), (result.Intact, result.BrokenAtSequence));
    }

    [Fact]
    public void AWalkFromTheMiddle_ChecksTheFirstLinkAgainstThePredecessorsHash()
    {
        var log = Log(6);
        var good = new AuditChainVerifier(3, log[1].Hash);
        log.Skip(2).ToList().ForEach(e => good.Add(e));
        Assert.Equal(new AuditVerification(true, 4, 3, 6, log[5].Hash, 0, ""), good.Finish(6, log[5].Hash));

        var wrong = new AuditChainVerifier(3, log[0].Hash);
        Assert.False(wrong.Add(log[2]));
        Assert.Equal(3, wrong.Finish(6).BrokenAtSequence);

        var unlinked = new AuditChainVerifier(3, null);
        log.Skip(2).ToList().ForEach(e => unlinked.Add(e));
        Assert.True(unlinked.Finish(6).Intact);
    }

    [Fact]
    public void PredecessorMissing_IsBrokenAtTheSequenceBeforeTheRange()
    {
        var result = AuditVerification.PredecessorMissing(10);
        Assert.Equal((false, 9L, 10L), (result.Intact, result.BrokenAtSequence, result.FirstSequence));
    }
}
