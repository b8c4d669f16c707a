import { packageBuild } from '../../tsup.base.js';

export default packageBuild({
  // The Lua scripts ship as files next to dist/index.js, where their loaders' relative URLs point.
  onSuccess:
    'cp src/lease/scripts/*.lua src/dead-letter/scripts/*.lua src/instances/scripts/*.lua src/rebalance/scripts/*.lua dist/',
});
