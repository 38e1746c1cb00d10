using GridExchange.Domain.Ingest;

namespace GridExchange.Tests.Ingest;

public class GeoJsonBoundaryTests
{
    [Theory]
    [InlineData("""{"type":"Polygon","coordinates":[[[121.40,37.48],[121.41,37.48],[121.41,37.49],[121.40,37.48]]]}""")]
    [InlineData("""{"type":"Polygon","coordinates":[[[0,0],[10,0],[10,10],[0,10],[0,0]],[[2,2],[2,3],[3,3],[2,2]]]}""")] // with a hole
    [InlineData("""{"type":"MultiPolygon","coordinates":[[[[0,0],[1,0],[1,1],[0,0]]],[[[5,5],[6,5],[6,6],[5,5]]]]}""")]
    [InlineData("""{"coordinates":[[[-180,-90],[180,-90],[180,90],[-180,-90]]],"type":"Polygon","bbox":[-180,-90,180,90]}""")]
    [InlineData("""{"type":"Polygon","coordinates":[[[121.4,37.48,12.5],[121.41,37.48,12.5],[121.41,37.49,12.5],[121.4,37.48,12.5]]]}""")] // altitude
    [InlineData(""" {"type" : "Polygon", "coordinates" : [[[1,1],[2,1],[2,2],[1,1]]]} """)]
    public void IsPolygonGeometry_ValidGeometry_IsAccepted(string json)
    {
        Assert.True(GeoJsonBoundary.IsPolygonGeometry(json));
    }

    [Theory]
    [InlineData("")]
    [InlineData("null")]
    [InlineData("[]")]
    [InlineData("{")]
    [InlineData("POLYGON((0 0, 1 0, 1 1, 0 0))")]
    [InlineData("""{"type":"Point","coordinates":[1,1]}""")]
    [InlineData("""{"type":"LineString","coordinates":[[1,1],[2,2]]}""")]
    [InlineData("""{"type":"Feature","geometry":{"type":"Polygon","coordinates":[[[1,1],[2,1],[2,2],[1,1]]]}}""")]
    [InlineData("""{"type":"polygon","coordinates":[[[1,1],[2,1],[2,2],[1,1]]]}""")] // case matters
    [InlineData("""{"type":"Polygon"}""")]
    [InlineData("""{"type":"Polygon","coordinates":[]}""")]
    [InlineData("""{"type":"Polygon","coordinates":[[]]}""")]
    [InlineData("""{"type":"Polygon","coordinates":[[[1,1],[2,1],[1,1]]]}""")] // 3 positions
    [InlineData("""{"type":"Polygon","coordinates":[[[1,1],[2,1],[2,2],[1,2]]]}""")] // not closed
    [InlineData("""{"type":"Polygon","coordinates":[[[181,1],[2,1],[2,2],[181,1]]]}""")] // longitude
    [InlineData("""{"type":"Polygon","coordinates":[[[1,91],[2,1],[2,2],[1,91]]]}""")] // latitude
    [InlineData("""{"type":"Polygon","coordinates":[[[1],[2,1],[2,2],[1]]]}""")]
    [InlineData("""{"type":"Polygon","coordinates":[[["1","1"],[2,1],[2,2],["1","1"]]]}""")]
    [InlineData("""{"type":"Polygon","coordinates":[[[1,1],[2,1],[2,2],[1,1]]]""")] // truncated
    [InlineData("""{"type":"MultiPolygon","coordinates":[[[1,1],[2,1],[2,2],[1,1]]]}""")] // a Polygon's nesting
    [InlineData("""{"type":"MultiPolygon","coordinates":[]}""")]
    [InlineData("""{"type":"Polygon","coordinates":[[[1e400,1],[2,1],[2,2],[1e400,1]]]}""")]
    public void IsPolygonGeometry_Invalid_IsRejected(string json)
    {
        Assert.False(GeoJsonBoundary.IsPolygonGeometry(json));
    }

    [Fact]
    public void IsPolygonGeometry_DeeplyNestedInput_IsRejectedNotThrown()
    {
        var json = """{"type":"Polygon","coordinates":""" + new string('[', 5_000) + new string(']', 5_000) + "}";

        Assert.False(GeoJsonBoundary.IsPolygonGeometry(json));
    }
}
