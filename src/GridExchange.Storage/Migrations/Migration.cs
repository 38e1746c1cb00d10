namespace GridExchange.Storage.Migrations;

/// <summary>A versioned schema step. Ids only grow; an applied migration is never edited.</summary>
/// <param name="Id">Order and identity.</param>
/// <param name="Name">What it does, for the <c>schema_migrations</c> table.</param>
/// <param name="Sql">The dialect's statements, run in one transaction.</param>
public sealed record Migration(int Id, string Name, string Sql);
