// What a Relay front end writes against gateway/schema.graphql: `make lint` compiles it with
// relay-compiler, so a schema change that breaks Relay's pagination fails there first.
import { graphql } from "react-relay";

// An item's ledger, newest first, paged backward with `last`/`before` as a history screen scrolls.
export const movementHistory = graphql`
  fragment MovementHistory_query on Query
  @refetchable(queryName: "MovementHistoryPaginationQuery")
  @argumentDefinitions(sku: { type: "String" }, last: { type: "Int", defaultValue: 20 }, before: { type: "String" }) {
    movements(itemSku: $sku, last: $last, before: $before) @connection(key: "MovementHistory_movements") {
      edges {
        node {
          id
          type
          quantity
          postedAt
        }
      }
    }
  }
`;

export const movementHistoryQuery = graphql`
  query MovementHistoryQuery($sku: String) {
    ...MovementHistory_query @arguments(sku: $sku)
  }
`;
