import { assetVersion } from '../assets.js';
import { html, type SafeHtml } from './html.js';

/** What every page needs to render links and forms. */
export interface ViewContext {
  /** The dashboard's base path without trailing slash ('' at the root). */
  readonly base: string;
  /** CSRF token for the forms. */
  readonly csrf: string;
  readonly readOnly: boolean;
  readonly showPayloads: boolean;
  readonly kinesis: boolean;
}

/** URL of a dashboard page: `base` + the path segments (each encoded). */
export const href = (ctx: ViewContext, ...segments: string[]): string =>
  `${ctx.base}/${segments.map(encodeURIComponent).join('/')}`;

/** The page shell: skip link, navigation, main landmark, the UI's stylesheet and script. */
export function layout(
  ctx: ViewContext,
  title: string,
  body: SafeHtml,
  current: 'overview' | 'kinesis' | 'queue',
): string {
  const nav = (name: typeof current, label: string, url: string) =>
    html`<a href="${url}"${current === name ? html` aria-current="page"` : ''}>${label}</a>`;
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title} · mqkit</title>
<link rel="stylesheet" href="${ctx.base}/assets/app.css?v=${assetVersion('app.css')}">
<link rel="icon" href="data:,">
<script src="${ctx.base}/assets/app.js?v=${assetVersion('app.js')}" defer></script>
</head>
<body>
<a class="skip" href="#main">Skip to content</a>
<header class="top">
<span class="brand">mqkit</span>
<nav aria-label="Dashboard">${nav('overview', 'Queues', `${ctx.base}/`)}${ctx.kinesis ? nav('kinesis', 'Kinesis', `${ctx.base}/kinesis`) : ''}</nav>
${ctx.readOnly ? html`<span class="badge">read-only</span>` : ''}
</header>
<main id="main">
${body}
</main>
</body>
</html>`.value;
}

/** A small error page body. */
export const errorBody = (status: number, message: string, ctx: ViewContext): SafeHtml =>
  html`<h1>${status === 404 ? 'Not found' : status === 400 ? 'Bad request' : 'Something went wrong'}</h1>
<p class="error" role="alert">${message}</p>
<p><a href="${ctx.base}/">Back to the queues</a></p>`;
