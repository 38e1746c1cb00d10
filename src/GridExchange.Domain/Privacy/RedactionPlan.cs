using System.Collections;
using System.Collections.Concurrent;
using System.Reflection;
using Google.Protobuf;
using Google.Protobuf.Reflection;
using GridExchange.V1;

namespace GridExchange.Domain.Privacy;

/// <summary>
/// What redacting one message type involves, read once from its descriptors (the
/// <c>gridexchange.v1.privacy</c> field option and the <c>gridexchange.v1.value_class</c> enum
/// value option, privacy.proto) and cached: the classified fields with their masks, the message
/// fields to descend into, and the fields whose values classify the message as a whole.
/// </summary>
/// <remarks>
/// Applying a plan only calls the descriptors' prebuilt field accessors; nothing is discovered
/// per call. Anything the options leave unclear is read the strict way (fail closed): an option
/// without a class, or with a class this build does not know, counts as S4; an S3 option without a
/// mask clears the field; an enum value of a classifying enum that this build does not know
/// classifies its message as S4.
/// </remarks>
internal sealed class RedactionPlan
{
    private const int S4Bit = 1 << (int)V1.DataClass.S4;

    private static readonly ConcurrentDictionary<MessageDescriptor, RedactionPlan> Plans = new();

    private static readonly MethodInfo CloneMethod =
        typeof(RedactionPlan).GetMethod(nameof(CloneAs), BindingFlags.NonPublic | BindingFlags.Static)!;

    private readonly Leaf[] _leaves;
    private readonly Child[] _children;
    private readonly Classifier[] _classifiers;
    private readonly FieldDescriptor[] _fields;
    private readonly FieldDescriptor? _metaField;
    private readonly IFieldAccessor? _meta;
    private readonly Func<IMessage, IMessage> _clone;

    private RedactionPlan(MessageDescriptor descriptor, HashSet<MessageDescriptor> building)
    {
        Descriptor = descriptor;
        _fields = [.. descriptor.Fields.InDeclarationOrder()];
        var leaves = new List<Leaf>();
        var children = new List<Child>();
        var classifiers = new List<Classifier>();
        var classes = 0;
        foreach (var field in _fields)
        {
            if (field.FieldType == FieldType.Message && field.MessageType == EntityMeta.Descriptor && field.Name == "meta")
            {
                _metaField = field;
                _meta = field.Accessor;
                continue;
            }

            // A field may classify its message and be classified itself (LeftBehindDetails.type is
            // S2, and LEFT_BEHIND_TYPE_CHILD makes the whole tag S4).
            if (field.FieldType == FieldType.Enum && !field.IsRepeated && EnumClassifier.TryCreate(field) is { } byValue)
            {
                classifiers.Add(byValue);
                classes |= byValue.Classes;
            }

            var privacy = field.GetOptions()?.GetExtension(PrivacyExtensions.Privacy);
            if (privacy is not null)
            {
                var leaf = Leaf.Create(field, privacy);
                if (leaf is not null)
                {
                    leaves.Add(leaf);
                    classes |= 1 << leaf.Class;
                }
            }
            else if (field.IsMap)
            {
                var value = field.MessageType.FindFieldByNumber(2);
                if (value.FieldType == FieldType.Message && For(value.MessageType, building).Classes != 0)
                {
                    throw new NotSupportedException($"{field.FullName}: maps of classified messages are not supported.");
                }
            }
            else if (field.FieldType == FieldType.Message)
            {
                var plan = For(field.MessageType, building);
                if (plan.Classes == 0)
                {
                    continue;
                }

                children.Add(new Child(field.Accessor, field.IsRepeated, plan));
                classes |= plan.Classes;
                if (!field.IsRepeated && plan.HasWholeClass)
                {
                    // A classified message in a singular field classifies its holder too.
                    classifiers.Add(new NestedClassifier(field.Accessor, plan));
                }
            }
        }

        _leaves = [.. leaves];
        _children = [.. children];
        _classifiers = [.. classifiers];
        Classes = classes;
        _clone = (Func<IMessage, IMessage>)CloneMethod.MakeGenericMethod(descriptor.ClrType)
            .CreateDelegate(typeof(Func<IMessage, IMessage>));
    }

    /// <summary>The message type planned.</summary>
    internal MessageDescriptor Descriptor { get; }

    /// <summary>
    /// The classes (bit n for Sn) that can occur anywhere in a message of this type, including
    /// whole-message classes; 0 when the type never holds personal data.
    /// </summary>
    internal int Classes { get; }

    /// <summary>Whether field values decide the class of the message as a whole.</summary>
    internal bool HasWholeClass => _classifiers.Length > 0;

    /// <summary>The plan of <paramref name="descriptor"/>, built on first use.</summary>
    internal static RedactionPlan For(MessageDescriptor descriptor) =>
        Plans.TryGetValue(descriptor, out var plan) ? plan : For(descriptor, []);

    /// <summary>Classes (bit n for Sn) that a caller granted <paramref name="granted"/> may not see.</summary>
    internal int Withheld(int granted) => Classes & ~granted;

