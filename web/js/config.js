// Runtime settings: /config.json, written by the stack from its outputs
// (and served by `make dev` locally). Loaded once.

let loaded;

export function loadConfig() {
  if (!loaded) {
    loaded = fetch('/config.json', { cache: 'no-cache', headers: { Accept: 'application/json' } })
      .then((res) => {
        if (!res.ok) throw new Error(`config.json answered ${res.status}`);
        return res.json();
      })
      .then((cfg) => ({ apiBase: '/api', ...cfg, apiBase: String(cfg.apiBase || '/api').replace(/\/+$/, '') }));
  }
  return loaded;
}

// The default tiers (infra DefaultTiers), shown when config.json names none.
export const DEFAULT_TIERS = {
  basic: { deployment: 'pool', rateLimit: 10, burstLimit: 20, quotaPerDay: 10000 },
  standard: { deployment: 'pool', rateLimit: 50, burstLimit: 100, quotaPerDay: 100000 },
  premium: { deployment: 'pool', rateLimit: 200, burstLimit: 400, quotaPerDay: 1000000 },
  platinum: { deployment: 'silo', rateLimit: 1000, burstLimit: 2000, quotaPerDay: 10000000 },
};
