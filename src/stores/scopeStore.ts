import type { Store } from './store.js';

/**
 * The part of `store` under folder `under` of its prefix, as a store of its own: what one
 * presentation of a library is published through. It shares the store's connections and
 * setup: `prepare` makes no request and answers `prepared` (the library prepared the
 * store once), and `close` leaves the connections to the store's owner. Objects at the
 * account or bucket root stay at the root.
 */
export function scopeStore(store: Store, under: string, description: string, prepared: { created: boolean }): Store {
  const folder = under.replace(/^\/+|\/+$/g, '');
  const full = (key: string): string => (folder === '' ? key : `${folder}/${key}`);
  const scoped: Store = {
    description,
    prepare: () => Promise.resolve(prepared),
    list: (sub = '') => store.list(full(sub.replace(/^\/+|\/+$/g, '')).replace(/\/$/, '')),
    put: (key, body, options) => store.put(full(key), body, options),
    close: () => Promise.resolve(),
  };
  if (store.get !== undefined) scoped.get = (key) => store.get!(full(key));
  if (store.delete !== undefined) scoped.delete = (key) => store.delete!(full(key));
  if (store.putAtRoot !== undefined) scoped.putAtRoot = store.putAtRoot.bind(store);
  if (store.headAtRoot !== undefined) scoped.headAtRoot = store.headAtRoot.bind(store);
  return scoped;
}
