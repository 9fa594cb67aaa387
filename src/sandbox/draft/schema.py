"""A database schema as `sandbox init` reads it: tables, typed columns, keys, uniques, foreign keys and the
values a CHECK allows, parsed from DDL text with sqlglot (a SQL parser, not regexes).

Every source becomes DDL text first: a `.sql` file as it is, a database's catalog rebuilt as CREATE TABLE
statements (`introspect`), so one parser reads them all.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from sandbox.errors import MissingExtra, UsageError


@dataclass
class Column:
    name: str
    #: The declared type as written, lower case (`varchar(40)`, `numeric(10,2)`, `timestamptz`).
    declared: str
    #: sqlglot's type family (`VARCHAR`, `DECIMAL`, `TIMESTAMPTZ`, ...), or None when sqlglot knows no such type.
    family: str | None
    length: int | None = None
    precision: int | None = None
    scale: int | None = None
    not_null: bool = False
    unique: bool = False
    #: The values a CHECK (col IN (...)) allows, in order.
    choices: list[str | int | float] | None = None
    #: A CHECK (col > N) or (col >= N): the smallest value allowed.
    minimum: float | None = None
    line: int | None = None


@dataclass
class ForeignKey:
    column: str
    parent: str
    parent_column: str


@dataclass
class Table:
    name: str
    columns: list[Column]
    primary_key: tuple[str, ...] = ()
    foreign_keys: list[ForeignKey] = field(default_factory=list)
    line: int | None = None

    def column(self, name: str) -> Column | None:
        return next((c for c in self.columns if c.name == name), None)


@dataclass
class Schema:
    tables: list[Table]
    #: Where it came from, as shown in messages (a file name, or a URL with the password masked).
    source: str

    def table(self, name: str) -> Table | None:
        return next((t for t in self.tables if t.name == name), None)


def _require_sqlglot() -> None:
    try:
        import sqlglot  # noqa: F401
    except ImportError:
        raise MissingExtra("load", "sqlglot") from None


def parse(text: str, source: str, dialect: str = "postgres") -> Schema:
    """Every CREATE TABLE of `text` (other statements are skipped); a syntax error names the line."""
    _require_sqlglot()
    import sqlglot
    from sqlglot import exp
    from sqlglot.errors import ParseError, TokenError

    try:
        statements = sqlglot.parse(text, read=dialect)
    except ParseError as error:
        first = error.errors[0] if error.errors else {}
        what = " ".join(str(first.get("description") or error).split())
        if first.get("highlight"):
            what += f" (at column {first.get('col')}, near `{first['highlight']}`)"
        raise UsageError(f"{source}:{first.get('line')}: expected valid SQL DDL: {what}") from None
    except TokenError as error:
        raise UsageError(f"{source}: expected valid SQL DDL: {' '.join(str(error).split())}") from None
    tables = []
    for statement in statements:
        if isinstance(statement, exp.Create) and str(statement.args.get("kind", "")).upper() == "TABLE":
            if isinstance(statement.this, exp.Schema):
                tables.append(_table(statement.this, _line(text, statement)))
    if not tables:
        raise UsageError(f"{source}: expected at least one CREATE TABLE statement, found none")
    schema = Schema(tables, source)
    _check_references(schema)
    return schema


def _line(text: str, statement: object) -> int | None:
    """The line of the statement's table name (sqlglot keeps token positions on identifiers)."""
    from sqlglot import exp

    assert isinstance(statement, exp.Expression)
    ident = statement.find(exp.Identifier)
    meta = getattr(ident, "meta", None) or {}
    return meta.get("line")


def _names(node: object) -> list[str]:
    from sqlglot import exp

    assert isinstance(node, exp.Expression)
    return [i.name for i in node.expressions]


def _reference(ref: object) -> tuple[str, list[str]]:
    from sqlglot import exp

    assert isinstance(ref, exp.Reference)
    target = ref.this
    if isinstance(target, exp.Schema):
        return target.this.name, _names(target)
    return target.name, []


def _table(node: object, line: int | None) -> Table:
    from sqlglot import exp

    assert isinstance(node, exp.Schema)
    table_constraints = _table_constraints()
    table = Table(node.this.name, [], line=line)
    for item in node.expressions:
        if isinstance(item, exp.ColumnDef):
            table.columns.append(_column(table, item))
        elif isinstance(item, table_constraints):
            _table_constraint(table, item)
    return table


def _table_constraints() -> tuple[type, ...]:
    from sqlglot import exp

    return (
        exp.PrimaryKey,
        exp.ForeignKey,
        exp.Constraint,
        exp.UniqueColumnConstraint,
        exp.Check,
        exp.CheckColumnConstraint,
    )


