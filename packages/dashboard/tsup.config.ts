import { packageBuild } from '../../tsup.base.js';

export default packageBuild({
  // The UI's stylesheet and script are prebuilt static files, shipped next to the bundle where
  // src/assets.ts's relative URLs point (users run no bundler).
  onSuccess: 'mkdir -p dist/assets && cp src/assets/*.css src/assets/*.js dist/assets/',
});
