// Pure helpers of the docs type-check (docs-typecheck.test.ts): find the TypeScript blocks of a
// Markdown file and turn each into a module, keeping a line map back to the Markdown.

/** One fenced TypeScript block of a Markdown file. */
export interface CodeBlock {
  /** 1-based line of the block's first code line in the Markdown file. */
  readonly line: number;
  /** The block's code. */
  readonly code: string;
  /**
   * Declarations a reader does not need to see (e.g. `declare const prisma: PrismaClient;`),
   * from a `<!-- ts-prelude … -->` comment right before the fence; compiled before the block.
   */
  readonly prelude: string;
}

const FENCE = /^(\s*)(`{3,}|~{3,})\s*([\w-]*)/;
const TYPESCRIPT = new Set(['ts', 'typescript', 'mts', 'cts', 'tsx']);
const PRELUDE = /^<!--\s*ts-prelude\s*\n([\s\S]*)-->$/;

/** Every fenced block tagged `ts`/`typescript` in `markdown`, in order. */
export function extractTypeScriptBlocks(markdown: string): CodeBlock[] {
  const lines = markdown.split('\n');
  const blocks: CodeBlock[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = FENCE.exec(lines[i] ?? '');
    if (open === null) continue;
    const [, , fence = '```', lang = ''] = open;
    let end = i + 1;
    while (end < lines.length && !(lines[end] ?? '').trimStart().startsWith(fence)) end++;
    if (TYPESCRIPT.has(lang.toLowerCase())) {
      const before = lines.slice(0, i).join('\n').trimEnd();
      blocks.push({
        line: i + 2,
        code: lines.slice(i + 1, end).join('\n'),
        prelude: PRELUDE.exec(before.slice(before.lastIndexOf('<!--')))?.[1] ?? '',
      });
    }
    i = end;
  }
  return blocks;
}

/**
 * The module compiled for one block: prelude, then the code, then `export {}` (so top-level
 * `await` is allowed and blocks do not share globals). `codeStart` is the 1-based line of the
 * block's first code line in the module.
 */
export function blockModule(block: CodeBlock): { source: string; codeStart: number } {
  const prelude = block.prelude === '' ? '' : `${block.prelude.trimEnd()}\n`;
  const codeStart = prelude === '' ? 1 : prelude.split('\n').length;
  return { source: `${prelude}${block.code}\nexport {};\n`, codeStart };
}

/** Maps a module line back to the Markdown line; prelude lines map to the fence. */
export function markdownLine(block: CodeBlock, codeStart: number, moduleLine: number): number {
  return moduleLine < codeStart ? block.line - 1 : block.line + (moduleLine - codeStart);
}
