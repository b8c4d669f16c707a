import type { InstanceView, ShardView } from '@mqkit/cli/actions';
import type { ShardLag } from '../activity.js';
import { duration, time } from './format.js';
import { html, type SafeHtml } from './html.js';

/** What the Kinesis page shows for one queue (or why it could not). */
export interface StreamView {
  readonly queue: string;
  readonly shards: readonly ShardView[];
  readonly instances: readonly InstanceView[];
  readonly lag: ReadonlyMap<string, ShardLag>;
  readonly error?: string;
}

const shardRows = (s: StreamView, now: number): SafeHtml =>
  html`${s.shards.map((sh) => {
    const lag = s.lag.get(sh.shardId);
    return html`<tr data-shard="${sh.shardId}">
<th scope="row" class="nowrap">${sh.shardId}</th>
<td data-label="Parent" class="nowrap">${sh.parentShardId ?? '—'}${sh.adjacentParentShardId ? html`<br>+ ${sh.adjacentParentShardId}` : ''}</td>
<td data-label="Children" class="nowrap">${s.shards.filter((c) => c.parentShardId === sh.shardId || c.adjacentParentShardId === sh.shardId).map((c) => html`<span class="child">${c.shardId}</span> `)}</td>
<td data-label="State">${sh.open ? 'open' : 'closed'}</td>
<td data-label="Owner" data-owner>${sh.owner ?? '—'}${sh.owner !== undefined && !sh.leaseLive ? html` <span class="warn">expired</span>` : ''}</td>
<td data-label="Fence" class="num">${sh.fence ?? '—'}</td>
<td data-label="Lease expiry" class="nowrap">${sh.leaseExpiresAt ? (sh.leaseLive ? `in ${duration(sh.leaseExpiresAt.getTime() - now)}` : `${duration(now - sh.leaseExpiresAt.getTime())} ago`) : '—'}</td>
<td data-label="Checkpoint" class="seq">${sh.checkpoint ?? '—'}</td>
<td data-label="Checkpoint age" class="nowrap">${duration(sh.checkpointAgeMs)}</td>
<td data-label="Lag" class="nowrap">${lag ? duration(lag.millisBehindLatest) : '—'}</td>
</tr>`;
  })}`;

/** The Kinesis page: per queue, its shards (lineage, lease, checkpoint, lag) and live instances. */
export function kinesisBody(streams: readonly StreamView[] | undefined): SafeHtml {
  if (streams === undefined)
    return html`<h1>Kinesis</h1><p>Pass <code>kinesis: { kinesis, redis, queues }</code> to <code>createDashboard</code> to see shards and leases.</p>`;
  const now = Date.now();
  return html`<h1>Kinesis</h1>
<p class="hint">Owners and checkpoints as the lease store (Redis) holds them. Lag is the last MillisBehindLatest reported to this process's activity tracker.</p>
${streams.map(
  (s) => html`<section aria-labelledby="k-${s.queue}">
<h2 id="k-${s.queue}">${s.queue}</h2>
${s.error ? html`<p class="error" role="alert">${s.error}</p>` : ''}
<div class="table-wrap"><table class="shards cards">
<caption class="visually-hidden">Shards of ${s.queue}</caption>
<thead><tr><th scope="col">Shard</th><th scope="col">Parent</th><th scope="col">Children</th><th scope="col">State</th><th scope="col">Owner</th><th scope="col" class="num">Fence</th><th scope="col">Lease expiry</th><th scope="col">Checkpoint</th><th scope="col">Checkpoint age</th><th scope="col">Lag</th></tr></thead>
<tbody>${shardRows(s, now)}</tbody>
</table></div>
<h3>Instances</h3>
${
  s.instances.length === 0
    ? html`<p>No consumer instance has heartbeated.</p>`
    : html`<div class="table-wrap"><table class="instances cards"><caption class="visually-hidden">Instances of ${s.queue}</caption>
<thead><tr><th scope="col">Instance</th><th scope="col">Last heartbeat</th><th scope="col">Shards</th></tr></thead>
<tbody>${s.instances.map((i) => html`<tr><th scope="row">${i.id}</th><td data-label="Last heartbeat">${duration(i.heartbeatAgeMs)} ago (${time(i.lastHeartbeat)})</td><td data-label="Shards">${i.shards.join(', ') || '—'}</td></tr>`)}</tbody></table></div>`
}
</section>`,
)}`;
}
