using GridExchange.Domain.Cases;
using GridExchange.Domain.Errors;
using GridExchange.Hub;
using GridExchange.Hub.Cases;

namespace GridExchange.Tests.Cases;

public class ServiceCatalogueTests
{
    private static ServiceCatalogue Sample => CaseConfiguration.Load(new CaseOptions()).Catalogue;

    [Fact]
    public void Sample_HasSevenCategories_EachWithItems()
    {
        var catalogue = Sample;
        Assert.Equal(7, catalogue.Categories.Count);
        Assert.All(catalogue.Categories.Keys, c => Assert.Contains(catalogue.Items.Values, i => i.CategoryCode == c));
        Assert.Equal("城乡居民养老保险参保登记", catalogue.Find("SS-001")!.Name);
    }

    [Fact]
    public void Check_KnownItemInItsCategory_IsFine() => Assert.Null(Sample.Check("service_request", "CIVIL_AFFAIRS", "CA-001"));

    [Fact]
    public void Check_UnknownCategory_IsInvalidCode()
    {
        var problem = Sample.Check("service_request", "NOPE", "CA-001")!;
        Assert.Equal(("service_request.category_code", ErrorReasons.InvalidCode), (problem.Field, problem.Reason));
    }

    [Fact]
    public void Check_UnknownItem_IsInvalidCode()
    {
        var problem = Sample.Check("service_request", "CIVIL_AFFAIRS", "CA-999")!;
        Assert.Equal(("service_request.item_code", ErrorReasons.InvalidCode), (problem.Field, problem.Reason));
    }

    [Fact]
    public void Check_ItemOfAnotherCategory_IsInconsistent()
    {
        var problem = Sample.Check("service_request", "CIVIL_AFFAIRS", "SS-001")!;
        Assert.Equal(("service_request.item_code", ErrorReasons.InconsistentFields), (problem.Field, problem.Reason));
    }

    [Theory]
    [InlineData("not json")]
    [InlineData("""{"categories": []}""")]
    [InlineData("""{"categories": [{"code": "A", "name": "a", "items": []}]}""")]
    [InlineData("""{"categories": [{"code": "A", "name": "a", "items": [{"code": "X", "name": "x", "timeLimitDays": 0}]}]}""")]
    [InlineData("""{"categories": [{"code": "A B", "name": "a", "items": [{"code": "X", "name": "x", "timeLimitDays": 1}]}]}""")]
    [InlineData("""{"categories": [{"code": "A", "name": "a", "items": [{"code": "X", "name": "x", "timeLimitDays": 1}]}, {"code": "B", "name": "b", "items": [{"code": "X", "name": "x", "timeLimitDays": 1}]}]}""")]
    [InlineData("""{"categories": [{"code": "A", "name": "", "items": [{"code": "X", "name": "x", "timeLimitDays": 1}]}]}""")]
    public void Parse_BadCatalogue_IsRefused(string json) => Assert.Throws<FormatException>(() => ServiceCatalogue.Parse(json));

    [Fact]
    public void Load_CatalogueFileAndCalendar_FromOptions()
    {
        var path = Path.GetTempFileName();
        try
        {
            File.WriteAllText(path, """{"categories": [{"code": "A", "name": "甲", "items": [{"code": "A-1", "name": "事项", "timeLimitDays": 3}]}]}""");
            var configuration = CaseConfiguration.Load(new CaseOptions { ServiceCatalogueFile = path, Holidays = ["2026-10-01"] });
            Assert.Equal(3, configuration.Catalogue.Find("A-1")!.TimeLimitDays);
            Assert.False(configuration.Deadlines.IsWorkingDay(new DateOnly(2026, 10, 1)));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Load_BadSettings_StopTheStart()
    {
        Assert.Throws<InvalidOperationException>(() => CaseConfiguration.Load(new CaseOptions { AcceptRedWorkingDays = 0 }));
        Assert.Throws<InvalidOperationException>(() => CaseConfiguration.Load(new CaseOptions { Holidays = ["1.10.2026"] }));
    }
}