    /// <summary>A deep copy of <paramref name="message"/>, a message of this plan's type.</summary>
    internal IMessage Clone(IMessage message) => _clone(message);

    /// <summary>
    /// Redacts <paramref name="message"/> in place for <paramref name="granted"/> (bit n for Sn)
    /// and returns the classes it actually redacted: a value masked, cleared or removed.
    /// </summary>
    /// <remarks>
    /// A message that is of a class not granted as a whole (a PersonTag of an S4 kind) keeps only
    /// its <c>meta</c>; inside a list it is removed by the caller of this method instead.
    /// </remarks>
    internal int RedactInPlace(IMessage message, int granted)
    {
        if (HasWholeClass)
        {
            var bit = 1 << WholeClassOf(message);
            if ((bit & granted) == 0)
            {
                foreach (var field in _fields)
                {
                    if (field != _metaField)
                    {
                        field.Accessor.Clear(message);
                    }
                }

                return bit;
            }
        }

        return Apply(message, granted);
    }

    /// <summary>
    /// Adds <paramref name="classes"/> (bit n for Sn) to <c>meta.redacted_classes</c> of
    /// <paramref name="message"/>, keeping the list sorted and free of duplicates; creates
    /// <c>meta</c> if it is missing. Does nothing for a type without <c>meta</c>.
    /// </summary>
    internal void MarkRedacted(IMessage message, int classes)
    {
        if (_meta is null)
        {
            return;
        }

        if (_meta.GetValue(message) is not EntityMeta meta)
        {
            meta = new EntityMeta();
            _meta.SetValue(message, meta);
        }

        if (meta.RedactedClasses.Count == 0)
        {
            for (var n = (int)V1.DataClass.S1; n <= (int)V1.DataClass.S4; n++)
            {
                if ((classes & (1 << n)) != 0)
                {
                    meta.RedactedClasses.Add((V1.DataClass)n);
                }
            }

            return;
        }

        // A copy redacted before (e.g. by a peer hub) keeps what it already lacked.
        var all = new SortedSet<V1.DataClass>(meta.RedactedClasses);
        for (var n = (int)V1.DataClass.S1; n <= (int)V1.DataClass.S4; n++)
        {
            if ((classes & (1 << n)) != 0)
            {
                all.Add((V1.DataClass)n);
            }
        }

        meta.RedactedClasses.Clear();
        meta.RedactedClasses.Add(all);
    }

    private static RedactionPlan For(MessageDescriptor descriptor, HashSet<MessageDescriptor> building)
    {
        if (Plans.TryGetValue(descriptor, out var plan))
        {
            return plan;
        }

        if (!building.Add(descriptor))
        {
            throw new NotSupportedException($"{descriptor.FullName}: recursive message types cannot be planned.");
        }

        plan = new RedactionPlan(descriptor, building);
        building.Remove(descriptor);
        return Plans.GetOrAdd(descriptor, plan);
    }

    private static IMessage CloneAs<T>(IMessage message)
        where T : IMessage<T> => ((T)message).Clone();

    private int Apply(IMessage message, int granted)
    {
        var redacted = 0;
        foreach (var leaf in _leaves)
        {
            if ((granted & (1 << leaf.Class)) == 0 && leaf.Redact(message))
            {
                redacted |= 1 << leaf.Class;
            }
        }

        foreach (var child in _children)
        {
            if (child.Plan.Withheld(granted) == 0)
            {
                continue;
            }

            if (child.IsRepeated)
            {
                var list = (IList)child.Accessor.GetValue(message);
                for (var i = list.Count - 1; i >= 0; i--)
                {
                    var element = (IMessage)list[i]!;
                    if (child.Plan.HasWholeClass)
                    {
                        // Decided before the fields inside are redacted: they may be the very
                        // values that classify the element (PersonTag.left_behind.type).
                        var bit = 1 << child.Plan.WholeClassOf(element);
                        if ((bit & granted) == 0)
                        {
                            list.RemoveAt(i);
                            redacted |= bit;
                            continue;
                        }
                    }

                    redacted |= child.Plan.Apply(element, granted);
                }
            }
            else if (child.Accessor.GetValue(message) is IMessage element)
            {
                if (child.Plan.HasWholeClass)
                {
                    var bit = 1 << child.Plan.WholeClassOf(element);
                    if ((bit & granted) == 0)
                    {
                        child.Accessor.Clear(message);
                        redacted |= bit;
                        continue;
                    }
                }

                redacted |= child.Plan.Apply(element, granted);
            }
        }

        return redacted;
    }

    /// <summary>The class (1–4) of <paramref name="message"/> as a whole; 1 when nothing raises it.</summary>
    private int WholeClassOf(IMessage message)
    {
        var dataClass = (int)V1.DataClass.S1;
        foreach (var classifier in _classifiers)
        {
            dataClass = Math.Max(dataClass, classifier.ClassOf(message));
        }

        return dataClass;
    }

    /// <summary>The class number an option names; S4 when unset or unknown (fail closed).</summary>
    private static int ClassNumber(V1.DataClass dataClass) =>
        dataClass is >= V1.DataClass.S1 and <= V1.DataClass.S4 ? (int)dataClass : (int)V1.DataClass.S4;

