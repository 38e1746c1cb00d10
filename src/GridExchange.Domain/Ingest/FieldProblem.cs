using GridExchange.V1;

namespace GridExchange.Domain.Ingest;

/// <summary>One invalid field of a submitted change.</summary>
/// <param name="Field">
/// Path relative to the <c>Change</c>: proto field names in snake_case joined by <c>.</c>, list
/// indexes in brackets, e.g. <c>person.citizen_id</c>, <c>entity_key</c>,
/// <c>person.tags[2].floating.certificate_number</c>.
/// </param>
/// <param name="Reason">One of the <see cref="Errors.ErrorReasons"/> constants.</param>
/// <param name="Description">English explanation for people. Never contains personal data (no IDs, names, phones) nor the submitted value.</param>
public sealed record FieldProblem(string Field, string Reason, string Description)
{
    /// <summary>The problem as the <c>FieldViolation</c> of a <c>ChangeResult</c>.</summary>
    public FieldViolation ToFieldViolation() => new()
    {
        Field = Field,
        Description = Description,
        Reason = ErrorReasonCodes.ToProto(Reason),
    };
}
