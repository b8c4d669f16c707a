/** Lua scripts are imported as their source text (tsup `loader: { '.lua': 'text' }`, a vite plugin in tests). */
declare module '*.lua' {
  const source: string;
  export default source;
}
