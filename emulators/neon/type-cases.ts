/**
 * The value cases of the differential tests: Postgres expressions (some fed by parameters, to cover
 * the driver's parameter text) that every path must return identically.
 */

/** One column of the differential query; `{p}` in `expr` is replaced by the parameter placeholder. */
export type TypeCase = { label: string; expr: string; param?: unknown };

/** Cases spanning scalars, arrays, nulls, empty strings and non-ASCII text. */
export const TYPE_CASES: readonly TypeCase[] = [
  { label: "int2", expr: "{p}::int2", param: -32768 },
  { label: "int4", expr: "{p}::int4", param: 2147483647 },
  { label: "int8", expr: "9223372036854775807::int8" },
  { label: "numeric", expr: "{p}::numeric", param: "1.50" },
  { label: "numeric-neg", expr: "'-0.000001'::numeric" },
  { label: "float4", expr: "3.14::float4" },
  { label: "float8", expr: "{p}::float8", param: 1e308 },
  { label: "float8-nan", expr: "'NaN'::float8" },
  { label: "bool-true", expr: "{p}::bool", param: true },
  { label: "bool-false", expr: "false" },
  { label: "text-unicode", expr: "{p}::text", param: "héllo 🌍 日本語 back\\slash 'q'" },
  { label: "text-empty", expr: "{p}::text", param: "" },
  { label: "varchar", expr: "'abc'::varchar(10)" },
  { label: "char", expr: "'ab'::char(5)" },
  { label: "qchar", expr: "'x'::\"char\"" },
  { label: "name", expr: "'pg_catalog'::name" },
  { label: "oid", expr: "1234::oid" },
  { label: "uuid", expr: "{p}::uuid", param: "0b7c3f0e-8a51-4c55-9d1a-8a1b2c3d4e5f" },
  { label: "json", expr: "{p}::json", param: { a: [1, 2, { b: null }], ü: "x" } },
  { label: "jsonb", expr: `'{"z": 1, "a": [true, null, "s"]}'::jsonb` },
  { label: "bytea", expr: "{p}::bytea", param: Buffer.from([0, 255, 16, 32]) },
  { label: "date", expr: "{p}::date", param: "2024-02-29" },
  { label: "time", expr: "'13:45:59.123456'::time" },
  { label: "timetz", expr: "'13:45:59+02'::timetz" },
  { label: "timestamp", expr: "'2024-02-29 13:45:59.123456'::timestamp" },
  { label: "timestamptz", expr: "{p}::timestamptz", param: new Date("2024-02-29T13:45:59.123Z") },
  { label: "timestamptz-offset", expr: "'2024-02-29 13:45:59.5+05:30'::timestamptz" },
  { label: "interval", expr: "'1 year 2 mons 3 days 04:05:06.789'::interval" },
  { label: "inet", expr: "'192.168.0.1/24'::inet" },
  { label: "cidr", expr: "'10.0.0.0/8'::cidr" },
  { label: "macaddr", expr: "'08:00:2b:01:02:03'::macaddr" },
  { label: "point", expr: "'(1.5,-2)'::point" },
  { label: "bit", expr: "B'101'::bit(3)" },
  { label: "int4[]", expr: "{p}::int4[]", param: [1, null, 3] },
  { label: "int8[]", expr: "'{1,-9007199254740993}'::int8[]" },
  { label: "text[]", expr: "{p}::text[]", param: ["a b", 'c"d', null, "", "é,}"] },
  { label: "bool[]", expr: "'{t,f,NULL}'::bool[]" },
  { label: "numeric[]", expr: "'{1.10,NaN}'::numeric[]" },
  { label: "timestamptz[]", expr: "'{\"2024-01-01 00:00:00+00\",NULL}'::timestamptz[]" },
  { label: "date[]", expr: "'{2024-01-01,infinity}'::date[]" },
  { label: "uuid[]", expr: "'{0b7c3f0e-8a51-4c55-9d1a-8a1b2c3d4e5f}'::uuid[]" },
  { label: "jsonb[]", expr: `ARRAY['{"k":1}'::jsonb]` },
  { label: "null-text", expr: "NULL::text" },
  { label: "null-int4", expr: "{p}::int4", param: null },
  { label: "null-unknown", expr: "NULL" },
];

/** The differential query and its parameters (numbered in case order). */
export function buildTypeQuery(): { text: string; params: unknown[] } {
  const params: unknown[] = [];
  const columns = TYPE_CASES.map((c) => {
    let expr = c.expr;
    if (expr.includes("{p}")) {
      params.push(c.param);
      expr = expr.replace("{p}", `$${params.length}`);
    }
    return `${expr} AS "${c.label}"`;
  });
  return { text: `SELECT ${columns.join(", ")}`, params };
}
