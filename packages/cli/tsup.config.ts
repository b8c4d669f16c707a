import { packageBuild } from '../../tsup.base.js';

export default packageBuild({
  entry: ['src/index.ts', 'src/actions.ts', 'src/bin.ts'],
  dts: { entry: ['src/index.ts', 'src/actions.ts'] },
  // The Lua scripts ship as files next to the bundles, where their loaders' relative URLs point.
  onSuccess: 'cp src/actions/kinesis/*.lua dist/',
});
