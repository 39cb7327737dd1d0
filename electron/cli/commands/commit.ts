/**
 * `courier commit`: storage commitment after the fact. By default it resumes: finishes deletions
 * a crash interrupted, sends N-ACTIONs that never went out, asks again for what transactions that
 * timed out or could not reach their node left uncommitted (after an outage longer than the commit
 * budget), collects or re-requests reports that are due and times out the rest (the accepter
 * listens on --listen meanwhile). `--list` prints the transaction history instead.
 */
import { aeTitleProblem } from '../../../shared/dicomValues.ts';
import type { ServiceOptions } from '../../services.ts';
import type { Command } from '../command.ts';
import { intOption, UsageError, value } from '../args.ts';
import { plural } from '../../../shared/words.ts';

/** The commit command. */
export const commitCommand: Command = {
  name: 'commit',
  usage: 'commit [--resume] [--list] [--listen <port>] [--ae <AE>] [--commit-timeout <s>] [--json]',
  valued: ['listen', 'ae', 'commit-timeout'],
  serviceOptions(args): ServiceOptions {
    const ae = value(args, 'ae');
    if (ae !== undefined) {
      const problem = aeTitleProblem(ae);
      if (problem) throw new UsageError(problem);
    }
    // Bounds how long this run waits for reports (deadlines further away are brought forward in run).
    const ms = args.values.has('commit-timeout') ? intOption(args, 'commit-timeout', 60, 1, 86_400) * 1000 : null;
    return {
      nodes: () => ({ aeTitle: ae }),
      commit: ms === null ? {} : { timeoutMs: ms, maxTimeoutMs: ms, collectAfterMs: Math.min(20_000, Math.ceil(ms / 2)) },
    };
  },
  async run(args, { services, out, signal }) {
    const { commit } = services;
    const json = args.flags.has('json');
    if (args.flags.has('list')) {
      const rows = commit.store.transactions(100);
      if (json) out.json({ transactions: rows });
      else for (const t of rows) out.line(`${t.createdAt}  ${t.transactionUid}  ${t.node}  ${t.state}  ${t.counts.committed}/${t.counts.total} committed, ${t.counts.failed} failed, ${t.counts.timedOut} timed out, ${t.counts.deleted} deleted`);
      return 0;
    }
    if (args.values.has('commit-timeout')) commit.store.capDeadlines(Date.now() + commit.options.maxTimeoutMs);
    if (args.values.has('listen')) await commit.startAccepter(intOption(args, 'listen', 0, 0, 65535));
    const deletedBefore = commit.store.deletionCount();
    const open = await commit.resume(signal, { rerequest: true });
    const ids = await commit.settle(open, signal);
    const transactions = ids.map((id) => commit.store.transactionRow(id)).filter((t) => t !== null);
    const deleted = commit.store.deletionCount() - deletedBefore;
    if (json) out.json({ resumed: open.length, transactions, deleted });
    else {
      out.line(`${plural(open.length, 'open transaction')} resumed, ${plural(deleted, 'file')} deleted`);
      for (const t of transactions) out.line(`${t.transactionUid}  ${t.node}  ${t.state}  ${t.counts.committed}/${t.counts.total} committed`);
    }
    return 0;
  },
};