def _column(table: Table, node: object) -> Column:
    from sqlglot import exp

    assert isinstance(node, exp.ColumnDef)
    kind = node.args.get("kind")
    params = [int(p.this.this) for p in (kind.expressions if kind else []) if isinstance(p.this, exp.Literal)]
    family = kind.this.name if kind is not None and kind.this.name != "USERDEFINED" else None
    declared = kind.sql("postgres").lower() if kind is not None else "text"
    column = Column(node.name, declared, family, line=(node.this.meta or {}).get("line"))
    if family in {"VARCHAR", "CHAR", "NCHAR", "NVARCHAR", "BPCHAR"} and params:
        column.length = params[0]
    if family == "DECIMAL" and params:
        column.precision, column.scale = params[0], params[1] if len(params) > 1 else 0
    for constraint in node.constraints:
        spec = constraint.kind
        if isinstance(spec, exp.NotNullColumnConstraint) and not spec.args.get("allow_null"):
            column.not_null = True
        elif isinstance(spec, exp.PrimaryKeyColumnConstraint):
            table.primary_key, column.not_null = (column.name,), True
        elif isinstance(spec, exp.UniqueColumnConstraint):
            column.unique = True
        elif isinstance(spec, exp.Reference):
            parent, cols = _reference(spec)
            table.foreign_keys.append(ForeignKey(column.name, parent, cols[0] if cols else ""))
        elif isinstance(spec, exp.CheckColumnConstraint):
            _check_bounds(table, spec.this, column)
    return column


def _table_constraint(table: Table, item: object) -> None:
    from sqlglot import exp

    assert isinstance(item, exp.Expression)
    inner = item.expressions if isinstance(item, exp.Constraint) else [item]
    for part in inner:
        if isinstance(part, exp.PrimaryKey):
            table.primary_key = tuple(i.name for i in part.expressions)
            for name in table.primary_key:
                col = table.column(name)
                if col:
                    col.not_null = True
        elif isinstance(part, exp.ForeignKey):
            columns = [i.name for i in part.expressions]
            parent, parent_columns = _reference(part.args["reference"])
            if len(columns) != 1:
                raise UsageError(
                    f"table {table.name}: a foreign key of several columns ({', '.join(columns)} -> {parent}) is "
                    "not supported yet: expected single-column foreign keys"
                )
            table.foreign_keys.append(ForeignKey(columns[0], parent, parent_columns[0] if parent_columns else ""))
        elif isinstance(part, exp.UniqueColumnConstraint):
            names = [e.name for e in (part.this.expressions if isinstance(part.this, exp.Schema) else [])]
            if len(names) == 1 and table.column(names[0]):
                table.column(names[0]).unique = True  # type: ignore[union-attr]
        elif isinstance(part, (exp.Check, exp.CheckColumnConstraint)):
            _check_bounds(table, part.this, None)


def _literal(node: object) -> str | int | float | None:
    from sqlglot import exp

    while isinstance(node, exp.Cast):
        node = node.this
    if isinstance(node, exp.Literal):
        if node.is_string:
            return str(node.this)
        number = float(node.this)
        return int(number) if number.is_integer() else number
    if isinstance(node, exp.Neg) and isinstance(node.this, exp.Literal):
        value = _literal(node.this)
        return -value if isinstance(value, (int, float)) else None
    return None


def _check_bounds(table: Table, check: object, column: Column | None) -> None:
    """What a CHECK tells a generator: `col IN (...)` / `col = ANY (ARRAY[...])` (PostgreSQL's own spelling
    of it), or a lower bound `col > N`, `col >= N`. Other checks are left to the database."""
    from sqlglot import exp

    assert isinstance(check, exp.Expression)
    names = {c.name for c in check.find_all(exp.Column)}
    if len(names) != 1:
        return
    target = column or table.column(names.pop())
    if target is None:
        return
    values = [_literal(v) for v in _choice_nodes(check)]
    if values and all(v is not None for v in values):
        target.choices = values  # type: ignore[assignment]
        return
    for op, strict in ((exp.GT, True), (exp.GTE, False)):
        node = check.find(op)
        if node is not None and node.this.find(exp.Column) is not None:
            bound = _literal(node.expression)
            if isinstance(bound, (int, float)):
                target.minimum = bound + (1 if strict and isinstance(bound, int) else 0)


def _choice_nodes(check: object) -> Iterator[object]:
    from sqlglot import exp

    assert isinstance(check, exp.Expression)
    found = check.find(exp.In)
    if found is not None:
        yield from found.expressions
        return
    array = check.find(exp.Array)
    if array is not None and check.find(exp.Any) is not None:
        yield from array.expressions


def _check_references(schema: Schema) -> None:
    for table in schema.tables:
        for fk in table.foreign_keys:
            parent = schema.table(fk.parent)
            where = f"{schema.source}:{table.line}: table {table.name}: foreign key {fk.column}"
            if parent is None:
                names = ", ".join(t.name for t in schema.tables)
                raise UsageError(f"{where}: expected a table of the schema ({names}), got {fk.parent}")
            if not fk.parent_column:
                fk.parent_column = parent.primary_key[0] if len(parent.primary_key) == 1 else ""
            if parent.column(fk.parent_column) is None or parent.primary_key != (fk.parent_column,):
                raise UsageError(
                    f"{where}: expected a reference to {parent.name}'s single-column primary key, got "
                    f"{fk.parent}({fk.parent_column or '?'})"
                )
