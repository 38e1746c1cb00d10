using System.Reflection;
using System.Text.RegularExpressions;
using Google.Protobuf.Reflection;
using GridExchange.Tests.Seeds;
using GridExchange.V1;

namespace GridExchange.Tests.Privacy;

/// <summary>
/// Keeps the two statements of every field's personal-data class in step: the "[S2]"–"[S4]" its
/// comment in protos/ starts with, and the <c>privacy</c> / <c>value_class</c> options (privacy.proto)
/// in the descriptors the C# code is generated from, which the redactor reads.
/// </summary>
public partial class PrivacyOptionsContractTests
{
    private const string Package = "gridexchange.v1";

    private static readonly Lazy<IReadOnlyList<ProtoElement>> Elements = new(ParseContract);

    [Fact]
    public void EveryField_ClassInCommentEqualsPrivacyOption()
    {
        var problems = new List<string>();
        var annotated = 0;
        foreach (var element in Elements.Value.Where(e => e.Kind == ElementKind.Field))
        {
            var field = Field(element);
            var option = field.GetOptions()?.GetExtension(PrivacyExtensions.Privacy);
            var marker = ClassMarker(element.Comment);
            var expected = marker is DataClass.S1 or null ? (DataClass?)null : marker;
            var actual = option?.DataClass;
            annotated += option is null ? 0 : 1;
            if (expected != actual)
            {
                problems.Add($"{element.Where} {element.Name}: comment says {Describe(marker)}, option says {Describe(actual)}");
            }
        }

        Assert.Empty(problems);
        Assert.True(annotated > 150, $"only {annotated} annotated fields found");
    }

    [Fact]
    public void EveryPrivacyOption_HasAMaskExactlyWhenS3AndOnlyWhereItFits()
    {
        var problems = new List<string>();
        foreach (var field in AllMessages().SelectMany(m => m.Fields.InDeclarationOrder()))
        {
            if (field.GetOptions()?.GetExtension(PrivacyExtensions.Privacy) is not { } privacy)
            {
                continue;
            }

            if (privacy.DataClass is not (DataClass.S2 or DataClass.S3 or DataClass.S4))
            {
                problems.Add($"{field.FullName}: class {privacy.DataClass} (only S2–S4 are annotated)");
            }
            else if ((privacy.DataClass == DataClass.S3) != (privacy.Mask != MaskKind.Unspecified))
            {
                problems.Add($"{field.FullName}: {privacy.DataClass} with mask {privacy.Mask}");
            }
            else if (privacy.Mask is not (MaskKind.Unspecified or MaskKind.Clear)
                     && (field.FieldType != FieldType.String || field.IsRepeated))
            {
                problems.Add($"{field.FullName}: mask {privacy.Mask} on a field that is not a single string");
            }
        }

        Assert.Empty(problems);
    }

    [Fact]
    public void EveryEnumValue_ClassInCommentEqualsValueClassOption()
    {
        var problems = new List<string>();
        var annotated = 0;
        foreach (var element in Elements.Value.Where(e => e.Kind == ElementKind.EnumValue))
        {
            var value = EnumValue(element);
            var options = value.GetOptions();
            DataClass? actual = options is not null && options.HasExtension(PrivacyExtensions.ValueClass)
                ? options.GetExtension(PrivacyExtensions.ValueClass)
                : null;
            var marker = ClassMarker(element.Comment);
            annotated += actual is null ? 0 : 1;
            if (marker != actual)
            {
                problems.Add($"{element.Where} {element.Name}: comment says {Describe(marker)}, option says {Describe(actual)}");
            }
        }

        Assert.Empty(problems);
        Assert.Equal(11, annotated); // ten PersonTagKind values and LEFT_BEHIND_TYPE_CHILD
    }

