/** The Stryker ignore plugin of ignore-log-calls.mjs (types for the tests). */
export declare const strykerPlugins: readonly {
  readonly kind: 'Ignore';
  readonly name: string;
  readonly value: { shouldIgnore(path: { node: unknown }): string | undefined };
}[];
