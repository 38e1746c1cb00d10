using System.Text.Json;
using System.Text.Json.Serialization;
using GridExchange.Domain.Errors;
using GridExchange.Domain.Ingest;

namespace GridExchange.Domain.Cases;

/// <summary>One item of the proxy-service catalogue (代办事项).</summary>
/// <param name="CategoryCode">Its category's code.</param>
/// <param name="Code">The item code, unique in the catalogue.</param>
/// <param name="Name">The item's name, copied into <c>ServiceRequest.item_name</c>.</param>
/// <param name="TimeLimitDays">Working days from acceptance to the request's deadline.</param>
public sealed record ServiceItem(string CategoryCode, string Code, string Name, int TimeLimitDays);

/// <summary>
/// The proxy-service item catalogue (DOMAIN §3.3: category, item code, name, time limit) — hub
/// configuration, not code: parsed from JSON, validated once at start-up, then looked up by
/// ReportServiceRequest (item codes) and TransitionServiceRequest (the deadline on ACCEPT).
/// </summary>
public sealed class ServiceCatalogue
{
    /// <summary>Longest category or item code (the contract's limit).</summary>
    public const int MaxCodeLength = 20;

    /// <summary>Longest item name (the contract's limit on <c>item_name</c>).</summary>
    public const int MaxNameLength = 100;

    private static readonly JsonSerializerOptions Json = new()
    {
        PropertyNameCaseInsensitive = true,
        ReadCommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
    };

    private readonly Dictionary<string, ServiceItem> _items;
    private readonly Dictionary<string, string> _categories;

    private ServiceCatalogue(Dictionary<string, string> categories, Dictionary<string, ServiceItem> items)
    {
        _categories = categories;
        _items = items;
    }

    /// <summary>Category code → category name.</summary>
    public IReadOnlyDictionary<string, string> Categories => _categories;

    /// <summary>Every item by code.</summary>
    public IReadOnlyDictionary<string, ServiceItem> Items => _items;

    /// <summary>
    /// Parses a catalogue: <c>{"categories": [{"code", "name", "items": [{"code", "name",
    /// "timeLimitDays"}]}]}</c>. Codes are 1–20 characters of <c>[A-Za-z0-9_-]</c>, unique
    /// (item codes across the whole catalogue); names 1–100 characters; time limits 1–365 working days.
    /// </summary>
    /// <exception cref="FormatException">The text is not such a catalogue; the message says where.</exception>
    public static ServiceCatalogue Parse(string json)
    {
        ArgumentNullException.ThrowIfNull(json);
        CatalogueFile? file;
        try
        {
            file = JsonSerializer.Deserialize<CatalogueFile>(json, Json);
        }
        catch (JsonException e)
        {
            throw new FormatException("The service catalogue is not valid JSON: " + e.Message, e);
        }

        if (file?.Categories is not { Count: > 0 } categories)
        {
            throw new FormatException("The service catalogue has no categories.");
        }

        var names = new Dictionary<string, string>(StringComparer.Ordinal);
        var items = new Dictionary<string, ServiceItem>(StringComparer.Ordinal);
        foreach (var category in categories)
        {
            var code = CheckCode(category.Code, "category");
            if (!names.TryAdd(code, CheckName(category.Name, "category " + code)))
            {
                throw new FormatException($"Service catalogue category '{code}' is listed twice.");
            }

            if (category.Items is not { Count: > 0 })
            {
                throw new FormatException($"Service catalogue category '{code}' has no items.");
            }

            foreach (var item in category.Items)
            {
                var itemCode = CheckCode(item.Code, "item in category " + code);
                if (item.TimeLimitDays is < 1 or > 365)
                {
                    throw new FormatException($"Service catalogue item '{itemCode}': timeLimitDays must be 1 to 365 working days.");
                }

                if (!items.TryAdd(itemCode, new ServiceItem(code, itemCode, CheckName(item.Name, "item " + itemCode), item.TimeLimitDays)))
                {
                    throw new FormatException($"Service catalogue item '{itemCode}' is listed twice.");
                }
            }
        }

        return new ServiceCatalogue(names, items);
    }

    /// <summary>
    /// The problem with <paramref name="categoryCode"/> and <paramref name="itemCode"/> of a
    /// request (field paths under <paramref name="prefix"/>), or null when the item is in the
    /// catalogue under that category.
    /// </summary>
    public FieldProblem? Check(string prefix, string categoryCode, string itemCode)
    {
        if (!_categories.ContainsKey(categoryCode))
        {
            return new FieldProblem(prefix + ".category_code", ErrorReasons.InvalidCode,
                $"{prefix}.category_code is not a category of the hub's service catalogue ({string.Join(", ", _categories.Keys)}).");
        }

        if (!_items.TryGetValue(itemCode, out var item))
        {
            return new FieldProblem(prefix + ".item_code", ErrorReasons.InvalidCode,
                $"{prefix}.item_code is not an item of the hub's service catalogue.");
        }

        return item.CategoryCode != categoryCode
            ? new FieldProblem(prefix + ".item_code", ErrorReasons.InconsistentFields,
                $"{prefix}.item_code belongs to category {item.CategoryCode}, not {categoryCode}.")
            : null;
    }

    /// <summary>The item with <paramref name="itemCode"/>, or null.</summary>
    public ServiceItem? Find(string itemCode) => _items.GetValueOrDefault(itemCode);

    private static string CheckCode(string? code, string what)
    {
        if (string.IsNullOrEmpty(code) || code.Length > MaxCodeLength || !code.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-'))
        {
            throw new FormatException($"Service catalogue {what}: a code is 1 to {MaxCodeLength} characters of A-Z, a-z, 0-9, '_' and '-'.");
        }

        return code;
    }

    private static string CheckName(string? name, string what)
    {
        if (string.IsNullOrWhiteSpace(name) || name.EnumerateRunes().Count() > MaxNameLength || name.Any(char.IsControl))
        {
            throw new FormatException($"Service catalogue {what}: a name is 1 to {MaxNameLength} characters on one line.");
        }

        return name;
    }

    private sealed class CatalogueFile
    {
        [JsonPropertyName("categories")]
        public List<CategoryEntry>? Categories { get; set; }
    }

    private sealed class CategoryEntry
    {
        public string? Code { get; set; }

        public string? Name { get; set; }

        public List<ItemEntry>? Items { get; set; }
    }

    private sealed class ItemEntry
    {
        public string? Code { get; set; }

        public string? Name { get; set; }

        public int TimeLimitDays { get; set; }
    }
}