    [Fact]
    public void MessagesClassifiedThroughout_HaveThatClassOnEveryField()
    {
        var problems = new List<string>();
        var checkedMessages = 0;
        foreach (var element in Elements.Value.Where(e => e.Kind == ElementKind.Message))
        {
            if (ThroughoutMarker().Match(element.Comment) is not { Success: true } match)
            {
                continue;
            }

            checkedMessages++;
            var expected = (DataClass)int.Parse(match.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
            foreach (var field in Message(element.Name).Fields.InDeclarationOrder().Where(f => f.Name != "meta"))
            {
                var actual = field.GetOptions()?.GetExtension(PrivacyExtensions.Privacy)?.DataClass ?? DataClass.S1;
                if (actual != expected)
                {
                    problems.Add($"{field.FullName}: message is {expected} throughout, field is {actual}");
                }
            }
        }

        Assert.Empty(problems);
        Assert.Equal(7, checkedMessages); // Region and the six special-group details messages
    }

    [Fact]
    public void Parser_FindsEveryFieldAndEnumValueOfTheContract()
    {
        // Guards the other tests: a field the text parser skipped would escape the comparison.
        var parsed = Elements.Value.Where(e => e.Kind != ElementKind.Message).Select(e => e.Name);
        var declared = AllMessages().SelectMany(m => m.Fields.InDeclarationOrder()).Select(f => f.FullName)
            .Concat(AllEnums().SelectMany(e => e.Values).Select(v => $"{v.EnumDescriptor.FullName}.{v.Name}"));

        Assert.Equal(declared.Order(StringComparer.Ordinal), parsed.Order(StringComparer.Ordinal));
        Assert.Equal(
            AllMessages().Select(m => m.FullName).Order(StringComparer.Ordinal),
            Elements.Value.Where(e => e.Kind == ElementKind.Message).Select(e => e.Name).Order(StringComparer.Ordinal));
    }

    private static FieldDescriptor Field(ProtoElement element)
    {
        var dot = element.Name.LastIndexOf('.');
        var field = Message(element.Name[..dot]).FindFieldByName(element.Name[(dot + 1)..]);
        Assert.True(field is not null, $"{element.Where}: {element.Name} is not in the generated descriptors");
        return field;
    }

    private static EnumValueDescriptor EnumValue(ProtoElement element)
    {
        var dot = element.Name.LastIndexOf('.');
        var type = AllEnums().SingleOrDefault(e => e.FullName == element.Name[..dot]);
        var value = type?.FindValueByName(element.Name[(dot + 1)..]);
        Assert.True(value is not null, $"{element.Where}: {element.Name} is not in the generated descriptors");
        return value;
    }

    private static MessageDescriptor Message(string fullName)
    {
        var message = AllMessages().SingleOrDefault(m => m.FullName == fullName);
        Assert.True(message is not null, $"{fullName} is not in the generated descriptors");
        return message;
    }

    private static IEnumerable<FileDescriptor> ContractFiles() =>
        typeof(Person).Assembly.GetTypes()
            .Where(t => t.Namespace == "GridExchange.V1" && t.Name.EndsWith("Reflection", StringComparison.Ordinal))
            .Select(t => (FileDescriptor)t.GetProperty("Descriptor", BindingFlags.Public | BindingFlags.Static)!.GetValue(null)!)
            .Where(f => f.Package == Package);

    private static IEnumerable<MessageDescriptor> AllMessages() =>
        ContractFiles().SelectMany(f => f.MessageTypes).SelectMany(Flatten);

    private static IEnumerable<EnumDescriptor> AllEnums() =>
        ContractFiles().SelectMany(f => f.EnumTypes)
            .Concat(ContractFiles().SelectMany(f => f.MessageTypes).SelectMany(Flatten).SelectMany(m => m.EnumTypes));

    private static IEnumerable<MessageDescriptor> Flatten(MessageDescriptor message) =>
        message.NestedTypes.SelectMany(Flatten).Prepend(message);

    /// <summary>The class a comment states: the first "[Sn]" that starts the comment or a sentence.</summary>
    private static DataClass? ClassMarker(string comment) =>
        ClassMarkerPattern().Match(comment) is { Success: true } match
            ? (DataClass)int.Parse(match.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture)
            : null;

    private static string Describe(DataClass? dataClass) => dataClass?.ToString() ?? "nothing";

    [GeneratedRegex(@"(?:^|\.\s+)\[S([1-4])\]")]
    private static partial Regex ClassMarkerPattern();

    [GeneratedRegex(@"\[S([1-4])\] throughout")]
    private static partial Regex ThroughoutMarker();

    [GeneratedRegex(@"^(message|enum|oneof|service|extend)\s+([\w.]+)\s*\{$")]
    private static partial Regex BlockStart();

    [GeneratedRegex(@"^(?:optional\s+|repeated\s+)?(?:map<[^>]+>|[\w.]+)\s+(\w+)\s*=\s*\d+\b")]
    private static partial Regex FieldDeclaration();

    [GeneratedRegex(@"^([A-Z][A-Z0-9_]*)\s*=\s*-?\d+\b")]
    private static partial Regex EnumValueDeclaration();

    /// <summary>
    /// Reads messages, fields and enum values with their leading comments from every .proto file
    /// of the contract. A line-based reader for the layout <c>buf format</c> gives the files: one
    /// declaration starts per line, a declaration whose options span lines ends at its ';', and
    /// an rpc's option block (<c>google.api.http</c>) is skipped brace by brace.
    /// </summary>
    private static IReadOnlyList<ProtoElement> ParseContract()
    {
        var directory = Path.Combine(SeedTestSupport.RepositoryRoot(), "protos", "gridexchange", "v1");
        var files = Directory.GetFiles(directory, "*.proto");
        Assert.NotEmpty(files);
        var elements = new List<ProtoElement>();
        foreach (var path in files.Order(StringComparer.Ordinal))
        {
            var scopes = new Stack<(string Kind, string Name)>();
            var comment = new List<string>();
            var inDeclaration = false;
            var lines = File.ReadAllLines(path);
            for (var i = 0; i < lines.Length; i++)
            {
                var line = lines[i].Trim();
                if (inDeclaration)
                {
                    inDeclaration = !line.EndsWith(';');
                    continue;
                }

                if (line.StartsWith("//", StringComparison.Ordinal))
                {
                    comment.Add(line[2..].Trim());
                    continue;
                }

                var text = string.Join(' ', comment);
                comment.Clear();
                var where = $"{Path.GetFileName(path)}:{i + 1}";
                if (line.Length == 0)
                {
                    continue;
                }

                if (BlockStart().Match(line) is { Success: true } block)
                {
                    scopes.Push((block.Groups[1].Value, block.Groups[2].Value));
                    if (block.Groups[1].Value == "message")
                    {
                        elements.Add(new ProtoElement(ElementKind.Message, ScopeName(scopes), text, where));
                    }

                    continue;
                }

                // "};" closes an option's aggregate value spread over lines (an rpc's
                // google.api.http with additional_bindings), opened by a line ending in '{'.
                if (line is "}" or "};")
                {
                    scopes.Pop();
                    continue;
                }

                var scope = scopes.Count == 0 ? "" : scopes.Peek().Kind;
                if (scope is "message" or "oneof" && FieldDeclaration().Match(line) is { Success: true } field)
                {
                    elements.Add(new ProtoElement(ElementKind.Field, $"{ScopeName(scopes)}.{field.Groups[1].Value}", text, where));
                }
                else if (scope == "enum" && EnumValueDeclaration().Match(line) is { Success: true } value)
                {
                    elements.Add(new ProtoElement(ElementKind.EnumValue, $"{ScopeName(scopes)}.{value.Groups[1].Value}", text, where));
                }
                else if (line.EndsWith('{'))
                {
                    scopes.Push(("other", ""));
                    continue;
                }

                // Inside an rpc's body or an option's aggregate value ("other"), a line without
                // ';' (`get: "/v1/changes"`) is a whole entry, not the start of a declaration.
                inDeclaration = scope != "other" && !line.EndsWith(';');
            }

            Assert.True(scopes.Count == 0, $"{path}: unbalanced braces");
        }

        return elements;
    }

    // Full name of the innermost message or enum: the package, then the enclosing messages.
    private static string ScopeName(Stack<(string Kind, string Name)> scopes) =>
        $"{Package}.{string.Join('.', scopes.Reverse().Where(s => s.Kind is "message" or "enum").Select(s => s.Name))}";

    private enum ElementKind
    {
        Message,
        Field,
        EnumValue,
    }

    private sealed record ProtoElement(ElementKind Kind, string Name, string Comment, string Where);
}
