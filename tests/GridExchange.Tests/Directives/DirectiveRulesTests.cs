using Google.Protobuf.WellKnownTypes;
using GridExchange.Domain.Directives;
using GridExchange.Domain.Errors;
using GridExchange.V1;
using Microsoft.Extensions.Time.Testing;

namespace GridExchange.Tests.Directives;

public class DirectiveRulesTests
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 2, 1, 0, 0, TimeSpan.Zero);

    private static Directive Valid() => new()
    {
        Title = "关于开展矛盾纠纷排查化解专项行动的通知",
        Content = "各区县：请于规定时间内完成排查并反馈。\n附件略。",
        IssuerUnit = "山东省委政法委",
        Supervision = SupervisionKind.Yellow,
        TargetRegionCodes = { "370600000000" },
        RecipientLevel = RegionLevel.County,
        SignForDeadline = Timestamp.FromDateTimeOffset(T0.AddDays(1)),
        CompletionDeadline = Timestamp.FromDateTimeOffset(T0.AddDays(10)),
    };

    [Fact]
    public void ValidateIssue_AValidDirective_HasNoProblem() => Assert.Empty(DirectiveRules.ValidateIssue(Valid()));

    public static TheoryData<string, string, string> BadDirectives() => new()
    {
        { "title", "directive.title", ErrorReasons.RequiredField },
        { "long title", "directive.title", ErrorReasons.InvalidLength },
        { "title newline", "directive.title", ErrorReasons.InvalidFormat },
        { "content", "directive.content", ErrorReasons.RequiredField },
        { "long content", "directive.content", ErrorReasons.InvalidLength },
        { "unit", "directive.issuer_unit", ErrorReasons.RequiredField },
        { "supervision", "directive.supervision", ErrorReasons.RequiredField },
        { "supervision 9", "directive.supervision", ErrorReasons.InvalidFormat },
        { "no targets", "directive.target_region_codes", ErrorReasons.RequiredField },
        { "too many targets", "directive.target_region_codes", ErrorReasons.TooManyItems },
        { "bad target", "directive.target_region_codes[1]", ErrorReasons.InvalidCode },
        { "duplicate target", "directive.target_region_codes[1]", ErrorReasons.InconsistentFields },
        { "grid level", "directive.recipient_level", ErrorReasons.InvalidCode },
        { "level 42", "directive.recipient_level", ErrorReasons.InvalidFormat },
        { "level above target", "directive.target_region_codes[0]", ErrorReasons.InconsistentFields },
        { "no sign deadline", "directive.sign_for_deadline", ErrorReasons.RequiredField },
        { "bad sign deadline", "directive.sign_for_deadline", ErrorReasons.InvalidDate },
        { "no completion deadline", "directive.completion_deadline", ErrorReasons.RequiredField },
        { "completion before sign", "directive.completion_deadline", ErrorReasons.InconsistentFields },
    };

    [Theory]
    [MemberData(nameof(BadDirectives))]
    public void ValidateIssue_EachBadField_IsNamedWithItsReason(string what, string field, string reason)
    {
        var d = Valid();
        switch (what)
        {
            case "title": d.Title = " "; break;
            case "long title": d.Title = new string('题', 101); break;
            case "title newline": d.Title = "a\nb"; break;
            case "content": d.Content = ""; break;
            case "long content": d.Content = new string('文', 4001); break;
            case "unit": d.IssuerUnit = ""; break;
            case "supervision": d.Supervision = SupervisionKind.Unspecified; break;
            case "supervision 9": d.Supervision = (SupervisionKind)9; break;
            case "no targets": d.TargetRegionCodes.Clear(); break;
            case "too many targets": d.TargetRegionCodes.Add(Enumerable.Repeat("370602000000", 1000)); break;
            case "bad target": d.TargetRegionCodes.Add("370602"); break;
            case "duplicate target": d.TargetRegionCodes.Add("370600000000"); break;
            case "grid level": d.RecipientLevel = RegionLevel.Grid; break;
            case "level 42": d.RecipientLevel = (RegionLevel)42; break;
            case "level above target": d.TargetRegionCodes[0] = "370602000000"; d.RecipientLevel = RegionLevel.City; break;
            case "no sign deadline": d.SignForDeadline = null; break;
            case "bad sign deadline": d.SignForDeadline = new Timestamp { Seconds = 1, Nanos = -1 }; break;
            case "no completion deadline": d.CompletionDeadline = null; break;
            case "completion before sign": d.CompletionDeadline = Timestamp.FromDateTimeOffset(T0); break;
        }

        var problem = DirectiveRules.ValidateIssue(d)[0];
        Assert.Equal((field, reason), (problem.Field, problem.Reason));
        Assert.False(string.IsNullOrWhiteSpace(problem.Description));
    }

    [Fact]
    public void ValidateIssue_NoDirective_IsRequired() =>
        Assert.Equal(ErrorReasons.RequiredField, Assert.Single(DirectiveRules.ValidateIssue(null)).Reason);

    [Theory]
    // Downwards: strictly below and inside the issuer.
    [InlineData("370000000000", "370600000000", null)]
    [InlineData("370000000000", "370602001001", null)]
    [InlineData("370600000000", "370602000000", null)]
    [InlineData("370602000000", "370602001000", null)]
    // Upwards, the issuer itself, sideways at the same level and below another region.
    [InlineData("370602000000", "370600000000", "above")]
    [InlineData("370602000000", "370000000000", "above")]
    [InlineData("370600000000", "370600000000", "own region")]
    [InlineData("370602000000", "370611000000", "sideways")]
    [InlineData("370600000000", "370100000000", "sideways")]
    [InlineData("370602000000", "370611001000", "sideways")]
    [InlineData("370600000000", "440100000000", "sideways")]
    public void NotDownward_AllowsOnlyRegionsStrictlyBelowTheIssuer(string issuer, string target, string? because)
    {
        var refusal = DirectiveRules.NotDownward(issuer, target);
        if (because is null)
        {
            Assert.Null(refusal);
        }
        else
        {
            Assert.NotNull(refusal);
            Assert.Contains(because, refusal, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void NotDownward_AnIssuerWithoutARegionCode_IssuesNothing() =>
        Assert.NotNull(DirectiveRules.NotDownward("", "370600000000"));

    [Theory]
    [InlineData("370600000000", RegionLevel.Unspecified, "370600000000", true)]
    [InlineData("370600000000", RegionLevel.Unspecified, "370602000000", false)]
    [InlineData("370600000000", RegionLevel.County, "370602000000", true)]
    [InlineData("370600000000", RegionLevel.County, "370602001000", false)]
    [InlineData("370600000000", RegionLevel.Village, "370602001001", true)]
    [InlineData("370600000000", RegionLevel.Village, "370102001001", false)]
    [InlineData("370602000000", RegionLevel.County, "370602000000", true)]
    public void IsRecipient_IsTheTargetOrItsRegionsOfTheLevel(string target, RegionLevel level, string region, bool expected) =>
        Assert.Equal(expected, DirectiveRules.IsRecipient(target, level, region));

    [Fact]
    public void Number_IsZlIssuerDateSerial() =>
        Assert.Equal("ZL37000000000020261102" + "0007", DirectiveRules.Number("370000000000", new DateOnly(2026, 11, 2), 7));

    [Theory]
    [InlineData("zl-0123abc", true)]
    [InlineData("a.b_c:d-e", true)]
    [InlineData("", false)]
    [InlineData("a/b", false)]
    [InlineData("张", false)]
    public void ValidateId_Accepts64SafeCharacters(string id, bool valid) =>
        Assert.Equal(valid, DirectiveRules.ValidateId(id).IsValid);

    [Fact]
    public void ValidateId_TooLong_IsInvalidLength() =>
        Assert.Equal(ErrorReasons.InvalidLength, DirectiveRules.ValidateId(new string('a', 65)).Reason);

    public static TheoryData<AcknowledgeDirectiveRequest, string, string> BadAcknowledgements() => new()
    {
        { new() { RecipientRegionCode = "", Action = DirectiveAction.Start }, "recipient_region_code", ErrorReasons.RequiredField },
        { new() { RecipientRegionCode = "37060200000X", Action = DirectiveAction.Start }, "recipient_region_code", ErrorReasons.InvalidCode },
        { new() { RecipientRegionCode = "370602000000" }, "action", ErrorReasons.RequiredField },
        { new() { RecipientRegionCode = "370602000000", Action = DirectiveAction.AcceptFeedback }, "action", ErrorReasons.InvalidFormat },
        { new() { RecipientRegionCode = "370602000000", Action = DirectiveAction.SignFor }, "actor_name", ErrorReasons.RequiredField },
        { new() { RecipientRegionCode = "370602000000", Action = DirectiveAction.SignFor, ActorName = new string('名', 51) }, "actor_name", ErrorReasons.InvalidLength },
        { new() { RecipientRegionCode = "370602000000", Action = DirectiveAction.SubmitFeedback }, "feedback", ErrorReasons.RequiredField },
        { new() { RecipientRegionCode = "370602000000", Action = DirectiveAction.SubmitFeedback, Feedback = new string('馈', 4001) }, "feedback", ErrorReasons.InvalidLength },
        { new() { RecipientRegionCode = "370602000000", Action = DirectiveAction.Start, Feedback = "x" }, "feedback", ErrorReasons.InconsistentFields },
        { new() { RecipientRegionCode = "370602000000", Action = DirectiveAction.Start, ExpectedVersion = -1 }, "expected_version", ErrorReasons.InvalidFormat },
    };

    [Theory]
    [MemberData(nameof(BadAcknowledgements))]
    public void ValidateAcknowledge_EachBadField_IsNamed(AcknowledgeDirectiveRequest request, string field, string reason)
    {
        var problem = DirectiveRules.ValidateAcknowledge(request)[0];
        Assert.Equal((field, reason), (problem.Field, problem.Reason));
    }

    [Fact]
    public void ValidateReviewAndWithdraw_NameTheirFields()
    {
        Assert.Equal("action", DirectiveRules.ValidateReview(new() { RecipientRegionCode = "370602000000", Action = DirectiveAction.SignFor })[0].Field);
        Assert.Equal(("comment", ErrorReasons.RequiredField), Pair(DirectiveRules.ValidateReview(new() { RecipientRegionCode = "370602000000", Action = DirectiveAction.RejectFeedback })[0]));
        Assert.Equal(("comment", ErrorReasons.InvalidLength), Pair(DirectiveRules.ValidateReview(new() { RecipientRegionCode = "370602000000", Action = DirectiveAction.RejectFeedback, Comment = new string('x', 501) })[0]));
        Assert.Empty(DirectiveRules.ValidateReview(new() { RecipientRegionCode = "370602000000", Action = DirectiveAction.AcceptFeedback }));
        Assert.Equal(("reason", ErrorReasons.RequiredField), Pair(DirectiveRules.ValidateWithdraw(new())[0]));
        Assert.Empty(DirectiveRules.ValidateWithdraw(new() { Reason = "重复下发" }));

        static (string, string) Pair(Domain.Ingest.FieldProblem p) => (p.Field, p.Reason);
    }

    [Fact]
    public void Apply_WalksTheWholeLifecycle_StampingEachStep()
    {
        var receipt = new DirectiveReceipt
        {
            Meta = new EntityMeta { Id = "zl-1/370602000000", SourceSystem = "hub", Version = 1 },
            DirectiveId = "zl-1",
            RecipientRegionCode = "370602000000",
            State = DirectiveState.Issued,
        };
        var signed = DirectiveRules.Apply(receipt, DirectiveAction.SignFor, "王五", "", T0);
        Assert.Equal((DirectiveState.SignedFor, 2L, "王五"), (signed.State, signed.Meta.Version, signed.SignedForBy));
        Assert.Equal(T0, signed.SignedForAt.ToDateTimeOffset());
        Assert.Equal(DirectiveState.Issued, receipt.State);

        var started = DirectiveRules.Apply(signed, DirectiveAction.Start, "", "", T0.AddHours(1));
        var fed = DirectiveRules.Apply(started, DirectiveAction.SubmitFeedback, "", "已排查 12 起", T0.AddHours(2));
        Assert.Equal(("已排查 12 起", T0.AddHours(2)), (fed.Feedback, fed.FeedbackAt.ToDateTimeOffset()));
        var rejected = DirectiveRules.Apply(fed, DirectiveAction.RejectFeedback, "", "请补充台账", T0.AddHours(3));
        Assert.Equal((DirectiveState.InProgress, "请补充台账"), (rejected.State, rejected.ReviewComment));
        var again = DirectiveRules.Apply(rejected, DirectiveAction.SubmitFeedback, "", "已补充", T0.AddHours(4));
        var done = DirectiveRules.Apply(again, DirectiveAction.AcceptFeedback, "", "", T0.AddHours(5));
        Assert.Equal((DirectiveState.Completed, 7L), (done.State, done.Meta.Version));
        Assert.Equal(T0.AddHours(5), done.CompletedAt.ToDateTimeOffset());
        Assert.Equal(T0.AddHours(5), done.Meta.UpdatedAt.ToDateTimeOffset());

        Assert.Throws<InvalidOperationException>(() => DirectiveRules.Apply(done, DirectiveAction.SignFor, "x", "", T0));
        Assert.Throws<InvalidOperationException>(() => DirectiveRules.Withdraw(done, T0));
        var withdrawn = DirectiveRules.Withdraw(again, T0.AddDays(1));
        Assert.Equal((DirectiveState.Withdrawn, again.Meta.Version + 1), (withdrawn.State, withdrawn.Meta.Version));
    }

    [Fact]
    public void Overdue_FollowsAFakeClock_WithoutChangingTheState()
    {
        var clock = new FakeTimeProvider(T0);
        var directive = Valid();
        var receipt = new DirectiveReceipt { State = DirectiveState.Issued, Meta = new EntityMeta { Version = 1 } };

        DirectiveOverdue.Mark(receipt, directive, clock.GetUtcNow());
        Assert.False(receipt.SignForOverdue);
        Assert.False(receipt.CompletionOverdue);

        // Exactly at the deadline is not late; a tick after is.
        clock.Advance(TimeSpan.FromDays(1));
        Assert.False(DirectiveOverdue.Mark(receipt, directive, clock.GetUtcNow()).SignForOverdue);
        clock.Advance(TimeSpan.FromTicks(10));
        Assert.True(DirectiveOverdue.Mark(receipt, directive, clock.GetUtcNow()).SignForOverdue);
        Assert.Equal(DirectiveState.Issued, receipt.State);
        Assert.False(receipt.CompletionOverdue);

        // Signed for late: the 催签 mark stays; completion not yet due.
        receipt.State = DirectiveState.SignedFor;
        receipt.SignedForAt = Timestamp.FromDateTimeOffset(clock.GetUtcNow());
        clock.Advance(TimeSpan.FromDays(20));
        DirectiveOverdue.Mark(receipt, directive, clock.GetUtcNow());
        Assert.True(receipt.SignForOverdue);
        Assert.True(receipt.CompletionOverdue);
        Assert.Equal(DirectiveState.SignedFor, receipt.State);

        // Signed for and completed in time: never overdue, however late it is read.
        var punctual = new DirectiveReceipt
        {
            State = DirectiveState.Completed,
            SignedForAt = Timestamp.FromDateTimeOffset(T0.AddHours(1)),
            CompletedAt = Timestamp.FromDateTimeOffset(T0.AddDays(2)),
        };
        DirectiveOverdue.Mark(punctual, directive, T0.AddYears(1));
        Assert.False(punctual.SignForOverdue || punctual.CompletionOverdue);

        // Withdrawn before the deadline: the wait ended there.
        var withdrawnEarly = directive.Clone();
        withdrawnEarly.WithdrawnAt = Timestamp.FromDateTimeOffset(T0.AddHours(2));
        var open = new DirectiveReceipt { State = DirectiveState.Withdrawn };
        DirectiveOverdue.Mark(open, withdrawnEarly, T0.AddYears(1));
        Assert.False(open.SignForOverdue || open.CompletionOverdue);
    }
}
