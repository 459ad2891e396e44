/**
 * @generated SignedSource<<b62f62f76f7486a1aba085ddf7106d6e>>
 * @lightSyntaxTransform
 */

/* eslint-disable */

'use strict';

var node = (function(){
var v0 = [
  {
    "defaultValue": null,
    "kind": "LocalArgument",
    "name": "before"
  },
  {
    "defaultValue": 20,
    "kind": "LocalArgument",
    "name": "last"
  },
  {
    "defaultValue": null,
    "kind": "LocalArgument",
    "name": "sku"
  }
],
v1 = {
  "kind": "Variable",
  "name": "before",
  "variableName": "before"
},
v2 = {
  "kind": "Variable",
  "name": "last",
  "variableName": "last"
},
v3 = [
  (v1/*:: as any*/),
  {
    "kind": "Variable",
    "name": "itemSku",
    "variableName": "sku"
  },
  (v2/*:: as any*/)
];
return {
  "fragment": {
    "argumentDefinitions": (v0/*:: as any*/),
    "kind": "Fragment",
    "metadata": null,
    "name": "MovementHistoryPaginationQuery",
    "selections": [
      {
        "args": [
          (v1/*:: as any*/),
          (v2/*:: as any*/),
          {
            "kind": "Variable",
            "name": "sku",
            "variableName": "sku"
          }
        ],
        "kind": "FragmentSpread",
        "name": "MovementHistory_query"
      }
    ],
    "type": "Query",
    "abstractKey": null
  },
  "kind": "Request",
  "operation": {
    "argumentDefinitions": (v0/*:: as any*/),
    "kind": "Operation",
    "name": "MovementHistoryPaginationQuery",
    "selections": [
      {
        "alias": null,
        "args": (v3/*:: as any*/),
        "concreteType": "MovementConnection",
        "kind": "LinkedField",
        "name": "movements",
        "plural": false,
        "selections": [
          {
            "alias": null,
            "args": null,
            "concreteType": "MovementEdge",
            "kind": "LinkedField",
            "name": "edges",
            "plural": true,
            "selections": [
              {
                "alias": null,
                "args": null,
                "concreteType": "Movement",
                "kind": "LinkedField",
                "name": "node",
                "plural": false,
                "selections": [
                  {
                    "alias": null,
                    "args": null,
                    "kind": "ScalarField",
                    "name": "id",
                    "storageKey": null
                  },
                  {
                    "alias": null,
                    "args": null,
                    "kind": "ScalarField",
                    "name": "type",
                    "storageKey": null
                  },
                  {
                    "alias": null,
                    "args": null,
                    "kind": "ScalarField",
                    "name": "quantity",
                    "storageKey": null
                  },
                  {
                    "alias": null,
                    "args": null,
                    "kind": "ScalarField",
                    "name": "postedAt",
                    "storageKey": null
                  },
                  {
                    "alias": null,
                    "args": null,
                    "kind": "ScalarField",
                    "name": "__typename",
                    "storageKey": null
                  }
                ],
                "storageKey": null
              },
              {
                "alias": null,
                "args": null,
                "kind": "ScalarField",
                "name": "cursor",
                "storageKey": null
              }
            ],
            "storageKey": null
          },
          {
            "alias": null,
            "args": null,
            "concreteType": "PageInfo",
            "kind": "LinkedField",
            "name": "pageInfo",
            "plural": false,
            "selections": [
              {
                "alias": null,
                "args": null,
                "kind": "ScalarField",
                "name": "hasPreviousPage",
                "storageKey": null
              },
              {
                "alias": null,
                "args": null,
                "kind": "ScalarField",
                "name": "startCursor",
                "storageKey": null
              }
            ],
            "storageKey": null
          }
        ],
        "storageKey": null
      },
      {
        "alias": null,
        "args": (v3/*:: as any*/),
        "filters": [
          "itemSku"
        ],
        "handle": "connection",
        "key": "MovementHistory_movements",
        "kind": "LinkedHandle",
        "name": "movements"
      }
    ]
  },
  "params": {
    "cacheID": "8a8894e39bb119b673d68a5f165b5c6f",
    "id": null,
    "metadata": {},
    "name": "MovementHistoryPaginationQuery",
    "operationKind": "query",
    "text": "query MovementHistoryPaginationQuery(\n  $before: String\n  $last: Int = 20\n  $sku: String\n) {\n  ...MovementHistory_query_1Pimea\n}\n\nfragment MovementHistory_query_1Pimea on Query {\n  movements(itemSku: $sku, last: $last, before: $before) {\n    edges {\n      node {\n        id\n        type\n        quantity\n        postedAt\n        __typename\n      }\n      cursor\n    }\n    pageInfo {\n      hasPreviousPage\n      startCursor\n    }\n  }\n}\n"
  }
};
})();

node.hash = "b8a7426c39980460838b2dda1de66c31";

export default node;
