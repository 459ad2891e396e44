// graphql-schema-linter's rules for gateway/schema.graphql (`make lint`): all of them but the
// ones that want fields, input fields and enum values in alphabetical order. The graph lists
// them in the order a warehouse reads them (sku before name, DRAFT before POSTED), and
// GraphiQL and generated clients keep that order.
module.exports = {
  schemaPaths: ["../schema.graphql"],
  rules: [
    "arguments-have-descriptions",
    "defined-types-are-used",
    "deprecations-have-a-reason",
    "descriptions-are-capitalized",
    "enum-values-all-caps",
    "enum-values-have-descriptions",
    "fields-are-camel-cased",
    "fields-have-descriptions",
    "input-object-values-are-camel-cased",
    "input-object-values-have-descriptions",
    "relay-connection-arguments-spec",
    "relay-connection-types-spec",
    "relay-page-info-spec",
    "types-are-capitalized",
    "types-have-descriptions",
  ],
};
