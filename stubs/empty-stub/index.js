// Intentionally empty: see pnpm-workspace.yaml "overrides" and docs/providers/mongodb.md.
module.exports = {};
