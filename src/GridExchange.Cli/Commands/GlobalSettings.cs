using System.ComponentModel;
using GridExchange.V1;
using Spectre.Console;
using Spectre.Console.Cli;

namespace GridExchange.Cli;

/// <summary>Options every command takes.</summary>
internal class GlobalSettings : CommandSettings
{
    [CommandOption("--address <URL>")]
    [Description("The hub's gRPC address (default: $GRIDX_ADDRESS, the config file's \"address\", else http://127.0.0.1:5170).")]
    public string? Address { get; set; }

    [CommandOption("--token <TOKEN>")]
    [Description("The peer's bearer token (default: $GRIDX_TOKEN, else the config file's \"token\").")]
    public string? Token { get; set; }

    [CommandOption("-o|--output <FORMAT>")]
    [Description("table (for people) or json (protobuf JSON, one object per line, for scripts).")]
    [DefaultValue("table")]
    public string Output { get; set; } = "table";

    [CommandOption("--retries <N>")]
    [Description("Retries of a unary call after a transient error (UNAVAILABLE, ...), with back-off.")]
    [DefaultValue(3)]
    public int Retries { get; set; } = 3;

    public bool Json => Output == "json";

    public override ValidationResult Validate()
    {
        if (Output is not ("table" or "json"))
        {
            return ValidationResult.Error($"--output must be table or json, not '{Output}'.");
        }

        return Retries < 0 ? ValidationResult.Error("--retries must be 0 or more.") : ValidationResult.Success();
    }
}

/// <summary>Options of the commands that read the feed: what to read.</summary>
internal class ScopeSettings : GlobalSettings
{
    [CommandOption("--scope <CODE>")]
    [Description("A region code prefix to read (repeatable); none: the token's whole grant.")]
    public string[] Scopes { get; set; } = [];

    [CommandOption("--types <TYPES>")]
    [Description("Entity types, comma-separated (repeatable), e.g. person,household or ENTITY_TYPE_CASE; none: all.")]
    public string[] Types { get; set; } = [];

    public override ValidationResult Validate()
    {
        var result = base.Validate();
        if (!result.Successful)
        {
            return result;
        }

        try
        {
            _ = ParseTypes(Types);
            return ValidationResult.Success();
        }
        catch (UsageException e)
        {
            return ValidationResult.Error(e.Message);
        }
    }

    public ChangeScope? Scope()
    {
        if (Scopes.Length == 0 && Types.Length == 0)
        {
            return null;
        }

        var scope = new ChangeScope();
        scope.RegionPrefixes.AddRange(Scopes.SelectMany(s => s.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)));
        scope.EntityTypes.AddRange(ParseTypes(Types));
        return scope;
    }

    /// <summary>person, PERSON, ENTITY_TYPE_PERSON, grid-worker, grid_worker, GridWorker all name one type.</summary>
    internal static List<EntityType> ParseTypes(IEnumerable<string> values)
    {
        var known = Enum.GetValues<EntityType>().Where(t => t != EntityType.Unspecified)
            .ToDictionary(t => t.ToString().ToUpperInvariant());
        var result = new List<EntityType>();
        foreach (var name in values.SelectMany(v => v.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)))
        {
            var key = name.ToUpperInvariant();
            key = key.StartsWith("ENTITY_TYPE_", StringComparison.Ordinal) ? key["ENTITY_TYPE_".Length..] : key;
            key = key.Replace("_", "", StringComparison.Ordinal).Replace("-", "", StringComparison.Ordinal);
            if (!known.TryGetValue(key, out var type))
            {
                throw new UsageException($"Unknown entity type '{name}'; known: {string.Join(", ", known.Values.Select(Format.TypeName))}.");
            }

            result.Add(type);
        }

        return result;
    }
}
