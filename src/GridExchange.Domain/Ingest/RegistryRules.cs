using GridExchange.Domain.Codes;
using GridExchange.Domain.Errors;
using GridExchange.V1;

namespace GridExchange.Domain.Ingest;

/// <summary>Rules for the registry records: Region, Grid and GridWorker (region.proto, grid.proto).</summary>
internal static class RegistryRules
{
    public const int MaxRegionNameLength = 100;
    public const int MaxGridNameLength = 100;
    public const int MaxPersonNameLength = 50;
    public const int MaxBoundaryLength = 50_000;

    /// <returns>The region's own code when it is valid and in the jurisdiction; otherwise null.</returns>
    public static string? CheckRegion(Change change, IngestContext context, out string parentKey)
    {
        var region = change.Region;
        parentKey = region.ParentCode;
        string? location = null;

        // code: the key, the location and the level all come from it.
        var codeValid = context.Region("region.code", region.Code, required: true, out var code);
        if (codeValid && !string.Equals(region.Code, change.EntityKey, StringComparison.Ordinal))
        {
            context.Add("region.code", ErrorReasons.InconsistentFields, "region.code must equal meta.id and entity_key.");
        }
        else if (codeValid && context.InJurisdiction("region.code", region.Code))
        {
            location = region.Code;
        }

        if (context.Enum("region.level", region.Level, required: true))
        {
            if (region.Level is RegionLevel.Central or RegionLevel.Grid)
            {
                context.Add("region.level", ErrorReasons.InvalidCode, "region.level must be PROVINCE, CITY, COUNTY, TOWNSHIP or VILLAGE; CENTRAL and GRID are not regions with a 12-digit code.");
            }
            else if (codeValid && (int)region.Level != (int)code.Level)
            {
                context.Add("region.level", ErrorReasons.InconsistentFields, "region.level does not agree with the level the code's trailing zero segments give.");
            }
        }

        context.Text("region.name", region.Name, MaxRegionNameLength, required: true);

        // parent_code: exactly the code's parent; empty only for a province.
        if (codeValid)
        {
            var expectedParent = code.Parent?.Value ?? string.Empty;
            if (expectedParent.Length == 0)
            {
                if (region.ParentCode.Length > 0)
                {
                    context.Add("region.parent_code", ErrorReasons.InconsistentFields, "A province has no parent: region.parent_code must be empty.");
                }
            }
            else if (context.Region("region.parent_code", region.ParentCode, required: true, out _)
                && !string.Equals(region.ParentCode, expectedParent, StringComparison.Ordinal))
            {
                context.Add("region.parent_code", ErrorReasons.InconsistentFields, "region.parent_code must be the region one level up, the code's own prefix padded with zeros.");
            }
        }
        else if (region.ParentCode.Length > 0)
        {
            context.Region("region.parent_code", region.ParentCode, required: false, out _);
        }

        var fromValid = context.Date("region.valid_from", region.ValidFrom, required: false, notFuture: false, out var from);
        if (context.Date("region.valid_to", region.ValidTo, required: false, notFuture: false, out var to) && fromValid && to < from)
        {
            context.Add("region.valid_to", ErrorReasons.InconsistentFields, "region.valid_to must not be before region.valid_from.");
        }

        return location;
    }

    /// <returns>The grid's code when it is valid and in the jurisdiction; otherwise null.</returns>
    public static string? CheckGrid(Change change, IngestContext context)
    {
        var grid = change.Grid;
        string? location = null;

        var codeValid = context.Grid("grid.code", grid.Code, required: true, out var code);
        if (codeValid && !string.Equals(grid.Code, change.EntityKey, StringComparison.Ordinal))
        {
            context.Add("grid.code", ErrorReasons.InconsistentFields, "grid.code must equal meta.id and entity_key.");
        }
        else if (codeValid && context.InJurisdiction("grid.code", grid.Code))
        {
            location = grid.Code;
        }

        context.Text("grid.name", grid.Name, MaxGridNameLength, required: true);

        if (context.Enum("grid.type", grid.Type, required: true) && codeValid
            && (grid.Type == GridType.Dedicated) != code.IsDedicated)
        {
            context.Add("grid.type", ErrorReasons.InconsistentFields, "grid.type must agree with the code's serial: 001-899 BASIC, 900-999 DEDICATED.");
        }

        if (context.Region("grid.village_code", grid.VillageCode, required: true, out var village))
        {
            if (village.Level != DivisionLevel.Village)
            {
                context.Add("grid.village_code", ErrorReasons.InvalidCode, "grid.village_code must be a village-level code (the last 3 digits not 000).");
            }
            else if (codeValid && !string.Equals(grid.VillageCode, code.Village.Value, StringComparison.Ordinal))
            {
                context.Add("grid.village_code", ErrorReasons.InconsistentFields, "grid.village_code must equal the first 12 digits of grid.code.");
            }
        }

        context.NonNegative("grid.household_count", grid.HasHouseholdCount, grid.HouseholdCount);
        context.NonNegative("grid.resident_count", grid.HasResidentCount, grid.ResidentCount);
        context.NonNegative("grid.area_km2", grid.HasAreaKm2, grid.AreaKm2);
        context.Text("grid.leader_name", grid.LeaderName, MaxPersonNameLength, required: false, TextRules.NotMasked);
        if (context.Text("grid.boundary_geojson", grid.BoundaryGeojson, MaxBoundaryLength, required: false)
            && !GeoJsonBoundary.IsPolygonGeometry(grid.BoundaryGeojson))
        {
            context.Add("grid.boundary_geojson", ErrorReasons.InvalidFormat, "grid.boundary_geojson must be a GeoJSON Polygon or MultiPolygon geometry object (RFC 7946): closed rings of at least 4 [longitude, latitude] positions within -180..180 and -90..90.");
        }

        context.NonNegative("grid.worker_count", grid.HasWorkerCount, grid.WorkerCount);
        return location;
    }

    /// <returns>The worker's grid code when it is valid and in the jurisdiction; otherwise null.</returns>
    public static string? CheckGridWorker(Change change, IngestContext context)
    {
        var worker = change.GridWorker;
        string? location = null;

        var gridValid = context.Grid("grid_worker.grid_code", worker.GridCode, required: true, out _);
        if (gridValid && context.InJurisdiction("grid_worker.grid_code", worker.GridCode))
        {
            location = worker.GridCode;
        }

        if (context.Worker("grid_worker.number", worker.Number, required: true, out var number))
        {
            if (!string.Equals(worker.Number, change.EntityKey, StringComparison.Ordinal))
            {
                context.Add("grid_worker.number", ErrorReasons.InconsistentFields, "grid_worker.number must equal meta.id and entity_key.");
            }
            else if (gridValid && !string.Equals(number.Grid.Value, worker.GridCode, StringComparison.Ordinal))
            {
                context.Add("grid_worker.grid_code", ErrorReasons.InconsistentFields, "grid_worker.grid_code must equal the first 15 digits of grid_worker.number.");
            }
        }

        context.Text("grid_worker.name", worker.Name, MaxPersonNameLength, required: true, TextRules.NotMasked);
        context.Enum("grid_worker.role", worker.Role, required: true);
        context.Mobile("grid_worker.mobile", worker.Mobile);

        context.Enum("grid_worker.employment", worker.Employment, required: false);
        return location;
    }
}
