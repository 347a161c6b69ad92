"""The shared framework every Tongcheng app uses: access (scoping), the service convention, audit, lists,
imports and exports, history, errors, middleware and test helpers.

The kit imports no app: it reaches an app's models only through settings and the registries that the apps
fill in when they start (rules, scope loader, audit actions and anchors)."""
