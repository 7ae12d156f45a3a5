// FileProcessRegistry({ dir }), tier 'durable' (Node; exported from js/node.js):
// lash's process registry (process-registry.js) as an append-only, checksummed,
// fsync'ed log, `{dir}/registry.log` (append-log.js). Each write operation is ONE
// record { op, args, now }; the state is the log replayed through the same WRITES
// functions (with the record's own `now`, so a replay gives the same answer). An
// operation is first tried against the current state (an error writes nothing),
// then appended and answered from its replay in file order: the log is the
// arbiter between processes sharing `dir` (lease claims from two processes cannot
// both win). A torn tail is ignored and cut off before the next append.
import { join, resolve } from 'node:path';
import { LashError } from '../errors.js';
import { asStoreError } from './commit.js';
import { AppendLog, RECORD_VERSION, exclusive } from './append-log.js';
import { ProcessRegistryBase, RegistryTables, WRITES } from './process-registry.js';

export class FileProcessRegistry extends ProcessRegistryBase {
  #dir;
  #tables = new RegistryTables();
  #log;

  constructor({ dir } = {}) {
    super();
    if (typeof dir !== 'string' || !dir) throw new LashError('InvalidArgument', 'invalid argument `dir`: expected a directory path', { argument: 'dir' });
    this.#dir = resolve(dir);
    this.#log = new AppendLog({ dir: this.#dir, path: join(this.#dir, 'registry.log'), kind: 'process registry log',
      onReset: () => { this.#tables = new RegistryTables(); }, onRecord: (rec) => this.#replay(rec) });
  }
  get durabilityTier() { return 'durable'; }
  // other processes may share the directory: waiters re-read this often
  get _pollMs() { return 100; }

  async #replay(rec) {
    const fn = WRITES[rec.t === 'op' ? rec.op : undefined];
    if (!fn) throw asStoreError(new Error(`unknown process registry log record \`${rec.t}:${rec.op}\``));
    try { return { result: await this.#tables.transact((tx) => fn(tx, rec.args, rec.now)) }; } catch (error) { return { error }; }
  }

  #exclusive(body) {
    return exclusive(this.#dir, async () => { try { return await body(); } catch (e) { throw asStoreError(e); } });
  }

  _run(record) {
    return this.#exclusive(async () => {
      await this.#log.sync();
      await this.#tables.transact((tx) => WRITES[record.op](tx, record.args, record.now), { apply: false }); // errors write nothing
      const { result } = await this.#log.write({ v: RECORD_VERSION, t: 'op', ...record });
      return result;
    });
  }

  _read(fn) {
    return this.#exclusive(async () => { await this.#log.sync(); return this.#tables.read(fn); });
  }
}
