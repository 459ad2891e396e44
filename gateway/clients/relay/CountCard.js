// A count as a card on a supervisor's screen, refetched by its id alone through `node(id:)`:
// what @refetchable asks of a Node type.
import { graphql } from "react-relay";

export const countCard = graphql`
  fragment CountCard_count on Count @refetchable(queryName: "CountCardRefetchQuery") {
    id
    state
    warehouse
    lineCount
    counters
  }
`;