    private sealed record Child(IFieldAccessor Accessor, bool IsRepeated, RedactionPlan Plan);

    /// <summary>One field carrying the <c>privacy</c> option.</summary>
    private sealed class Leaf
    {
        private readonly IFieldAccessor _accessor;
        private readonly Func<string, string>? _mask;
        private readonly Func<IMessage, bool> _isSet;

        private Leaf(IFieldAccessor accessor, int dataClass, Func<string, string>? mask, Func<IMessage, bool> isSet)
        {
            _accessor = accessor;
            Class = dataClass;
            _mask = mask;
            _isSet = isSet;
        }

        /// <summary>The field's class number, 2–4.</summary>
        internal int Class { get; }

        /// <summary>The leaf of <paramref name="field"/>, or null for an option naming S1 (open).</summary>
        internal static Leaf? Create(FieldDescriptor field, FieldPrivacy privacy)
        {
            var dataClass = ClassNumber(privacy.DataClass);
            if (dataClass == (int)V1.DataClass.S1)
            {
                return null;
            }

            var isString = field.FieldType == FieldType.String && !field.IsRepeated;
            Func<string, string>? mask = dataClass != (int)V1.DataClass.S3 || !isString ? null : privacy.Mask switch
            {
                MaskKind.IdNumber => static value => Masking.MaskCitizenId(value),
                MaskKind.Name => static value => Masking.MaskName(value),
                MaskKind.Phone => static value => Masking.MaskPhone(value),
                MaskKind.Address => static value => Masking.MaskAddress(value),
                _ => null,
            };
            return new Leaf(field.Accessor, dataClass, mask, IsSet(field));
        }

        /// <summary>Masks or clears the field; whether it held a value to redact.</summary>
        internal bool Redact(IMessage message)
        {
            if (_mask is not null)
            {
                var value = (string)_accessor.GetValue(message);
                if (value.Length == 0)
                {
                    return false;
                }

                _accessor.SetValue(message, _mask(value));
                return true;
            }

            var wasSet = _isSet(message);
            // Cleared even when it looks unset: a -0.0 without presence is not "set" but still sent.
            _accessor.Clear(message);
            return wasSet;
        }

        private static Func<IMessage, bool> IsSet(FieldDescriptor field)
        {
            var accessor = field.Accessor;
            if (field.IsRepeated)
            {
                return message => ((ICollection)accessor.GetValue(message)).Count > 0;
            }

            if (field.HasPresence)
            {
                return accessor.HasValue;
            }

            // Proto3 scalars without presence are set when they differ from their default.
            var empty = field.ContainingType.Parser.ParseFrom(ByteString.Empty);
            var defaultValue = accessor.GetValue(empty);
            return message => !Equals(accessor.GetValue(message), defaultValue);
        }
    }

    /// <summary>A field whose value raises the class of the message holding it.</summary>
    private abstract class Classifier
    {
        /// <summary>The class number (1–4) the field's current value gives its holder.</summary>
        internal abstract int ClassOf(IMessage message);
    }

    /// <summary>A singular enum field whose enum has <c>value_class</c> options (PersonTag.kind).</summary>
    private sealed class EnumClassifier : Classifier
    {
        private readonly IFieldAccessor _accessor;
        private readonly Dictionary<int, int> _classByNumber;

        private EnumClassifier(IFieldAccessor accessor, Dictionary<int, int> classByNumber, int classes)
        {
            _accessor = accessor;
            _classByNumber = classByNumber;
            Classes = classes;
        }

        /// <summary>Bits of the classes its values can give, S4 included for unknown values.</summary>
        internal int Classes { get; }

        internal static EnumClassifier? TryCreate(FieldDescriptor field)
        {
            var classByNumber = new Dictionary<int, int>();
            var classified = false;
            foreach (var value in field.EnumType.Values)
            {
                var options = value.GetOptions();
                if (options is not null && options.HasExtension(PrivacyExtensions.ValueClass))
                {
                    classified = true;
                    classByNumber[value.Number] = ClassNumber(options.GetExtension(PrivacyExtensions.ValueClass));
                }
                else
                {
                    classByNumber[value.Number] = (int)V1.DataClass.S1;
                }
            }

            if (!classified)
            {
                return null;
            }

            var classes = S4Bit;
            foreach (var dataClass in classByNumber.Values)
            {
                classes |= 1 << dataClass;
            }

            return new EnumClassifier(field.Accessor, classByNumber, classes & ~(1 << (int)V1.DataClass.S1));
        }

        internal override int ClassOf(IMessage message) =>
            _classByNumber.TryGetValue((int)_accessor.GetValue(message), out var dataClass)
                ? dataClass
                : (int)V1.DataClass.S4;
    }

    /// <summary>A singular message field whose type is classified as a whole (PersonTag.left_behind).</summary>
    private sealed class NestedClassifier(IFieldAccessor accessor, RedactionPlan plan) : Classifier
    {
        internal override int ClassOf(IMessage message) =>
            accessor.GetValue(message) is IMessage nested ? plan.WholeClassOf(nested) : (int)V1.DataClass.S1;
    }
}
