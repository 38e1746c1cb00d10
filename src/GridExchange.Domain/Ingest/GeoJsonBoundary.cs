using System.Text.Json;

namespace GridExchange.Domain.Ingest;

/// <summary>
/// The shape check of <c>Grid.boundary_geojson</c>: a GeoJSON <c>Polygon</c> or
/// <c>MultiPolygon</c> geometry object (RFC 7946 §3.1.6, §3.1.7).
/// </summary>
/// <remarks>
/// Checked: valid JSON; an object whose <c>type</c> is <c>Polygon</c> or <c>MultiPolygon</c>;
/// <c>coordinates</c> nested to the right depth; at least one ring per polygon; every linear
/// ring closed with at least 4 positions; every position 2 or more finite numbers with the
/// longitude in -180..180 and the latitude in -90..90. Not checked: winding order (RFC 7946
/// says parsers must not reject on it), self-intersection, holes inside their shell.
/// </remarks>
internal static class GeoJsonBoundary
{
    private static readonly JsonDocumentOptions Options = new() { MaxDepth = 16 };

    public static bool IsPolygonGeometry(string json)
    {
        try
        {
            using var document = JsonDocument.Parse(json, Options);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object
                || !root.TryGetProperty("type", out var type) || type.ValueKind != JsonValueKind.String
                || !root.TryGetProperty("coordinates", out var coordinates) || coordinates.ValueKind != JsonValueKind.Array)
            {
                return false;
            }

            return type.GetString() switch
            {
                "Polygon" => IsPolygon(coordinates),
                "MultiPolygon" => coordinates.GetArrayLength() > 0 && coordinates.EnumerateArray().All(IsPolygon),
                _ => false,
            };
        }
        catch (JsonException)
        {
            return false;
        }
    }

    private static bool IsPolygon(JsonElement rings) =>
        rings.ValueKind == JsonValueKind.Array
        && rings.GetArrayLength() > 0
        && rings.EnumerateArray().All(IsLinearRing);

    private static bool IsLinearRing(JsonElement ring)
    {
        if (ring.ValueKind != JsonValueKind.Array || ring.GetArrayLength() < 4)
        {
            return false;
        }

        (double Lon, double Lat)? first = null;
        (double Lon, double Lat) last = default;
        foreach (var position in ring.EnumerateArray())
        {
            if (!TryReadPosition(position, out last))
            {
                return false;
            }

            first ??= last;
        }

        return first == last;
    }

    private static bool TryReadPosition(JsonElement position, out (double Lon, double Lat) point)
    {
        point = default;
        if (position.ValueKind != JsonValueKind.Array || position.GetArrayLength() < 2)
        {
            return false;
        }

        foreach (var number in position.EnumerateArray())
        {
            if (number.ValueKind != JsonValueKind.Number || !number.TryGetDouble(out var value) || !double.IsFinite(value))
            {
                return false;
            }
        }

        var lon = position[0].GetDouble();
        var lat = position[1].GetDouble();
        point = (lon, lat);
        return lon is >= -180 and <= 180 && lat is >= -90 and <= 90;
    }
}
