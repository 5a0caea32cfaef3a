import { VpnChatopsError } from '../../src/domain/errors';
import type { AuditEntry } from '../../src/domain/audit';
import type { CaMaterial } from '../../src/pki/ca';
import type { AuditLog, CaStore } from '../../src/ports';
import type { DatabaseScope } from '../../src/ports';

/** A CA store that refuses to replace a CA unless told to, like the real ones. */
export class MemoryCaStore implements CaStore {
  readonly location = 'memory:ca';
  constructor(public material?: CaMaterial) {}

  async load(): Promise<CaMaterial | undefined> {
    return this.material;
  }

  async save(material: CaMaterial, options: { overwrite?: boolean } = {}): Promise<void> {
    if (this.material && !options.overwrite)
      throw new VpnChatopsError('STATE', `A CA already exists in ${this.location}; refusing to replace it.`);
    this.material = material;
  }
}

export class MemoryAuditLog implements AuditLog {
  readonly entries: AuditEntry[] = [];

  async append(entry: Omit<AuditEntry, 'id' | 'at'> & { at?: Date }): Promise<AuditEntry> {
    const stored = { ...entry, id: String(this.entries.length + 1), at: entry.at ?? new Date() };
    this.entries.push(stored);
    return stored;
  }

  async query(): Promise<AuditEntry[]> {
    return this.entries;
  }
}

/** A database that answers with `stores`, and counts how often it was opened. */
export function answeringDatabase<Stores>(stores: Stores): DatabaseScope<Stores> & { opened: number } {
  const scope = Object.assign(
    <T>(work: (given: Stores) => Promise<T>) => {
      scope.opened++;
      return work(stores);
    },
    { opened: 0 },
  );
  return scope;
}

/** A database that does not answer: the scope fails before its work runs. */
export const unreachableDatabase: DatabaseScope<never> = () =>
  Promise.reject(new VpnChatopsError('STORE_UNAVAILABLE', 'Nothing answers at DYNAMODB_ENDPOINT=http://127.0.0.2:9'));
